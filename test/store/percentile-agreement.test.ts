/**
 * One percentile definition everywhere: the chart summary, the alert engine's window, the /api/v1
 * series answer and a burst's summary give the same p50/p95/p99 for the same samples — nearest rank,
 * so p95 of six runs whose slowest took 784 ms is 784 ms, shown with its sample count.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { judgeRule } from '../../src/alerting/engine.js';
import type { DegradedRule } from '../../src/config/alerts-schema.js';
import { percentileOf } from '../../src/lang/percentile.js';
import { runBurst } from '../../src/load/engine.js';
import type { Iteration } from '../../src/load/types.js';
import { RELATIVE_ACCURACY } from '../../src/store/sketch.js';
import { BACKENDS } from '../support/backends.js';
import { adminFixture, type AdminFixture } from '../web/admin-helpers.js';
import { runOf, step } from './history-fixtures.js';

const MIN = 60_000;
/** Six runs, one slow: ⌊q·(n−1)⌋ would call p95 84 ms; nearest rank says 784 ms. */
const SAMPLES = [80, 72, 784, 70, 84, 75];
const PS = [0.5, 0.95, 0.99] as const;
const exact = (p: number) => percentileOf(SAMPLES, p)!;
/** Sketch-backed answers are within 1 % of the exact one (max and min are exact). */
const close = (got: number | null | undefined, p: number) => {
  expect(got).not.toBeNull();
  expect(Math.abs(got! - exact(p))).toBeLessThanOrEqual(RELATIVE_ACCURACY * exact(p) + 0.05);
};

describe('the percentile definition', () => {
  it('the definition: p95 of six samples is the slowest of them', () => {
    expect(exact(0.95)).toBe(784);
    expect(exact(0.99)).toBe(784);
    expect(exact(0.5)).toBe(75);
  });
});

describe.each(BACKENDS)('one percentile definition (nearest rank) everywhere on %s', (kind) => {
  let f: AdminFixture;
  beforeEach(async () => {
    f = await adminFixture({ kind });
    const now = f.clock.now;
    SAMPLES.forEach((ms, i) => {
      const at = now - (SAMPLES.length - i) * MIN;
      f.store.writer.write(runOf('shop', at, [step(0, at, ms)]));
    });
    // A failed run is not a latency sample anywhere (it counts for uptime).
    f.store.writer.write(runOf('shop', now - 30_000, [step(0, now - 30_000, 5, false)]));
    await f.store.writer.flush();
  });
  afterEach(() => f.close());

  async function apiToken() {
    const { cookie, csrf } = await f.login();
    const html = await (await f.post('/admin/tokens', cookie, { name: 'ci', _csrf: csrf })).text();
    return /value="(ht_[^"]+)"/.exec(html)![1];
  }

  it('chart summary, alert window, /api/v1 series and a burst summary agree on the same samples', async () => {
    // The chart summary (read model behind the monitor page).
    const series = (await f.store.history.series('shop', '24h', { now: f.clock.now }))!;
    expect(series.summary.count).toBe(6);
    expect(series.summary.p95).toBe(784);
    for (const p of PS) close(series.summary[`p${Math.round(p * 100)}` as 'p50' | 'p95' | 'p99'], p);

    // The page shows the sample count next to percentiles from few samples.
    const page = await (await f.request('/monitors/shop')).text();
    expect(page).toContain('784 ms (6 samples)');

    // The alert engine's window over the same runs (exact, from the raw runs).
    for (const p of PS) {
      const rule: DegradedRule = { text: `p${p * 100} > 500ms over 10m`, percentile: p, windowMs: 10 * MIN, thresholdMs: 500, step: null, minSamples: 1, enterAfter: 1, leaveAfter: 1, locations: 1 };
      const j = (await judgeRule(rule, 'shop', f.clock.now, f.store.latency))!;
      expect(j.evidence).toMatchObject({ actualMs: exact(p), samples: 6 });
      expect(j.bad).toBe(exact(p) > 500);
    }

    // The JSON API's series answer.
    const res = await f.request('/api/v1/monitors/shop/series?range=24h&fields=summary,samples,p95', { headers: { authorization: `Bearer ${await apiToken()}` } });
    const json = (await res.json()) as { summary: Record<string, number>; samples: (number | null)[]; p95: (number | null)[] };
    expect(json.summary.count).toBe(6);
    for (const p of PS) close(json.summary[`p${Math.round(p * 100)}`], p);
    expect(json.summary.p95).toBe(784);
    // Per minute: one sample each, so each minute's p95 is that run.
    expect(json.samples.filter((n) => n !== null && n > 0)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(json.p95.filter((v) => v !== null).map((v) => Math.round(v!))).toEqual(SAMPLES);

    // A burst whose six requests took these times (the engine's iteration interface reports them).
    let i = 0;
    const iteration: Iteration = async () => ({ ok: true, steps: [{ name: 'home', ms: SAMPLES[i++ % SAMPLES.length], ok: true }] });
    const burst = await runBurst({ plan: { model: 'open', arrivalRate: 6, duration: 1_000, maxUsers: 6 }, iteration, thresholds: [{ source: 'p95<500ms', metric: 'p95', op: '<', value: 500 }] });
    expect(burst.requests).toBe(6);
    expect(burst.p95).toBe(784);
    close(burst.p50, 0.5);
    close(burst.p99, 0.99);
    expect(burst.steps[0]).toMatchObject({ name: 'home', count: 6, p95: 784 });
    expect(burst.thresholds[0]).toMatchObject({ pass: false, actual: '784 ms' });
  });
});
