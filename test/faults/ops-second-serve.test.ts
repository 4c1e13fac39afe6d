/**
 * One writer per database: a second `halftime serve` on the same SQLite file refuses to start (exit
 * code 2) naming the file and the holder; `halftime load` still runs beside the server (bursts have
 * their own lock); a lock left by a server killed with kill -9 is taken over. Real child processes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type TestServer } from '../helpers.js';
import { BIN, startServeChild, type ServeChild } from './ops-serve-child.js';

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
const children: ServeChild[] = [];
beforeAll(async () => {
  tmp = tempDir();
  target = await startServer((_req, res) => res.end('ok'));
});
afterEach(async () => {
  for (const c of children.splice(0)) await c.kill9();
});
afterAll(async () => {
  await target.close();
  tmp.cleanup();
});

describe('one server per database', () => {
  it('refuses a second serve (exit 2, the file and the holder named), lets halftime load run beside it, and takes over after kill -9', async () => {
    const db = join(tmp.dir, 'shared.db');
    const config = join(tmp.dir, 'halftime.yaml');
    writeFileSync(
      config,
      `load: { allowHosts: [127.0.0.1] }\nmonitors:\n  - name: Shop\n    every: 2s\n    steps: [{ name: home, url: "${target.url}/" }]\n    load: { users: 1, duration: 1s }\n`,
    );
    const args = ['--config', config, '--db', db, '--port', '0'];
    const first = await startServeChild(args, { cwd: tmp.dir });
    children.push(first);
    expect(first.url).toBeDefined();
    const lock = JSON.parse(readFileSync(`${db}.serve-lock`, 'utf8'));
    expect(lock).toMatchObject({ pid: first.pid, host: hostname(), what: 'halftime serve' });

    const second = await startServeChild(args, { cwd: tmp.dir });
    children.push(second);
    expect(second.url).toBeUndefined();
    expect(await second.exited).toBe(2);
    const message = second.stderr();
    expect(message).toContain(`another halftime serve is using the database ${db}`);
    expect(message).toContain(`process ${first.pid} on host ${hostname()}, since ${new Date(lock.since).toISOString()}`);
    // The first one is untouched and still the only writer.
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);

    // A burst from the command line on the same database runs while the server holds it.
    const load = spawnSync(process.execPath, [BIN, 'load', 'shop', '--config', config, '--db', db], { cwd: tmp.dir, encoding: 'utf8', timeout: 60_000 });
    expect(load.stderr).not.toContain('another');
    expect(load.status).toBe(0);
    expect(load.stdout).toMatch(/stored as load run #\d+/);

    // kill -9 leaves the lock file behind; the next server takes it over.
    await first.kill9();
    expect(existsSync(`${db}.serve-lock`)).toBe(true);
    const third = await startServeChild(args, { cwd: tmp.dir });
    children.push(third);
    expect(third.url).toBeDefined();
    expect(JSON.parse(readFileSync(`${db}.serve-lock`, 'utf8')).pid).toBe(third.pid);
    const code = await third.stop();
    expect(code, third.stderr()).toBe(0);
    // A clean stop leaves nothing behind.
    expect(existsSync(`${db}.serve-lock`)).toBe(false);
  }, 120_000);
});
