import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { acquireFileLock, describeHolder, FileLocked, type FileLock, type LockHolder } from './file-lock.js';

/** Another `halftime serve` holds the database: a second writer would run every check and alert twice. */
export class DatabaseLocked extends Error {
  constructor(
    readonly dbPath: string,
    readonly holder: LockHolder,
  ) {
    super(
      `another halftime serve is using the database ${dbPath}: ${describeHolder(holder)} (lock file ${dbPath}.serve-lock). ` +
        'One server per database file: stop the other one first (a lock left by a process that is gone is taken over on start).',
    );
    this.name = 'DatabaseLocked';
  }
}

/**
 * One server per SQLite file: taken by `halftime serve` before it opens the database, held until it
 * has closed it. `halftime load` does not take it (it takes the burst lock), so a burst from the
 * command line still runs beside a server. An in-memory database has nothing to share: no lock.
 */
export function acquireServeLock(dbPath: string, opts: { onLost?: (holder: LockHolder | undefined) => void } = {}): FileLock | undefined {
  if (dbPath === ':memory:') return undefined;
  const abs = resolve(dbPath);
  // The lock is taken before the database is opened, which would create its folder: create it here.
  mkdirSync(dirname(abs), { recursive: true });
  try {
    return acquireFileLock(`${abs}.serve-lock`, 'halftime serve', { onLost: opts.onLost });
  } catch (err) {
    if (err instanceof FileLocked) throw new DatabaseLocked(abs, err.holder);
    throw err;
  }
}
