/**
 * The knee sentence of a recorded run is derived from exactly the per-second series that is stored
 * and charted: every figure in it is a median of that series' own values.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { kneeOfSeries, median } from '../../src/load/knee.js';
import { resolveBurst } from '../../src/load/from-config.js';
import { runBurstAndStore } from '../../src/load/run.js';
import { startServer, type TestServer } from '../helpers.js';
import { BACKENDS, dropTestStore, openTestStore, type TestStore } from '../support/backends.js';

let target: TestServer;
let inFlight = 0;

beforeAll(async () => {
  // Slower the more requests it holds at once, so p95 rises with the users.
  target = await startServer((_req, res) => {
    inFlight++;
    setTimeout(() => {
      inFlight--;
      res.end('ok');
    }, 3 * inFlight);
  });
});
afterAll(async () => {
  await target?.close();
});

const fmt = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

describe.each(BACKENDS)('knee sentence of a recorded run on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, []);
  });
  afterEach(() => dropTestStore(store));

  it('gives the stored series\' own medians: p95 and req/s per load level, the low-load p95, seconds inside the plan only', async () => {
    const yaml = `
load: { allowHosts: [127.0.0.1] }
monitors:
  - id: shop
    name: Shop
    steps: [{ name: home, url: "${target.url}/" }]
    load: { users: 12, spawnRate: 3, duration: 6s, thinkTime: 20ms }
`;
    const resolved = resolveBurst(parseConfigText(yaml, 't.yaml').config, 'shop');
    const { runId, summary } = await runBurstAndStore(resolved, { loadRuns: store.loadRuns, trigger: 'cli' });
    const run = (await store.loadRuns.get(runId!))!;
    const rows = await store.loadRuns.series(runId!);
    const sentence = run.kneeText!;
    expect(sentence).toBe(summary.knee.sentence);

    // Derived from exactly the stored series, under the stored plan.
    expect(kneeOfSeries(rows, run.plan).sentence).toBe(sentence);

    // Each figure checked against the stored rows by hand: seconds inside the plan with 5+ requests, by users.
    const inPlan = rows.filter((r) => r.t < 6 && r.requests >= 5 && r.p95 !== null && r.users! > 0);
    const levels = [...new Set(inPlan.map((r) => r.users!))].sort((a, b) => a - b);
    expect(levels.length).toBeGreaterThanOrEqual(3);
    const at = (users: number) => inPlan.filter((r) => r.users === users);
    const top = levels[levels.length - 1];
    expect(sentence).toContain(`${fmt(median(at(top).map((r) => r.p95!)))} at ${top} users`);
    const low = levels.slice(0, Math.max(2, Math.ceil(levels.length / 4)));
    const baseline = median(inPlan.filter((r) => r.users! <= low[low.length - 1]).map((r) => r.p95!));
    expect(sentence).toMatch(new RegExp(`^p95 (≈|stayed near) ${fmt(baseline)} up to `));
    const flat = /throughput flattened near (\d+) req\/s from (\d+) users/.exec(sentence);
    if (flat) expect(Number(flat[1])).toBe(Math.round(median(inPlan.filter((r) => r.users! >= Number(flat[2])).map((r) => r.requests))));
    else expect(sentence).toContain(`throughput kept growing, to ${Math.round(median(at(top).map((r) => r.requests)))} req/s at ${top} users`);
    const knee = /up to (\d+) users, then climbed/.exec(sentence);
    if (knee) expect(levels).toContain(Number(knee[1]));
    // The last second inside the plan still ran at full load (it is closed before the users stop).
    expect(rows.find((r) => r.t === 5)!.users).toBe(12);
  }, 40_000); // a 6 s burst in a worker thread
});
