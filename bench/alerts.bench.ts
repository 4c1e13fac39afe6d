/**
 * Cost of judging a run: the latency window and baseline queries, answered both ways side by side —
 * exactly from the raw tables (createRawLatencySource) and by the latency source the engine uses
 * (rollup sketches for long ranges, raw runs for short ones) — and a whole onRun() (flush, evaluate,
 * commit). History: 7 days of a monitor checked every 15 s, two steps. Bounded: fixed history,
 * fixed repetition counts. In a SQLite file; with BENCH_POSTGRES=1 the same again in a fresh
 * PostgreSQL database (a throwaway local cluster, as the tests start one).
 *
 *   npm run bench -- alerts
 *   BENCH_POSTGRES=1 npm run bench -- alerts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlerting } from '../src/alerting/service.js';
import { parseConfigText } from '../src/configure.js';
import type { RunResult } from '../src/probes/types.js';
import { openStore, storeSql } from '../src/store/index.js';
import { createRawLatencySource, type LatencySource } from '../src/store/latency.js';
import { createTestDatabase, startPostgres } from '../test/support/postgres.js';

const DAY = 86_400_000;
const EVERY = 15_000;
const T0 = Date.parse('2026-11-23T10:00:00Z');

function run(t: number, a: number, b: number): RunResult {
  const step = (index: number, name: string, total: number) => ({
    index, name, method: 'GET', url: `http://127.0.0.1:1/${name}`, startedAt: t, ok: true, status: 200,
    timings: { dns: 0, connect: 0, tls: 0, ttfb: total, download: 0, total }, bytes: 1, redirects: 0, headers: {}, evidence: [],
  });
  return { monitorId: 'shop', plannedAt: t, startedAt: t, durationMs: a + b, ok: true, steps: [step(0, 'home', a), step(1, 'pay', b)] };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

async function time(label: string, n: number, fn: () => Promise<unknown>) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  console.log(`${label.padEnd(72)} median ${median(out).toFixed(2)} ms  (n=${n}, min ${Math.min(...out).toFixed(2)}, max ${Math.max(...out).toFixed(2)})`);
}

async function bench(location: string) {
  const loaded = parseConfigText(
    `monitors:
  - id: shop
    name: Shop
    steps: [{ name: home, url: "http://127.0.0.1:1/" }, { name: pay, url: "http://127.0.0.1:1/" }]
    alerts:
      degraded:
        - p95 > 800ms over 10m
        - { rule: "p95 over 10m > 2x baseline 7d", step: pay }
`,
    'bench.yaml',
  );
  const store = await openStore(location, [{ key: 'shop', name: 'Shop', public: true, schedule: '' }], { batchSize: 5000, flushMs: 60_000 });
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const t0 = performance.now();
  let count = 0;
  for (let t = T0 - 7 * DAY; t < T0; t += EVERY, count++) store.writer.write(run(t, 80 + rnd() * 60, 300 + rnd() * 200));
  await store.writer.flush();
  console.log(`history: ${count} runs (${count * 2} step rows) written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const raw = createRawLatencySource(storeSql(store));
  const HOUR = 3_600_000;
  const ranges: [string, number, number, string | null, number][] = [
    ['p95 of run duration over 10 min (40 samples)', T0 - 600_000, T0, null, 200],
    ['p95 of step "pay" over 10 min', T0 - 600_000, T0, 'pay', 200],
    ['p95 of run duration, same hour last week (1 h)', T0 - 7 * DAY, T0 - 7 * DAY + HOUR, null, 50],
    ['p95 of run duration over 7 d', T0 - 7 * DAY, T0 - 600_000, null, 15],
    ['p95 of step "pay" over 7 d', T0 - 7 * DAY, T0 - 600_000, 'pay', 15],
    ['p95 of step "pay" over 7 d, ragged ends (minutes + raw)', T0 - 7 * DAY + 1_234_567, T0 - 600_000 - 31_000, 'pay', 15],
  ];
  for (const [label, from, to, step, n] of ranges) {
    const ask = (src: LatencySource) => src({ monitorKey: 'shop', step, percentile: 0.95, from, to });
    const a = await ask(raw);
    const b = await ask(store.latency);
    const err = a.value ? (100 * Math.abs(b.value! - a.value)) / a.value : 0;
    console.log(`${label}: exact ${a.value?.toFixed(2)} ms (${a.samples}), source ${b.value?.toFixed(2)} ms (${b.samples}), ${err.toFixed(2)} % apart`);
    await time(`  raw exact   ${label}`, n, () => ask(raw));
    await time(`  latency src ${label}`, Math.max(n, 100), () => ask(store.latency));
  }

  let now = T0;
  const alerting = await createAlerting({ config: loaded.config, alertStore: store.alerts, latency: store.latency, flush: () => store.writer.flush(), now: () => now });
  // First call fills the baseline cache (refreshed every 5 min).
  await time('onRun, 2 rules, cold baseline (first call)', 1, () => {
    store.writer.write(run(now, 100, 350));
    return alerting.onRun(run(now, 100, 350));
  });
  await time('onRun, 2 rules, cached baseline (write, flush, judge, commit)', 200, () => {
    now += 1;
    const r = run(now, 100, 350);
    store.writer.write(r);
    return alerting.onRun(r);
  });
  await alerting.stop();

  // Raw runs kept 1 day (retention.runs: 1d, minute rollups 1d): what each way still finds.
  const t1 = performance.now();
  const removed = await store.retention({ runs: DAY, minute: DAY, hourly: 90 * DAY, daily: 730 * DAY }, { batchSize: 5000 }).run(T0);
  console.log(`retention (runs 1d): ${removed.runs} runs, ${removed.minute} minute rollups removed in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  for (const [label, from, to, step, n] of ranges.slice(2, 4)) {
    const ask = (src: LatencySource) => src({ monitorKey: 'shop', step, percentile: 0.95, from, to });
    const a = await ask(raw);
    const b = await ask(store.latency);
    console.log(`${label}, runs kept 1d: exact ${a.value?.toFixed(2) ?? '-'} ms (${a.samples}), source ${b.value?.toFixed(2)} ms (${b.samples})`);
    await time(`  latency src ${label}, runs kept 1d`, 100, () => ask(store.latency));
  }
  await store.close();
}

const dir = mkdtempSync(join(tmpdir(), 'halftime-bench-'));
try {
  console.log('— SQLite —');
  await bench(join(dir, 'db.sqlite'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (process.env.BENCH_POSTGRES === '1') {
  const cluster = await startPostgres();
  try {
    const db = await createTestDatabase(cluster.url, 'halftime_bench');
    console.log('\n— PostgreSQL —');
    try {
      await bench(db.url);
    } finally {
      await db.drop();
    }
  } finally {
    cluster.stop();
  }
}
