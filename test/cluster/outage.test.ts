/**
 * The database goes away under a running node (PostgreSQL stopped as a crash would) and comes back:
 * the node says so on /healthz meanwhile, keeps measuring into memory, and writes what it measured
 * once the database answers again — no gap in the history for the outage.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { startServeChild, type ServeChild } from '../faults/ops-serve-child.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';
import { createTestDatabase, startPostgres, type PgCluster } from '../support/postgres.js';

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

describe('the database goes away and comes back', () => {
  let cluster: PgCluster;
  let url: string;
  let tmp: ReturnType<typeof tempDir>;
  let target: TestServer;
  let node: ServeChild | undefined;
  beforeEach(async () => {
    cluster = await startPostgres();
    url = (await createTestDatabase(cluster.url)).url;
    tmp = tempDir();
    target = await startServer((_req, res) => res.writeHead(200).end('ok'));
  });
  afterEach(async () => {
    await node?.kill9();
    node = undefined;
    await target.close();
    cluster.stop();
    tmp.cleanup();
  });

  /** A count from a connection of its own (none is kept across the outage). */
  async function count(text: string, params: unknown[] = []): Promise<number> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return Number((await c.query(text, params)).rows[0].n);
    } finally {
      await c.end();
    }
  }

  it('keeps measuring, reports it on /healthz, and writes the runs of the outage afterwards', async () => {
    const file = join(tmp.dir, 'halftime.yaml');
    writeFileSync(file, `node: { lease: 2s }\nmonitors:\n  - { id: shop, name: Shop, every: 1s, timeout: 2s, steps: [{ url: "${target.url}/" }] }\n`);
    node = await startServeChild(['--config', file, '--port', '0', '--location', 'fra'], { cwd: tmp.dir, env: { HALFTIME_DATABASE_URL: url }, timeoutMs: 60_000 });
    const n = node;
    onTestFailed(() => console.log(`--- node:\n${n.stdout().slice(-6_000)}\n${n.stderr().slice(-3_000)}`));
    await until('the first runs', async () => (await count('SELECT count(*) AS n FROM runs')) >= 3, 30_000);

    const down = Date.now();
    cluster.pause();
    const reported = await until(
      '/healthz to report the database',
      async () => {
        const r = await fetch(`${n.url}/healthz`);
        const b = (await r.json()) as { db: boolean; problems: { check: string; reason: string }[] };
        return r.status === 503 && !b.db && b.problems;
      },
      20_000,
    );
    expect(reported.map((p) => p.check)).toContain('database-connection');
    await sleep(Math.max(0, 6_000 - (Date.now() - down)));
    cluster.resume();
    const up = Date.now();

    await until('/healthz to be ok again', async () => (await fetch(`${n.url}/healthz`)).status === 200, 30_000);
    // The runs measured while the database was away are written: about one a second, none missing.
    const outageSeconds = Math.floor((up - down) / 1000);
    const during = await until(
      'the runs of the outage',
      async () => {
        const c = await count('SELECT count(*) AS n FROM runs WHERE started_at BETWEEN $1 AND $2', [down, up]);
        return c >= outageSeconds - 2 && c;
      },
      20_000,
    );
    console.log(`outage: ${up - down} ms, ${during} runs measured meanwhile and written afterwards`);
    expect(during).toBeGreaterThanOrEqual(outageSeconds - 2);
  }, 120_000);
});
