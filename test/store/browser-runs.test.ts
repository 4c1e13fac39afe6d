/**
 * Browser runs in the store, on both engines: steps with their page detail, Web Vitals as `vital:*`
 * series (step keys, rollups, the latency source alert rules read, exact and from sketches), and
 * screenshots kept with the run and removed by retention.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PageView, RunResult } from '../../src/probes/types.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

const page = (lcp: number, extra: Partial<PageView> = {}): PageView => ({
  url: 'http://127.0.0.1:3100/lab/late',
  vitals: { ttfb: lcp / 20, fcp: lcp / 4, lcp, cls: 0.05, tbt: 120 },
  requests: 4,
  bytes: 9_000,
  failedRequests: [],
  consoleErrors: [],
  ...extra,
});

/** A two-step browser run; the first step opened a page with LCP `lcp`. A failed run has a screenshot. */
function browserRun(startedAt: number, lcp: number, ok = true): RunResult {
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 500 }, (_, i) => i % 251), 0xff, 0xd9]);
  return {
    monitorId: 'shop',
    plannedAt: startedAt,
    startedAt,
    durationMs: lcp + 300,
    ok,
    failure: ok ? undefined : { code: 'assertion', message: 'text of #status does not contain "Added"', step: 1 },
    steps: [
      {
        index: 0, name: 'goto /lab/late', method: 'goto', url: 'http://127.0.0.1:3100/lab/late', startedAt, ok: true, status: 200,
        timings: { dns: 0, connect: 0.4, tls: 0, ttfb: 3, download: 1, total: lcp }, bytes: 9_000, redirects: 0, headers: {},
        evidence: [{ what: 'status', expected: '2xx or 3xx', actual: '200', pass: true }],
        browser: { action: 'goto', pages: [page(lcp)] },
      },
      {
        index: 1, name: 'expect #status', method: 'expect', url: 'http://127.0.0.1:3100/lab/late', startedAt: startedAt + lcp, ok,
        ...(ok ? {} : { failure: { code: 'assertion' as const, message: 'text of #status does not contain "Added"' } }),
        timings: { dns: 0, connect: 0, tls: 0, ttfb: 0, download: 0, total: 300 }, bytes: 0, redirects: 0, headers: {},
        evidence: [{ what: 'text of #status', expected: 'contains "Added"', actual: '"Offer ready"', pass: ok }],
        browser: ok ? { action: 'expect', pages: [] } : { action: 'expect', pages: [], locator: '#status', lastUrl: 'http://127.0.0.1:3100/lab/late', consoleErrors: ['boom'], artifacts: ['failure-step-2.jpg'] },
      },
    ],
    ...(ok ? {} : { artifacts: [{ name: 'failure-step-2.jpg', step: 1, mime: 'image/jpeg', data: jpeg }] }),
  };
}

describe.each(BACKENDS)('browser runs in the store on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, [{ key: 'shop', name: 'Shop in a browser', public: true, schedule: 'every 60s', steps: 0 }], { flushMs: 60_000 });
  });
  afterEach(() => dropTestStore(store));

  it('keeps the steps with their pages, leaves the vital series out of them, and keeps the screenshot byte for byte', async () => {
    const run = browserRun(NOW - 5 * MIN, 1_800, false);
    store.writer.write(run);
    await store.writer.flush();
    const [row] = await store.runs.list({ monitor: 'shop' });
    const detail = (await store.runs.get(row.id))!;
    expect(detail.steps.map((s) => s.name)).toEqual(['goto /lab/late', 'expect #status']);
    expect(detail.steps[0].browser?.pages[0].vitals).toEqual({ ttfb: 90, fcp: 450, lcp: 1_800, cls: 0.05, tbt: 120 });
    expect(detail.steps[1].browser).toMatchObject({ locator: '#status', lastUrl: 'http://127.0.0.1:3100/lab/late', consoleErrors: ['boom'] });
    expect(detail.artifacts).toEqual([{ name: 'failure-step-2.jpg', step: 1, mime: 'image/jpeg', size: 506 }]);
    const shot = (await store.runs.artifact(row.id, 'failure-step-2.jpg', { monitor: 'shop' }))!;
    expect(Buffer.compare(shot.data, Buffer.from(run.artifacts![0].data))).toBe(0);
    expect(await store.runs.artifact(row.id, 'failure-step-2.jpg', { monitor: 'other' })).toBeUndefined();
    // The vitals are rows too, as series, after the steps.
    const names = await storeSql(store).pluck<string>('SELECT name FROM step_results WHERE run_id = ? ORDER BY idx', [row.id]);
    expect(names).toEqual(['goto /lab/late', 'expect #status', 'vital:TTFB', 'vital:FCP', 'vital:LCP', 'vital:CLS', 'vital:TBT']);
  });

  it('lists vital series in the step selector and answers percentiles of them, exactly and from the sketches', async () => {
    // 30 runs a minute apart over the last half hour, and a day of hourly runs before (for the baseline).
    const recent = Array.from({ length: 30 }, (_, i) => 1_000 + i * 100); // LCP 1.0 s … 3.9 s
    recent.forEach((lcp, i) => store.writer.write(browserRun(NOW - (30 - i) * MIN, lcp)));
    for (let h = 2; h < 26; h++) store.writer.write(browserRun(NOW - h * HOUR, 1_200));
    await store.writer.flush();
    const id = (await store.history.monitor('shop'))!.id;
    const steps = await store.history.steps(id);
    expect(steps.filter((s) => s.current).map((s) => s.name)).toEqual(['goto /lab/late', 'expect #status', 'vital:TTFB', 'vital:FCP', 'vital:LCP', 'vital:CLS', 'vital:TBT']);

    // The window of a rule (`lcp p75 > 2.5s over 15m`): exact, from the raw rows.
    const window = await store.latency({ monitorKey: 'shop', step: 'vital:LCP', percentile: 0.75, from: NOW - 15 * MIN, to: NOW });
    const last15 = recent.slice(15).sort((a, b) => a - b);
    expect(window).toEqual({ value: last15[Math.ceil(0.75 * last15.length) - 1], samples: 15 });
    // A baseline over a day: merged sketches, within DDSketch's 1 %.
    const baseline = await store.latency({ monitorKey: 'shop', step: 'vital:LCP', percentile: 0.5, from: NOW - DAY, to: NOW - HOUR });
    expect(baseline.samples).toBe(23);
    expect(Math.abs(baseline.value! - 1_200) / 1_200).toBeLessThan(0.01);
    // CLS keeps its unitless score.
    const cls = await store.latency({ monitorKey: 'shop', step: 'vital:CLS', percentile: 0.5, from: NOW - DAY, to: NOW });
    expect(Math.abs(cls.value! - 0.05) / 0.05).toBeLessThan(0.01);

    // The chart series of a vital, per minute.
    const lcpKey = steps.find((s) => s.name === 'vital:LCP')!.step;
    const series = (await store.history.series('shop', '24h', { step: lcpKey, now: NOW }))!;
    expect(series.stepName).toBe('vital:LCP');
    // The 24h chart holds the 30 recent runs and the 22 hourly ones within its 24 hours.
    expect(series.summary.count).toBe(30 + 22);
    expect(series.summary.max).toBeCloseTo(3_900, -1);
  });

  it('removes screenshots after retention.screenshots while the runs stay', async () => {
    store.writer.write(browserRun(NOW - 3 * DAY, 1_500, false));
    store.writer.write(browserRun(NOW - 1 * HOUR, 1_500, false));
    await store.writer.flush();
    const counts = await store.retention({ runs: 7 * DAY, minute: 2 * DAY, hourly: 90 * DAY, daily: 730 * DAY, screenshots: 2 * DAY }, { pause: async () => {} }).run(NOW);
    expect(counts.screenshots).toBe(1);
    expect(counts.runs).toBe(0);
    const runs = await store.runs.list({ monitor: 'shop' });
    const kept = await Promise.all(runs.map(async (r) => (await store.runs.get(r.id))!.artifacts.length));
    expect(kept).toEqual([1, 0]);
    // A run's deletion takes what is left of its screenshots with it.
    const gone = await store.retention({ runs: 1 * DAY, minute: 2 * DAY, hourly: 90 * DAY, daily: 730 * DAY }, { pause: async () => {} }).run(NOW + 2 * DAY);
    expect(gone.runs).toBe(2);
    expect(await storeSql(store).pluck<number>('SELECT count(*) FROM run_artifacts')).toEqual([0]);
  });
});
