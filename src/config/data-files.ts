import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Config } from './schema.js';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates in PEM text, each checked to parse; or a sentence saying what is wrong. */
export function pemCertificates(text: string): string[] | string {
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) return 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)';
  for (const [i, b] of blocks.entries()) {
    try {
      new X509Certificate(b);
    } catch (err) {
      return `certificate ${i + 1} does not parse: ${(err as Error).message}`;
    }
  }
  return blocks;
}

/**
 * A monitor's `ca`: a PEM file relative to the config file (or PEM text written inline), replaced by
 * the certificates it holds, so the probes never read files and a bad file is a config problem.
 */
function loadCa(config: Config, baseDir: string): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  config.monitors.forEach((m, i) => {
    if (m.ca === undefined) return;
    const path = `monitors[${i}].ca`;
    let text = m.ca;
    if (!text.includes('-----BEGIN')) {
      const file = isAbsolute(m.ca) ? m.ca : resolve(baseDir, m.ca);
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        problems.push({ path, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        return;
      }
    }
    const certs = pemCertificates(text);
    if (typeof certs === 'string') problems.push({ path, message: certs });
    else m.ca = certs.join('\n');
  });
  return problems;
}

/**
 * Reads the CSV files of data pools (relative to the config file) into their `values`, so a missing
 * file or a broken row is a config problem named by path, not a failed run at 3 a.m.
 */
export function loadDataFiles(config: Config, baseDir: string): { path: string; message: string }[] {
  const problems = loadCa(config, baseDir);
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
