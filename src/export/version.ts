/** halftime's version (service.version, halftime_build_info), from package.json in development and in the compiled build. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'halftime' && pkg.version) return pkg.version;
    } catch {
      // not at this level (dist/src/export vs src/export): try the next
    }
  }
  return 'unknown';
}

export const VERSION = readVersion();
