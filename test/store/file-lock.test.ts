/** The one lock file mechanism (server and bursts): holders on this host by process, on others by heartbeat. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireFileLock, FileLocked, processStartTime } from '../../src/store/file-lock.js';
import { acquireServeLock, DatabaseLocked } from '../../src/store/serve-lock.js';
import { sleep, tempDir } from '../helpers.js';

let tmp: ReturnType<typeof tempDir>;
let other: ChildProcess | undefined;
beforeAll(() => {
  tmp = tempDir();
});
afterEach(() => {
  other?.kill();
  other = undefined;
});
afterAll(() => tmp.cleanup());

const liveProcess = () => (other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' }));

describe('file lock', () => {
  it('names its holder (pid, host, start time, what, since) and refuses others while that process lives', () => {
    const path = join(tmp.dir, 'a.lock');
    const lock = acquireFileLock(path, 'first');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname(), started: processStartTime(process.pid), what: 'first' });
    lock.release();
    expect(existsSync(path)).toBe(false);
    const child = liveProcess();
    writeFileSync(path, JSON.stringify({ pid: child.pid, host: hostname(), started: processStartTime(child.pid!), what: 'the other', since: 1 }));
    expect(() => acquireFileLock(path, 'second')).toThrow(FileLocked);
    expect(() => acquireFileLock(path, 'second')).toThrow(`${path} is held by the other (process ${child.pid} on host ${hostname()}, since 1970-01-01T00:00:00.001Z)`);
  });

  it('takes over a lock whose process is gone, or whose process id now belongs to a process started later', () => {
    const path = join(tmp.dir, 'b.lock');
    const gone = Number(spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim());
    writeFileSync(path, JSON.stringify({ pid: gone, host: hostname(), what: 'crashed', since: 1 }));
    acquireFileLock(path, 'after a crash').release();
    // The id is alive, but it is another process than the one that wrote the lock (a reused pid).
    const child = liveProcess();
    writeFileSync(path, JSON.stringify({ pid: child.pid, host: hostname(), started: '1', what: 'before a reboot', since: 1 }));
    const l = acquireFileLock(path, 'new');
    expect(JSON.parse(readFileSync(path, 'utf8')).what).toBe('new');
    l.release();
  });

  it('a lock from another host is held while its heartbeat is fresh, and taken over once it is stale', () => {
    const path = join(tmp.dir, 'c.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: 'other-host', what: 'halftime serve', since: 1 }));
    expect(() => acquireFileLock(path, 'here', { staleAfterMs: 30_000 })).toThrow(/process 1 on host other-host/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    const l = acquireFileLock(path, 'here', { staleAfterMs: 30_000 });
    expect(JSON.parse(readFileSync(path, 'utf8')).host).toBe(hostname());
    l.release();
  });

  it('keeps its heartbeat fresh and reports a lock taken away from it', async () => {
    const path = join(tmp.dir, 'd.lock');
    const lost: unknown[] = [];
    const l = acquireFileLock(path, 'me', { heartbeatMs: 20, onLost: (h) => lost.push(h) });
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    for (let i = 0; i < 100 && Date.now() - statSync(path).mtimeMs > 10_000; i++) await sleep(10);
    expect(Date.now() - statSync(path).mtimeMs).toBeLessThan(10_000);
    writeFileSync(path, JSON.stringify({ pid: 1, host: 'intruder', what: 'x', since: 1, token: 'other' }));
    for (let i = 0; i < 100 && lost.length === 0; i++) await sleep(10);
    expect(lost).toMatchObject([{ host: 'intruder' }]);
    l.release(); // not ours any more: left alone
    expect(existsSync(path)).toBe(true);
  });

  it('the server lock names the database file and the holder', () => {
    const db = join(tmp.dir, 'x.db');
    const child = liveProcess();
    writeFileSync(`${db}.serve-lock`, JSON.stringify({ pid: child.pid, host: hostname(), what: 'halftime serve', since: Date.UTC(2026, 10, 23, 10) }));
    expect(() => acquireServeLock(db)).toThrow(DatabaseLocked);
    expect(() => acquireServeLock(db)).toThrow(`another halftime serve is using the database ${db}: process ${child.pid} on host ${hostname()}, since 2026-11-23T10:00:00.000Z`);
    expect(acquireServeLock(':memory:')).toBeUndefined();
  });
});
