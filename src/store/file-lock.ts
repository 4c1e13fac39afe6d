/**
 * A lock file beside the database, for duties that must have one holder at a time: the server that
 * writes the database (`<db>.serve-lock`) and the one burst that may run on it (`<db>.burst-lock`).
 *
 * The file is created exclusively (O_EXCL) and names its holder: process id, host, start time of that
 * process, what it is doing and since when. While held, its modification time is refreshed every few
 * seconds (the heartbeat). A lock whose holder is gone is taken over:
 * - on this host: the process id is dead, or now belongs to a process started at another time (a
 *   reused id, e.g. a container's pid 1 after a restart);
 * - on another host (a shared volume, a recreated container with a new hostname): no heartbeat for
 *   `staleAfterMs`.
 * Each refresh also checks that the file still names this holder, and reports a lost lock.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export type LockHolder = {
  pid: number;
  /** os.hostname() of the holder (absent in locks written by older versions: read as this host). */
  host?: string;
  /** Start time of the holder process (Linux /proc clock ticks), to tell a reused process id apart. */
  started?: string;
  what: string;
  since: number;
  token?: string;
};

export class FileLocked extends Error {
  constructor(
    readonly path: string,
    readonly holder: LockHolder,
    message: string,
  ) {
    super(message);
    this.name = 'FileLocked';
  }
}

export type FileLock = {
  readonly path: string;
  readonly holder: LockHolder;
  release(): void;
};

export type FileLockOptions = {
  /** How the refusal reads (default: "<path> is held by …"). */
  describe?: (holder: LockHolder, path: string) => string;
  /** A lock from another host without a heartbeat for this long is taken over (default 30 s). */
  staleAfterMs?: number;
  /** How often the holder refreshes the file (default 5 s). */
  heartbeatMs?: number;
  /** The lock file was removed or taken by someone else while held. */
  onLost?: (holder: LockHolder | undefined) => void;
  now?: () => number;
};

const HOST = hostname();

/** The start time of a process (field 22 of /proc/<pid>/stat), or undefined where /proc is not there. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.since === 'number' ? h : undefined;
  } catch {
    return undefined;
  }
}

export function describeHolder(h: LockHolder): string {
  return `process ${h.pid} on host ${h.host ?? HOST}, since ${new Date(h.since).toISOString()}`;
}

/** Whether the holder named in a lock file is still there (see the module comment). */
function holderAlive(h: LockHolder, path: string, staleAfterMs: number, now: number): boolean {
  if (h.host !== undefined && h.host !== HOST) {
    let beat = 0;
    try {
      beat = statSync(path).mtimeMs;
    } catch {
      return false;
    }
    return now - beat < staleAfterMs;
  }
  // This process takes each lock once; one in its own name is left over from before a restart.
  if (h.pid === process.pid) return false;
  if (!pidAlive(h.pid)) return false;
  if (h.started !== undefined) {
    const started = processStartTime(h.pid);
    if (started !== undefined && started !== h.started) return false;
  }
  return true;
}

/**
 * Takes the lock file at `path` for `what` (shown to whoever finds it taken). Throws FileLocked
 * while a live holder has it.
 */
export function acquireFileLock(path: string, what: string, opts: FileLockOptions = {}): FileLock {
  const now = opts.now ?? Date.now;
  const staleAfterMs = opts.staleAfterMs ?? 30_000;
  const describe = opts.describe ?? ((h: LockHolder, p: string) => `${p} is held by ${h.what} (${describeHolder(h)})`);
  if (!existsSync(dirname(path))) throw new Error(`cannot take the lock ${path}: its folder does not exist`);
  for (let attempt = 0; attempt < 4; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder && holderAlive(holder, path, staleAfterMs, now())) throw new FileLocked(path, holder, describe(holder, path));
      // Unreadable: most likely being written this instant; look again before treating it as garbage.
      if (!holder && attempt === 0) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
      try {
        unlinkSync(path);
      } catch {
        /* someone else took it over first: try again */
      }
      continue;
    }
    const holder: LockHolder = { pid: process.pid, host: HOST, started: processStartTime(process.pid), what, since: now(), token: randomBytes(8).toString('hex') };
    try {
      writeSync(fd, JSON.stringify(holder));
    } finally {
      closeSync(fd);
    }
    return hold(path, holder, opts);
  }
  const holder = readHolder(path);
  if (holder) throw new FileLocked(path, holder, describe(holder, path));
  throw new Error(`could not take the lock ${path}`);
}

function hold(path: string, holder: LockHolder, opts: FileLockOptions): FileLock {
  let released = false;
  let lost = false;
  const mine = () => readHolder(path)?.token === holder.token;
  const beat = setInterval(() => {
    if (released || lost) return;
    if (!mine()) {
      lost = true;
      clearInterval(beat);
      opts.onLost?.(readHolder(path));
      return;
    }
    try {
      const t = new Date();
      utimesSync(path, t, t);
    } catch {
      /* the next beat looks again */
    }
  }, opts.heartbeatMs ?? 5_000);
  beat.unref();
  return {
    path,
    holder,
    release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      try {
        if (mine()) unlinkSync(path);
      } catch {
        /* already gone */
      }
    },
  };
}
