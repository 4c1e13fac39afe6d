/**
 * A Web Vital rule (`lcp p75 > 2s over 5m`) judges a browser monitor like any latency rule: it reads
 * the `vital:LCP` series from the store, opens a degraded incident with its evidence, and recovers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlerting, type Alerting } from '../../src/alerting/service.js';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import type { RunResult } from '../../src/probes/types.js';
import { BACKENDS, dropTestStore, openTestStore, type TestStore } from '../support/backends.js';

const yaml = `monitors:
  - name: Late offer
    id: late
    browser: true
    baseUrl: http://127.0.0.1:3100
    steps: [{ goto: /lab/late }]
    alerts:
      degraded:
        - { rule: "lcp p75 > 2s over 5m", minSamples: 3, enterAfter: 1, leaveAfter: 1 }
`;

const run = (startedAt: number, lcp: number): RunResult => ({
  monitorId: 'late',
  plannedAt: startedAt,
  startedAt,
  durationMs: 400,
  ok: true,
  steps: [
    {
      index: 0, name: 'goto /lab/late', method: 'goto', url: 'http://127.0.0.1:3100/lab/late', startedAt, ok: true, status: 200,
      timings: { dns: 0, connect: 0, tls: 0, ttfb: 3, download: 1, total: 400 }, bytes: 9_000, redirects: 0, headers: {}, evidence: [],
      browser: { action: 'goto', pages: [{ url: 'http://127.0.0.1:3100/lab/late', vitals: { ttfb: 3, fcp: 150, lcp, cls: 0.01 }, requests: 2, bytes: 9_000, failedRequests: [], consoleErrors: [] }] },
    },
  ],
});

describe.each(BACKENDS)('Web Vital rules on %s', (kind) => {
  let store: TestStore;
  let alerting: Alerting;
  let now = Date.UTC(2026, 10, 26, 12, 0, 0);
  beforeEach(async () => {
    store = await openTestStore(kind, [{ key: 'late', name: 'Late offer', public: true, schedule: 'every 60s', steps: 0 }], { flushMs: 60_000 });
    const { config } = parseConfigText(yaml, 't', {});
    alerting = await createAlerting({ config, alertStore: store.alerts, latency: store.latency, flush: () => store.writer.flush(), now: () => now, log: createLogger({ quiet: true, write: () => {} }) });
  });
  afterEach(async () => {
    await alerting.stop(100);
    await dropTestStore(store);
  });

  const feed = async (lcp: number) => {
    now += 60_000;
    const r = run(now - 1_000, lcp);
    store.writer.write(r);
    await alerting.onRun(r);
  };

  it('opens a degraded incident when LCP p75 goes over 2 s, and closes it when it comes back', async () => {
    for (let i = 0; i < 3; i++) await feed(1_200);
    expect(alerting.status('late')).toBe('up');
    for (let i = 0; i < 4; i++) await feed(3_500);
    expect(alerting.status('late')).toBe('degraded');
    const [incident] = await alerting.incidents('late', 0);
    expect(incident).toMatchObject({ kind: 'degraded', endedAt: null, openedValue: 3_500 });
    expect(JSON.stringify(incident.evidence)).toContain('vital:LCP');
    for (let i = 0; i < 6; i++) await feed(900);
    expect(alerting.status('late')).toBe('up');
    expect((await alerting.incidents('late', 0))[0].endedAt).not.toBeNull();
  });
});
