/**
 * One burst at a time per database, across processes: `halftime serve` (admin form, API, cron) and
 * `halftime load` both take a lock file beside the SQLite file before a burst starts, so two bursts
 * never load the same target at once and skew each other's figures. The lock file mechanism is the
 * store's (the same one keeps a second server off the database); a lock left behind by a process
 * that is gone (a crash, kill -9) is taken over.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { acquireFileLock, FileLocked, type LockHolder } from '../store/file-lock.js';

export type BurstLockHolder = LockHolder;

export class BurstLocked extends Error {
  constructor(readonly holder: BurstLockHolder) {
    super(
      `another load check is running on this database: ${holder.what} (process ${holder.pid}${holder.host ? ` on host ${holder.host}` : ''}, since ${new Date(holder.since).toISOString()}); only one burst runs at a time. Stop it or wait until it ends.`,
    );
    this.name = 'BurstLocked';
  }
}

export type BurstLock = { release(): void };

const NO_LOCK: BurstLock = { release() {} };

/**
 * Takes the burst lock of the database at `dbPath` for `what` (shown to whoever finds it taken).
 * Throws BurstLocked while another live process holds it. An in-memory database, or one whose
 * folder does not exist, has nothing to share: no lock.
 */
export function acquireBurstLock(dbPath: string, what: string): BurstLock {
  if (dbPath === ':memory:' || !existsSync(dirname(dbPath))) return NO_LOCK;
  try {
    return acquireFileLock(`${dbPath}.burst-lock`, what);
  } catch (err) {
    if (err instanceof FileLocked) throw new BurstLocked(err.holder);
    throw err;
  }
}
