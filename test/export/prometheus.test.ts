import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { LATENCY_BUCKETS } from '../../src/export/run-metrics.js';
import { createLogger } from '../../src/log.js';
import { startHalftime, type Halftime } from '../../src/main.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';

/**
 * A real Prometheus (Debian's package) scrapes halftime every second for about half a minute while
 * halftime checks a target with a known latency distribution. What Prometheus computes from
 * halftime's histogram must agree with what halftime itself says about the same runs.
 */
const PROMETHEUS = '/usr/bin/prometheus';
const TOKEN = 'scrape-token-0123456789';
const SCRAPE_SECONDS = Number(process.env.HALFTIME_PROM_TEST_SECONDS ?? 30);

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A small deterministic generator, so the latency mix is the same on every run of the test. */
function lcg(seed: number) {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

type PromResult = { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] };

describe('a real Prometheus scraping /metrics', () => {
  let target: TestServer;
  let ht: Halftime;
  let tmp: ReturnType<typeof tempDir>;
  let prom: ChildProcess | undefined;
  let promUrl = '';
  let promLog = '';

  const query = async (q: string, time?: number): Promise<PromResult[]> => {
    const u = new URL('/api/v1/query', promUrl);
    u.searchParams.set('query', q);
    if (time !== undefined) u.searchParams.set('time', String(time));
    const body = (await (await fetch(u)).json()) as { status: string; data: { result: PromResult[] }; error?: string };
    if (body.status !== 'success') throw new Error(`PromQL ${q}: ${body.error}`);
    return body.data.result;
  };

  beforeAll(async () => {
    if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: install Debian's prometheus package (.ci/run does)`);
    tmp = tempDir();
    // Latency mix: 85 % of requests in 15–45 ms, 15 % in 120–180 ms, so p95 lies in the slow group.
    const next = lcg(42);
    target = await startServer((_req, res) => {
      const r = next();
      const ms = r < 0.85 ? 15 + next() * 30 : 120 + next() * 60;
      setTimeout(() => res.end('ok'), ms);
    });
    const yaml = `
metrics: { token: ${TOKEN} }
monitors:
  - name: Checkout
    id: checkout
    every: 1s
    steps:
      - { name: pay, url: "${target.url}/pay" }
`;
    ht = await startHalftime({ loaded: parseConfigText(yaml, 'test.yaml', {}), dbPath: join(tmp.dir, 'h.db'), port: 0, host: '127.0.0.1', logger: createLogger({ quiet: true }) });
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const target0 = new URL(ht.url).host;
    writeFileSync(
      join(tmp.dir, 'prometheus.yml'),
      `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: halftime
    authorization: { type: Bearer, credentials: ${TOKEN} }
    static_configs: [{ targets: ['${target0}'] }]
  - job_name: halftime-no-token
    static_configs: [{ targets: ['${target0}'] }]
`,
    );
    prom = spawn(
      PROMETHEUS,
      [`--config.file=${join(tmp.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tmp.dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=exemplar-storage', '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prom.stderr!.on('data', (d: Buffer) => (promLog = (promLog + d.toString()).slice(-4000)));
    for (let i = 0; i < 100; i++) {
      const ready = await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (prom.exitCode !== null) throw new Error(`prometheus exited (${prom.exitCode}): ${promLog}`);
      await sleep(100);
    }
    // Scrape for SCRAPE_SECONDS (bounded), then stop the probes so the last scrapes see every run.
    const until = Date.now() + SCRAPE_SECONDS * 1000;
    while (Date.now() < until) await sleep(500);
    await ht.scheduler.stop(5000);
    await ht.store.writer.flush();
    await sleep(3000);
  }, 120_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      prom.kill('SIGTERM');
      await new Promise((r) => prom!.once('exit', r));
    }
    await ht?.stop(2000);
    await target?.close();
    tmp?.cleanup();
  });

  it('scrapes halftime (up = 1) with the token, and is refused (401) without it', async () => {
    const up = await query('up');
    const by = (job: string) => up.find((r) => r.metric.job === job)?.value?.[1];
    expect(by('halftime'), promLog).toBe('1');
    expect(by('halftime-no-token')).toBe('0');
    const targets = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: { job: string }; lastError: string; health: string }[] } };
    const refused = targets.data.activeTargets.find((t) => t.labels.job === 'halftime-no-token')!;
    expect(refused.health).toBe('down');
    expect(refused.lastError).toContain('401');
  });

  it("agrees with halftime's own p95 for the same window, within the bucket width", async () => {
    // The raw samples of the run count: the window is first to last scrape.
    const [count] = await query('halftime_check_duration_seconds_count{job="halftime",monitor="checkout"}[10m]');
    const samples = count.values!;
    const [t0, n0] = [samples[0][0], Number(samples[0][1])];
    const [t1, n1] = [samples[samples.length - 1][0], Number(samples[samples.length - 1][1])];
    expect(n1 - n0).toBeGreaterThanOrEqual(Math.floor(SCRAPE_SECONDS * 0.6));
    // A range exactly from the first to the last sample: rate() needs no extrapolation at either end.
    const windowMs = Math.round((t1 - t0) * 1000);
    const [q] = await query(`histogram_quantile(0.95, sum by (le) (rate(halftime_check_duration_seconds_bucket{job="halftime"}[${windowMs}ms])))`, t1);
    const promP95 = Number(q.value![1]);

    // halftime's own answer over the same runs: the ones counted between those two scrapes. One
    // monitor runs one at a time, so runs reach the metrics in the order they started.
    const runs = (await ht.store.runs.list({ monitor: 'checkout', limit: 500 })).reverse();
    expect(runs.every((r) => r.ok)).toBe(true);
    expect(runs.length).toBe(n1);
    const window = runs.slice(n0, n1);
    const own = await ht.store.latency({ monitorKey: 'checkout', percentile: 0.95, from: window[0].startedAt, to: window[window.length - 1].startedAt + 1 });
    expect(own.samples).toBe(n1 - n0);
    const htP95 = own.value! / 1000;
    // The distribution is known: p95 lies in the slow group.
    expect(htP95).toBeGreaterThan(0.12);
    expect(htP95).toBeLessThan(0.25);
    const i = LATENCY_BUCKETS.findIndex((b) => htP95 <= b);
    const width = LATENCY_BUCKETS[i] - (LATENCY_BUCKETS[i - 1] ?? 0);
    expect(Math.abs(promP95 - htP95), `Prometheus p95 ${promP95}, halftime p95 ${htP95}, bucket width ${width}`).toBeLessThanOrEqual(width);
  });

  it('stores the exemplars (OpenMetrics) with the trace ids halftime stored for those runs', async () => {
    const end = Date.now() / 1000;
    const u = new URL('/api/v1/query_exemplars', promUrl);
    u.searchParams.set('query', 'halftime_check_duration_seconds_bucket{job="halftime"}');
    u.searchParams.set('start', String(end - 600));
    u.searchParams.set('end', String(end));
    const body = (await (await fetch(u)).json()) as { data: { exemplars: { labels: { trace_id: string }; value: string }[] }[] };
    const traceIds = body.data.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id));
    expect(traceIds.length).toBeGreaterThan(0);
    const stored = new Set((await ht.store.runs.list({ monitor: 'checkout', limit: 500 })).map((r) => r.traceId));
    for (const id of traceIds) expect(stored.has(id)).toBe(true);
  });

  it('answers every query of the Grafana dashboard (examples/grafana/halftime.json)', async () => {
    type Panel = { title: string; type: string; targets?: { expr: string }[] };
    const dash = JSON.parse(readFileSync(new URL('../../examples/grafana/halftime.json', import.meta.url), 'utf8')) as { panels: Panel[]; templating: { list: { name: string; query: unknown }[] } };
    const fill = (expr: string) => expr.replaceAll('$monitor', '.*').replaceAll('$step', '.*').replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m');
    const empty: string[] = [];
    for (const p of dash.panels.filter((x) => x.type !== 'row')) {
      for (const t of p.targets ?? []) {
        const result = await query(fill(t.expr)); // throws with Prometheus' error on a bad query
        if (result.length === 0) empty.push(p.title);
      }
    }
    // Without failures, degraded rules or OTLP those panels are empty; all the others show data.
    expect([...new Set(empty)].sort()).toEqual(['Degraded rules: measured vs threshold', 'Failures by code', 'OTLP export'].sort());
    const monitors = await query('group by (monitor) (halftime_check_runs_total)');
    expect(monitors.map((m) => m.metric.monitor)).toEqual(['checkout']);
  });
});
