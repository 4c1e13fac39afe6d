import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Config } from './schema.js';

/**
 * Reads the CSV files of data pools (relative to the config file) into their `values`, so a missing
 * file or a broken row is a config problem named by path, not a failed run at 3 a.m.
 */
export function loadDataFiles(config: Config, baseDir: string): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  config.monitors.forEach((m, i) => {
    // A browser monitor's script, relative to the config file like CSV pools; a missing one is a config problem.
    if (m.browser?.script !== undefined) {
      const file = isAbsolute(m.browser.script) ? m.browser.script : resolve(baseDir, m.browser.script);
      let isFile = false;
      try {
        isFile = statSync(file).isFile();
      } catch {
        // reported below
      }
      if (!isFile) problems.push({ path: `monitors[${i}].script`, message: `cannot read ${file}: no such file (the path is relative to the config file)` });
      else m.browser.script = file;
    }
    for (const [name, pool] of Object.entries(m.data ?? {})) {
      if (pool.csv === undefined) continue;
      const path = `monitors[${i}].data.${name}.csv`;
      const file = isAbsolute(pool.csv) ? pool.csv : resolve(baseDir, pool.csv);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        problems.push({ path, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        continue;
      }
      try {
        const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true, delimiter: pool.delimiter }) as Record<string, string>[];
        if (rows.length === 0) problems.push({ path, message: `${file} has a header but no rows` });
        else pool.values = rows;
      } catch (err) {
        problems.push({ path, message: `cannot parse ${file}: ${(err as Error).message}` });
      }
    }
  });
  return problems;
}
