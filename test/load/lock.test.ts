import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireBurstLock, BurstLocked } from '../../src/load/lock.js';
import { parseConfigText } from '../../src/configure.js';
import { BurstBusy, createLoadControl } from '../../src/load/control.js';
import { openStore } from '../../src/store/index.js';
import { startServer, tempDir, type TestServer } from '../helpers.js';

let tmp: ReturnType<typeof tempDir>;
let other: ChildProcess | undefined;
let target: TestServer;
beforeAll(async () => {
  tmp = tempDir();
  target = await startServer((_req, res) => res.end('ok'));
});
afterAll(async () => {
  await target.close();
  tmp.cleanup();
});
afterEach(() => {
  other?.kill();
  other = undefined;
});

/** Another live process, holding the lock of `db` as `halftime load` would write it. */
function otherProcessHolds(db: string, what: string) {
  other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  writeFileSync(`${db}.burst-lock`, JSON.stringify({ pid: other.pid, what, since: Date.now() }));
}

describe('the burst lock beside the database', () => {
  it('is taken, refused to another holder while that process lives, and released', () => {
    const db = join(tmp.dir, 'a.db');
    const lock = acquireBurstLock(db, 'first');
    expect(JSON.parse(readFileSync(`${db}.burst-lock`, 'utf8'))).toMatchObject({ pid: process.pid, what: 'first' });
    lock.release();
    expect(existsSync(`${db}.burst-lock`)).toBe(false);
    otherProcessHolds(db, 'halftime load shop');
    expect(() => acquireBurstLock(db, 'second')).toThrow(BurstLocked);
    expect(() => acquireBurstLock(db, 'second')).toThrow(/another load check is running on this database: halftime load shop \(process \d+/);
  });

  it('takes over a lock left by a process that is gone, or by this process itself', () => {
    const db = join(tmp.dir, 'b.db');
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(`${db}.burst-lock`, JSON.stringify({ pid: Number(gone.stdout.trim()), what: 'crashed', since: Date.now() }));
    acquireBurstLock(db, 'after a crash').release();
    writeFileSync(`${db}.burst-lock`, JSON.stringify({ pid: process.pid, what: 'left over', since: Date.now() }));
    const again = acquireBurstLock(db, 'again');
    expect(JSON.parse(readFileSync(`${db}.burst-lock`, 'utf8')).what).toBe('again');
    again.release();
  });

  it('keeps the server from starting a burst while `halftime load` runs on the same database, and the other way round', async () => {
    const db = join(tmp.dir, 'serve.db');
    const config = join(tmp.dir, 'lock.yaml');
    const yaml = `load: { allowHosts: [127.0.0.1] }\nmonitors:\n  - name: Shop\n    steps: [{ name: home, url: "${target.url}/" }]\n    load: { users: 1, duration: 1s }\n`;
    writeFileSync(config, yaml);
    const store = await openStore(db, [{ key: 'shop', name: 'Shop', public: false, schedule: 'every 60s' }]);
    const control = createLoadControl({ loaded: parseConfigText(yaml, config), loadRuns: store.loadRuns, dbPath: db });
    try {
      otherProcessHolds(db, 'halftime load shop');
      await expect(control.start('shop')).rejects.toThrow(BurstBusy);
      await expect(control.start('shop')).rejects.toThrow(/halftime load shop/);
      expect(await store.loadRuns.list({ limit: 10 })).toEqual([]);
      other!.kill();
      other = undefined;
      await new Promise((r) => setTimeout(r, 100));
      // The server runs one now; `halftime load` on the same database is refused meanwhile (exit 2).
      const { done } = await control.start('shop');
      const bin = new URL('../../bin/halftime.js', import.meta.url).pathname;
      const cli = spawnSync(process.execPath, [bin, 'load', 'shop', '--config', config, '--db', db], { encoding: 'utf8', timeout: 30_000 });
      expect(cli.status).toBe(2);
      expect(cli.stderr).toContain('another load check is running on this database: "shop" (admin, halftime serve)');
      expect((await done)?.requests).toBeGreaterThan(0);
      expect(existsSync(`${db}.burst-lock`)).toBe(false);
    } finally {
      await control.close();
      await store.close();
    }
  });
});
