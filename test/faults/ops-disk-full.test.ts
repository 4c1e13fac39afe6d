/**
 * Disk full: the database lives on a small tmpfs that a filler file then fills. Every write and every
 * alert evaluation fails; /healthz must answer 503 naming both (not 200 {"ok":true}), the log must say
 * it once, not per failure; when space returns, the results kept in memory are written and /healthz
 * is 200 again. Needs root to mount a tmpfs (CI has it); elsewhere it is skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime, type Halftime } from '../../src/main.js';
import { storeSql } from '../../src/store/index.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';

let tmp: ReturnType<typeof tempDir>;
let mountDir = '';
let cannotMount: string | undefined;
let target: TestServer;
beforeAll(async () => {
  tmp = tempDir();
  mountDir = join(tmp.dir, 'small');
  mkdirSync(mountDir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mountDir], { stdio: 'pipe' });
  } catch (err) {
    cannotMount = `cannot mount a tmpfs here (${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message}); needs root`;
    console.warn(`skipping the disk-full fault test: ${cannotMount}`);
  }
  target = await startServer((req, res) => {
    res.writeHead(req.url === '/broken' ? 500 : 200).end('x'.repeat(200));
  });
});
afterAll(async () => {
  await target.close();
  if (!cannotMount) execFileSync('umount', ['-l', mountDir]);
  tmp.cleanup();
});

/** Fills the file system holding `dir` with one file; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 100_000; i++) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // The last bytes too: a write that fits only partly.
  try {
    const fd2 = openSync(join(dir, 'filler-2'), 'w');
    try {
      for (let i = 0; i < 10_000; i++) writeSync(fd2, Buffer.alloc(512, 1));
    } finally {
      closeSync(fd2);
    }
  } catch {
    /* full */
  }
  return path;
}

async function healthz(url: string) {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; problems: { check: string; reason: string; since: string }[] } };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (let i = 0; Date.now() < end && i < 1000; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('disk full', () => {
  it('answers 503 naming failing writes and alert evaluation, logs it once, and recovers when space returns', async (ctx) => {
    if (cannotMount) return ctx.skip();
    const lines: string[] = [];
    const yaml = `
alerts:
  channels:
    hook: { type: webhook, url: "${target.url}/hook" }
monitors:
  - { name: Shop, every: 1s, steps: [{ url: "${target.url}/" }] }
  - { name: Broken, every: 1s, steps: [{ url: "${target.url}/broken" }], alerts: { down: { after: 1000 } } }
`;
    let ht: Halftime | undefined;
    try {
      ht = await startHalftime({
        loaded: parseConfigText(yaml, 'disk.yaml'),
        dbPath: join(mountDir, 'halftime.db'),
        port: 0,
        host: '127.0.0.1',
        logger: createLogger({ write: (l) => lines.push(l) }),
        healthEveryMs: 250,
      });
      const url = ht.url;
      await until('a first run stored', async () => (ht!.store.writer.written > 2 ? true : undefined));
      expect((await healthz(url)).status).toBe(200);

      const filler = fill(mountDir);
      const fullAt = Date.now();
      const sick = await until('/healthz 503 with writes and alerting', async () => {
        const h = await healthz(url);
        const checks = h.body.problems.map((p) => p.check);
        return h.status === 503 && checks.includes('writes') && checks.includes('alerting') ? h.body : undefined;
      });
      const writes = sick.problems.find((p) => p.check === 'writes')!;
      expect(writes.reason).toMatch(/^writes failing since \d{4}-\d\d-\d\dT.*: database or disk is full — \d+ check results wait in memory/);
      expect(sick.problems.find((p) => p.check === 'alerting')!.reason).toContain('alert evaluation fails: database or disk is full');
      expect(sick.ok).toBe(false);
      // Several failed writes later, the log still says it once.
      const failuresBefore = ht.store.writer.health().failures;
      await until('more failed writes', async () => (ht!.store.writer.health().failures >= failuresBefore + 3 ? true : undefined));
      expect(lines.filter((l) => l.includes('unhealthy: writes'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('unhealthy: alerting'))).toHaveLength(1);

      unlinkSync(filler);
      rmSync(join(mountDir, 'filler-2'), { force: true });
      const freedAt = Date.now();
      await until('/healthz 200 again', async () => {
        const h = await healthz(url);
        return h.status === 200 ? true : undefined;
      });
      expect(lines.filter((l) => l.includes('healthy again: writes'))).toHaveLength(1);
      // The runs made while the disk was full were kept in memory and written once space came back.
      await ht.store.writer.flush();
      const [during] = await storeSql(ht.store).pluck<number>('SELECT count(*) FROM runs WHERE started_at > ? AND started_at < ?', [fullAt + 500, freedAt]);
      expect(during).toBeGreaterThan(0);
      expect(ht.store.writer.health()).toMatchObject({ failingSince: null, dropped: 0 });
    } finally {
      await ht?.stop(2_000);
    }
  }, 120_000);
});
