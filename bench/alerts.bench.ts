/**
 * Cost of judging a run: the latency window and baseline queries over raw runs, and a whole
 * onRun() (flush, evaluate, commit). History: 7 days of a monitor checked every 15 s, two steps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlerting } from '../src/alerting/service.js';
import { parseConfigText } from '../src/config/load.js';
import type { RunResult } from '../src/probes/types.js';
import { openStore } from '../src/store/index.js';

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

function time(label: string, n: number, fn: () => void) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  console.log(`${label.padEnd(58)} median ${median(out).toFixed(2)} ms  (n=${n}, min ${Math.min(...out).toFixed(2)}, max ${Math.max(...out).toFixed(2)})`);
}

const dir = mkdtempSync(join(tmpdir(), 'halftime-bench-'));
try {
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
  const store = openStore(join(dir, 'db.sqlite'), [{ key: 'shop', name: 'Shop', public: true, schedule: '' }], { batchSize: 5000, flushMs: 60_000 });
  let seed = 1;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const t0 = performance.now();
  let count = 0;
  for (let t = T0 - 7 * DAY; t < T0; t += EVERY, count++) store.writer.write(run(t, 80 + rnd() * 60, 300 + rnd() * 200));
  store.writer.flush();
  console.log(`history: ${count} runs (${count * 2} step rows) written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const q = (from: number, step: string | null) => () => store.latency({ monitorKey: 'shop', step, percentile: 0.95, from, to: T0 });
  time('p95 of run duration over 10 min (40 samples)', 200, q(T0 - 600_000, null));
  time('p95 of step "pay" over 10 min', 200, q(T0 - 600_000, 'pay'));
  time(`p95 of run duration over 7 d (${count} samples)`, 15, q(T0 - 7 * DAY, null));
  time(`p95 of step "pay" over 7 d (${count} samples)`, 15, q(T0 - 7 * DAY, 'pay'));

  let now = T0;
  const alerting = createAlerting({ config: loaded.config, alertStore: store.alerts, latency: store.latency, flush: () => store.writer.flush(), now: () => now });
  // First call fills the baseline cache (refreshed every 5 min).
  time('onRun, 2 rules, cold baseline (first call)', 1, () => {
    store.writer.write(run(now, 100, 350));
    alerting.onRun(run(now, 100, 350));
  });
  time('onRun, 2 rules, cached baseline (write, flush, judge, commit)', 200, () => {
    now += 1;
    const r = run(now, 100, 350);
    store.writer.write(r);
    alerting.onRun(r);
  });
  await alerting.stop();
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
