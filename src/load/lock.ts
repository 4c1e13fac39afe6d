/**
 * One burst at a time per database, across processes: `halftime serve` (admin form, API, cron) and
 * `halftime load` both take a lock file beside the SQLite file before a burst starts, so two bursts
 * never load the same target at once and skew each other's figures. A lock left behind by a process
 * that is gone (a crash, kill -9) is taken over.
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type BurstLockHolder = { pid: number; what: string; since: number };

export class BurstLocked extends Error {
  constructor(readonly holder: BurstLockHolder) {
    super(
      `another load check is running on this database: ${holder.what} (process ${holder.pid}, since ${new Date(holder.since).toISOString()}); only one burst runs at a time. Stop it or wait until it ends.`,
    );
    this.name = 'BurstLocked';
  }
}

export type BurstLock = { release(): void };

const NO_LOCK: BurstLock = { release() {} };

function holderOf(path: string): BurstLockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as BurstLockHolder;
    return Number.isInteger(h.pid) ? h : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the burst lock of the database at `dbPath` for `what` (shown to whoever finds it taken).
 * Throws BurstLocked while another live process holds it. An in-memory database, or one whose
 * folder does not exist, has nothing to share: no lock.
 */
export function acquireBurstLock(dbPath: string, what: string): BurstLock {
  if (dbPath === ':memory:' || !existsSync(dirname(dbPath))) return NO_LOCK;
  const path = `${dbPath}.burst-lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = holderOf(path);
      // This process runs one burst at a time itself, so a lock in its own name is left over.
      if (holder && holder.pid !== process.pid && alive(holder.pid)) throw new BurstLocked(holder);
      // Unreadable (being written this instant) on the first tries; gone or left over: take it over.
      if (!holder && attempt === 0) continue;
      try {
        unlinkSync(path);
      } catch {
        /* someone else took it over first */
      }
      continue;
    }
    writeSync(fd, JSON.stringify({ pid: process.pid, what, since: Date.now() } satisfies BurstLockHolder));
    closeSync(fd);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        try {
          if (holderOf(path)?.pid === process.pid) unlinkSync(path);
        } catch {
          /* already gone */
        }
      },
    };
  }
  const holder = holderOf(path);
  if (holder) throw new BurstLocked(holder);
  throw new Error(`could not take the burst lock ${path}`);
}
