/**
 * kill -9 of a real `halftime serve` while it writes: the database passes PRAGMA integrity_check,
 * nothing is lost but the batch in flight (runs are written every 500 ms), and the next server takes
 * the lock over and serves. Twice in a row on the same file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';
import { startServeChild, type ServeChild } from './ops-serve-child.js';

const MONITORS = ['alpha', 'bravo', 'charlie', 'delta'];
/** Runs that finished longer ago than this before the kill must be stored (a flush every 500 ms, generous for a busy machine). */
const IN_FLIGHT_MS = 3_000;

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
/** When the target answered each monitor's request (epoch ms). */
const answered = new Map<string, number[]>();
let serve: ServeChild | undefined;
beforeAll(async () => {
  tmp = tempDir();
  target = await startServer((req, res) => {
    const name = (req.url ?? '/').slice(1);
    res.end('ok', () => answered.set(name, [...(answered.get(name) ?? []), Date.now()]));
  });
});
afterEach(async () => {
  await serve?.kill9();
});
afterAll(async () => {
  await target.close();
  tmp.cleanup();
});

describe('kill -9 during writes', () => {
  it('keeps the database intact and loses nothing but the batch in flight, twice in a row', async () => {
    const db = join(tmp.dir, 'k9.db');
    const config = join(tmp.dir, 'k9.yaml');
    writeFileSync(config, `monitors:\n${MONITORS.map((m) => `  - name: ${m}\n    every: 1s\n    steps: [{ url: "${target.url}/${m}" }]\n`).join('')}`);
    for (let round = 0; round < 2; round++) {
      // Each round counts its own runs: the batch lost at the previous kill is not this round's.
      const roundStart = Date.now();
      serve = await startServeChild(['--config', config, '--db', db, '--port', '0'], { cwd: tmp.dir });
      expect(serve.url, serve.stderr()).toBeDefined();
      expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
      // Let it write for a while (every monitor runs once a second).
      const writingUntil = Date.now() + 5_000;
      while (Date.now() < writingUntil) await sleep(200);
      const killedAt = Date.now();
      await serve.kill9();

      const check = new Database(db);
      try {
        expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
        for (const m of MONITORS) {
          const stored = check
            .prepare('SELECT count(*) FROM runs r JOIN monitors mo ON mo.id = r.monitor_id WHERE mo.key = ? AND r.started_at >= ? AND r.started_at < ?')
            .pluck()
            .get(m, roundStart, killedAt - IN_FLIGHT_MS) as number;
          const served = (answered.get(m) ?? []).filter((t) => t >= roundStart && t < killedAt - IN_FLIGHT_MS).length;
          expect(served).toBeGreaterThan(0);
          // Every run the target answered well before the kill is stored (a run starts just before its request).
          expect(stored, `${m} in round ${round}`).toBeGreaterThanOrEqual(served);
        }
        // Nothing stored that the target never saw.
        const all = check.prepare('SELECT count(*) FROM runs').pluck().get() as number;
        expect(all).toBeLessThanOrEqual([...answered.values()].reduce((a, l) => a + l.length, 0));
        // Rollups agree with the raw runs they were written with (one transaction per batch).
        const rolled = check.prepare('SELECT coalesce(sum(runs), 0) FROM rollup_minute WHERE step = -1').pluck().get() as number;
        expect(rolled).toBe(all);
      } finally {
        check.close();
      }
    }
    // After the last kill -9 a new server takes the lock over and starts on the same file.
    serve = await startServeChild(['--config', config, '--db', db, '--port', '0'], { cwd: tmp.dir });
    expect(serve.url, serve.stderr()).toBeDefined();
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    expect(await serve.stop()).toBe(0);
  }, 120_000);
});
