/**
 * A database with pages overwritten with garbage: `halftime serve` refuses to start (exit 1) with a
 * message naming the file, what PRAGMA quick_check found and how to recover — instead of serving as
 * if nothing were wrong. Damage found later by the daily check makes /healthz 503 and shows on the
 * admin health page.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime } from '../../src/main.js';
import { openStore, storeSql } from '../../src/store/index.js';
import { quickCheck } from '../../src/store/integrity.js';
import { startServer, tempDir, type TestServer } from '../helpers.js';
import { startServeChild } from './ops-serve-child.js';

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
beforeAll(async () => {
  tmp = tempDir();
  target = await startServer((_req, res) => res.end('ok'));
});
afterAll(async () => {
  await target.close();
  tmp.cleanup();
});

/** A closed database with a few thousand runs (many pages of the runs table and its indexes). */
async function populated(path: string) {
  const store = await openStore(path, [{ key: 'shop', name: 'Shop', public: true, schedule: 'every 1m' }]);
  const t0 = Date.UTC(2026, 10, 1);
  for (let i = 0; i < 3000; i++) {
    store.writer.write({
      monitorId: 'shop',
      plannedAt: t0 + i * 60_000,
      startedAt: t0 + i * 60_000,
      durationMs: 50 + (i % 40),
      ok: i % 17 !== 0,
      failure: i % 17 !== 0 ? undefined : { code: 'status', message: 'expected 200, got 503', step: 0 },
      steps: [],
    });
  }
  await store.writer.flush();
  await store.close();
}

/** Overwrites pages in the middle of the file with random bytes (the header page stays, so it still opens). */
function garble(path: string) {
  const pages = Math.floor(statSync(path).size / 4096);
  const fd = openSync(path, 'r+');
  try {
    for (const p of [Math.floor(pages / 3), Math.floor(pages / 2), Math.floor(pages / 2) + 1, pages - 2]) writeSync(fd, randomBytes(4096), 0, 4096, p * 4096);
  } finally {
    closeSync(fd);
  }
}

describe('a damaged database', () => {
  it('is refused at start: exit 1, the file, the findings and the way out named', async () => {
    const db = join(tmp.dir, 'damaged.db');
    await populated(db);
    garble(db);
    const config = join(tmp.dir, 'c.yaml');
    writeFileSync(config, `monitors:\n  - { name: Shop, every: 1m, steps: [{ url: "${target.url}/" }] }\n`);
    const serve = await startServeChild(['--config', config, '--db', db, '--port', '0'], { cwd: tmp.dir });
    expect(serve.url).toBeUndefined();
    expect(await serve.exited).toBe(1);
    const err = serve.stderr();
    expect(err).toContain(`halftime: not starting: the database ${db} is damaged; PRAGMA quick_check found:`);
    expect(err).toContain('.recover');
    expect(err).not.toMatch(/\n\s+at /); // a sentence, not a stack trace
  }, 60_000);

  it('found by the periodic check while running: /healthz 503 with the reason, and the admin health page says so', async () => {
    const db = join(tmp.dir, 'later.db');
    await populated(db);
    const lines: string[] = [];
    const ht = await startHalftime({
      loaded: parseConfigText(`monitors:\n  - { name: Shop, every: 1m, steps: [{ url: "${target.url}/" }] }\n`, 'c.yaml'),
      dbPath: db,
      port: 0,
      host: '127.0.0.1',
      adminPassword: 'a long enough password',
      logger: createLogger({ write: (l) => lines.push(l) }),
    });
    try {
      expect((await fetch(`${ht.url}/healthz`)).status).toBe(200);
      await storeSql(ht.store).exec('PRAGMA wal_checkpoint(TRUNCATE)');
      garble(db);
      expect((await quickCheck(db)).status).toBe('corrupt');
      const found = await ht.checkIntegrity();
      expect(found.status).toBe('corrupt');
      const res = await fetch(`${ht.url}/healthz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { problems: { check: string; reason: string }[] };
      expect(body.problems.find((p) => p.check === 'database')?.reason).toMatch(/^database damaged: PRAGMA quick_check found damage: /);
      expect(lines.filter((l) => l.includes('unhealthy: database'))).toHaveLength(1);
      expect(lines.some((l) => l.includes('error the database is damaged'))).toBe(true);
      // The admin's health page shows the same reason (logged in through the real login form).
      const login = await fetch(`${ht.url}/login`);
      const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const token = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1];
      const session = await fetch(`${ht.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { origin: ht.url, cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token, username: 'admin', password: 'a long enough password', next: '/admin/health' }),
      });
      expect(session.status).toBe(303);
      expect(session.headers.get('location')).toBe('/admin/health');
      const sessionCookie = session.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const page = await (await fetch(`${ht.url}/admin/health`, { headers: { cookie: sessionCookie } })).text();
      expect(page).toContain('Unhealthy');
      expect(page).toContain('database damaged: PRAGMA quick_check found damage');
      expect(page).toMatch(/DAMAGE FOUND/);
    } finally {
      await ht.stop(1_000);
    }
  }, 60_000);
});
