import { existsSync } from 'node:fs';
import { EXAMPLE_CONFIG_PATH } from '../config/read.js';
import { loadConfigFile } from '../configure.js';
import { CopyRefused, copyIntoPostgres, describeDatabase, migrateDatabase } from '../store/index.js';
import { DatabaseLocked, acquireServeLock } from '../store/serve-lock.js';
import { EXIT, exitUsage, orConfigExit } from './exit-codes.js';

export type MigrateOptions = { config?: string; db?: string; from?: string };

/**
 * `halftime migrate`: brings the database to this version's schema (serve does it too, at start);
 * with `--from file.db`, copies a SQLite database into an empty PostgreSQL one first. Exit codes: 0
 * done, 1 the copy or migration failed (nothing was copied), 2 the input is wrong (no database, the
 * target is not empty, the SQLite file is in use by a running server).
 */
export async function migrateCommand(opts: MigrateOptions) {
  const loaded = opts.config || !opts.db ? orConfigExit(() => loadConfigFile(opts.config ?? EXAMPLE_CONFIG_PATH)) : undefined;
  const redact = loaded?.redact ?? ((s: string) => s);
  const db = opts.db ?? process.env.HALFTIME_DATABASE_URL ?? loaded?.config.storage.url ?? loaded?.config.storage.path;
  if (!db) exitUsage('halftime migrate: no database: give --db, HALFTIME_DATABASE_URL or storage.url');
  // A password in the URL never reaches the terminal.
  const hide = (s: string) => redact(db.includes('@') ? s.split(db).join(describeDatabase(db)) : s);
  try {
    if (opts.from) {
      // A server writing the file meanwhile would make the copy miss its last runs.
      if (!existsSync(opts.from)) exitUsage(`halftime migrate: no SQLite database at ${opts.from}`);
      const lock = acquireServeLock(opts.from);
      try {
        process.stdout.write(`copying ${opts.from} into ${describeDatabase(db)}\n`);
        const r = await copyIntoPostgres(opts.from, db, { onTable: (t) => process.stdout.write(`  ${t.table.padEnd(16)} ${String(t.rows).padStart(10)} rows\n`) });
        process.stdout.write(`copied ${r.rows} rows in ${r.tables.length} tables in ${(r.ms / 1000).toFixed(1)} s; schema version ${r.version}.\nPoint every node at it: storage.url or HALFTIME_DATABASE_URL.\n`);
      } finally {
        lock?.release();
      }
      return;
    }
    const { before, after } = await migrateDatabase(db);
    process.stdout.write(before === after ? `${describeDatabase(db)}: schema version ${after}, up to date\n` : `${describeDatabase(db)}: schema version ${before} → ${after}\n`);
  } catch (err) {
    if (err instanceof CopyRefused || err instanceof DatabaseLocked) exitUsage(`halftime migrate: ${hide((err as Error).message)}`);
    process.stderr.write(`halftime migrate: failed (${opts.from ? 'nothing was copied' : 'the step that failed was rolled back'}): ${hide((err as Error).message)}\n`);
    process.exit(EXIT.failed);
  }
}
