/**
 * `PRAGMA quick_check` of the database file, at start and once a day: pages overwritten with garbage
 * (a failing disk, a copy taken mid-write, another program writing the file) are found before
 * halftime serves numbers read from them. The check runs in a worker thread on its own read-only
 * connection, so the event loop keeps serving while it reads the whole file, and it is bounded twice:
 * it stops after `maxErrors` findings, and a check that has not finished in `timeoutMs` is reported
 * as unfinished (the worker is left to end on its own; it only reads).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export type IntegrityResult =
  | { status: 'ok'; ms: number }
  | { status: 'corrupt'; ms: number; problems: string[] }
  | { status: 'timeout'; ms: number }
  /** The check itself could not run (the file could not be opened or read). */
  | { status: 'error'; ms: number; error: string };

export class DatabaseCorrupt extends Error {
  constructor(
    readonly dbPath: string,
    readonly problems: string[],
  ) {
    super(
      `the database ${dbPath} is damaged; PRAGMA quick_check found: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}. ` +
        'halftime does not start on a damaged database: writing to it can spread the damage and the pages would show numbers read from garbage. ' +
        `Restore a backup, or salvage what is readable with: sqlite3 "${dbPath}" ".recover" | sqlite3 recovered.db — then point storage.path (or --db) at the result.`,
    );
    this.name = 'DatabaseCorrupt';
  }
}

/** SQLite's error codes for a file that is not (or no longer) a readable database. */
export function isCorruptionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT_'));
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const rows = db.prepare('PRAGMA quick_check(' + workerData.maxErrors + ')').pluck().all();
  parentPort.postMessage({ rows });
} catch (err) {
  parentPort.postMessage({ error: String(err && err.message || err), code: err && err.code });
} finally {
  try { db && db.close(); } catch {}
}
`;

const driverPath = () => createRequire(import.meta.url).resolve('better-sqlite3');

/** Runs `PRAGMA quick_check(maxErrors)` on the file at `path` (a missing file is ok: it will be created). */
export function quickCheck(path: string, opts: { maxErrors?: number; timeoutMs?: number } = {}): Promise<IntegrityResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  if (path === ':memory:' || !existsSync(path)) return Promise.resolve({ status: 'ok', ms: 0 });
  const maxErrors = Math.max(1, Math.floor(opts.maxErrors ?? 20));
  return new Promise((resolve) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { path, maxErrors, driver: driverPath() } });
    let settled = false;
    const done = (r: IntegrityResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      done({ status: 'timeout', ms: ms() });
      void worker.terminate();
    }, opts.timeoutMs ?? 60_000);
    timer.unref();
    worker.unref();
    worker.once('message', (m: { rows?: string[]; error?: string; code?: string }) => {
      if (m.rows) done(m.rows.length === 1 && m.rows[0] === 'ok' ? { status: 'ok', ms: ms() } : { status: 'corrupt', ms: ms(), problems: m.rows });
      else if (isCorruptionError({ code: m.code })) done({ status: 'corrupt', ms: ms(), problems: [m.error ?? 'database disk image is malformed'] });
      else done({ status: 'error', ms: ms(), error: m.error ?? 'unknown error' });
    });
    worker.once('error', (err) => done({ status: 'error', ms: ms(), error: err.message }));
    worker.once('exit', (code) => done({ status: 'error', ms: ms(), error: `the check stopped (worker exit code ${code})` }));
  });
}

/** One line for the log, /healthz and the admin page. */
export function describeIntegrity(r: IntegrityResult): string {
  if (r.status === 'corrupt') return `PRAGMA quick_check found damage: ${r.problems.slice(0, 3).join('; ')}${r.problems.length > 3 ? ` (and ${r.problems.length - 3} more)` : ''}`;
  if (r.status === 'timeout') return `the integrity check (PRAGMA quick_check) did not finish within ${r.ms} ms`;
  if (r.status === 'error') return `the integrity check could not run: ${r.error}`;
  return 'ok';
}
