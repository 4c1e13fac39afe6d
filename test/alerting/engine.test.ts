import { describe, expect, it } from 'vitest';
import { baselineRange, evaluate, initialAlertState, judgeRule } from '../../src/alerting/engine.js';
import { resolveMonitorAlerts } from '../../src/alerting/resolve.js';
import { storeSql } from '../../src/store/index.js';
import { BACKENDS } from '../support/backends.js';
import { harnessPerTest, loadYaml, makeRun, writeHistory, type Harness } from './fixtures.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const MIN = 60_000;

const config = (alerts: string, steps = '[{ name: get, url: "http://127.0.0.1:1/" }]') =>
  loadYaml(`
monitors:
  - id: api
    name: API
    steps: ${steps}
    alerts:
${alerts}
`);

describe.each(BACKENDS)('rule engine on stored history on %s', (kind) => {
  const per = harnessPerTest(T0, kind);
  const { clock } = per;
  let h: Harness;
  const open = async (alerts: string, steps?: string) => (h = await per.open(config(alerts, steps)));
  /** One run every 61 s against a 1-minute window: each evaluation sees exactly the newest run. */
  const step = async (ms: number) => {
    clock.advance(61_000);
    const events = await h.feed(makeRun('api', clock.now(), { durationMs: ms }));
    return events.map((e) => `${e.kind}${e.condition && e.kind !== e.condition ? ':' + e.condition : ''}`);
  };

  it('hysteresis: enters after K consecutive bad evaluations and leaves after L good ones', async () => {
    await open(`      degraded: [{ rule: "p95 > 500ms over 1m", minSamples: 1, enterAfter: 3, leaveAfter: 2 }]`);
    // Alternating bad/good never reaches three in a row.
    const seq = [900, 100, 900, 900, 100, 900, 100];
    for (const ms of seq) expect(await step(ms)).toEqual([]);
    expect(h.alerting.status('api')).toBe('up');
    expect(await step(900)).toEqual([]);
    expect(await step(900)).toEqual([]);
    expect(await step(900)).toEqual(['degraded']);
    expect(h.alerting.status('api')).toBe('degraded');
    // One good evaluation, then bad again: stays degraded, no new message.
    expect(await step(100)).toEqual([]);
    expect(await step(950)).toEqual([]);
    expect(h.alerting.status('api')).toBe('degraded');
    expect(await step(100)).toEqual([]);
    expect(await step(100)).toEqual(['recovered:degraded']);
    expect(h.alerting.status('api')).toBe('up');
    const [incident] = await h.alerting.incidents('api', 0);
    expect(incident).toMatchObject({ kind: 'degraded', worstValue: 950 });
    expect(incident.endedAt).toBe(clock.now());
  });

  it('minimum samples: no judgement until the window holds enough runs', async () => {
    await open(`      degraded: [{ rule: "p95 > 500ms over 10m", minSamples: 5, enterAfter: 1 }]`);
    for (let i = 0; i < 4; i++) {
      clock.advance(MIN);
      expect(await h.feed(makeRun('api', clock.now(), { durationMs: 2000 }))).toEqual([]);
    }
    clock.advance(MIN);
    expect((await h.feed(makeRun('api', clock.now(), { durationMs: 2000 }))).map((e) => e.kind)).toEqual(['degraded']);
  });

  it('failed runs do not count as latency samples, and a down monitor is not also judged degraded', async () => {
    await open(`      down: { after: 2, recoverAfter: 2 }\n      degraded: [{ rule: "p95 > 500ms over 10m", minSamples: 1, enterAfter: 1 }]`);
    clock.advance(MIN);
    await h.feed(makeRun('api', clock.now(), { ok: false, durationMs: 9000 }));
    clock.advance(MIN);
    const events = await h.feed(makeRun('api', clock.now(), { ok: false, durationMs: 9000 }));
    expect(events.map((e) => e.kind)).toEqual(['down']);
    expect(await h.store.latency({ monitorKey: 'api', percentile: 0.95, from: 0, to: clock.now() + 1 })).toEqual({ value: null, samples: 0 });
    // recoverAfter 2: one success is not yet a recovery.
    clock.advance(MIN);
    expect(await h.feed(makeRun('api', clock.now(), { durationMs: 100 }))).toEqual([]);
    expect(h.alerting.status('api')).toBe('down');
    clock.advance(MIN);
    expect((await h.feed(makeRun('api', clock.now(), { durationMs: 100 }))).map((e) => e.kind)).toEqual(['recovered']);
  });

  it('per-step rules judge that step only', async () => {
    await open(`      degraded: [{ rule: "p99 > 300ms over 5m", step: pay, minSamples: 2, enterAfter: 1 }]`, '[{ name: cart, url: "http://127.0.0.1:1/" }, { name: pay, url: "http://127.0.0.1:1/" }]');
    const run = (pay: number) => makeRun('api', clock.now(), { steps: [{ name: 'cart', totalMs: 2000 }, { name: 'pay', totalMs: pay }] });
    clock.advance(MIN);
    expect(await h.feed(run(100))).toEqual([]);
    clock.advance(MIN);
    expect(await h.feed(run(120))).toEqual([]); // the slow cart step does not matter
    clock.advance(MIN);
    const [e] = await h.feed(run(700));
    expect(e.kind).toBe('degraded');
    expect(e.evidence.latency).toMatchObject({ step: 'pay', percentile: 0.99, actualMs: 700, thresholdMs: 300, samples: 3 });
  });

  it('same hour of week baseline uses last week around this hour only', async () => {
    await open(`      degraded: [{ rule: "p95 over 10m > 2x baseline same hour of week", minSamples: 3, enterAfter: 1 }]`);
    const WEEK = 7 * 86_400_000;
    const history = [];
    // Last week around this hour: 300 ms. Every other hour of the week: 2 s (would hide the problem).
    for (let t = T0 - WEEK - 25 * MIN; t < T0 - WEEK + 25 * MIN; t += 5 * MIN) history.push(makeRun('api', t, { durationMs: 300 }));
    for (let t = T0 - WEEK + 2 * 3_600_000; t < T0 - 20 * MIN; t += 60 * MIN) history.push(makeRun('api', t, { durationMs: 2000 }));
    await writeHistory(h.store, history);
    const events: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(MIN);
      events.push(...(await h.feed(makeRun('api', clock.now(), { durationMs: 700 }))).map((e) => e.kind));
    }
    expect(events).toEqual(['degraded']);
    const [incident] = await h.alerting.incidents('api', 0);
    expect(incident.evidence).toMatchObject({ latency: { baselineMs: 300, thresholdMs: 600, baselineLabel: 'same hour last week' } });
  });

  it('no relative judgement without enough baseline history', async () => {
    await open(`      degraded: [{ rule: "p95 over 10m > 2x baseline 7d", minSamples: 3, enterAfter: 1 }]`);
    for (let i = 0; i < 8; i++) {
      clock.advance(MIN);
      expect(await h.feed(makeRun('api', clock.now(), { durationMs: 5000 }))).toEqual([]);
    }
  });
});

describe.each(BACKENDS)('relative rules after retention removed the raw runs of the baseline on %s', (kind) => {
  const HOUR = 60 * MIN;
  const DAY = 24 * HOUR;
  const WEEK = 7 * DAY;
  const per = harnessPerTest(T0, kind);
  const { clock } = per;
  let h: Harness;
  /** Opens the harness with `retention.runs: 1d`, writes the history, then runs retention as serve would. */
  async function openWithHistory(rule: string, history: ReturnType<typeof makeRun>[], retention = '{ runs: 1d, minute: 1d }') {
    const loaded = loadYaml(`
retention: ${retention}
monitors:
  - id: api
    name: API
    steps: [{ name: home, url: "http://127.0.0.1:1/" }]
    alerts:
      degraded: [{ rule: "${rule}", minSamples: 3, enterAfter: 1 }]
`);
    h = await per.open(loaded);
    await writeHistory(h.store, history);
    const { every: _every, batchSize, ...policy } = loaded.config.retention;
    const removed = await h.store.retention(policy, { batchSize, pause: async () => {} }).run(T0);
    return removed;
  }
  const slowRuns = async (n: number, ms: number) => {
    const events = [];
    for (let i = 0; i < n; i++) {
      clock.advance(MIN);
      events.push(...(await h.feed(makeRun('api', clock.now(), { durationMs: ms }))));
    }
    return events;
  };

  it('7d baseline: fires against every sample of the week, read from the rollups', async () => {
    const history = [];
    for (let t = T0 - 8 * DAY, i = 0; t < T0 - 10 * MIN; t += 10 * MIN, i++) history.push(makeRun('api', t, { durationMs: 250 + ((i * 37) % 101) }));
    const removed = await openWithHistory('p95 over 10m > 2x baseline 7d', history);
    expect(removed.runs).toBeGreaterThan(history.length / 2);
    const events = await slowRuns(3, 2000);
    expect(events.map((e) => e.kind)).toEqual(['degraded']);
    const inBaseline = history.filter((r) => r.startedAt >= T0 - WEEK && r.startedAt < T0 - 10 * MIN).map((r) => r.durationMs).sort((a, b) => a - b);
    const exact = inBaseline[Math.ceil(0.95 * inBaseline.length) - 1];
    const l = events[0].evidence.latency!;
    expect(l).toMatchObject({ baselineLabel: 'previous 7d', baselineSamples: inBaseline.length, samples: 3, actualMs: 2000 });
    expect(Math.abs(l.baselineMs! - exact)).toBeLessThanOrEqual(0.01 * exact);
    expect(l.thresholdMs).toBe(2 * l.baselineMs!);
    // Nothing older than a day is left in the raw tables.
    expect(await storeSql(h.store).pluck('SELECT count(*) FROM runs WHERE started_at < ?', [T0 - DAY])).toEqual([0]);
  });

  it('same hour of week: answered from last week\'s hourly rollup with raw runs kept 1 day', async () => {
    const history = [];
    // Last week in this hour: 300 ms. Every other hour of the week: 2 s (would hide the problem).
    for (let t = T0 - WEEK; t < T0 - WEEK + HOUR; t += 5 * MIN) history.push(makeRun('api', t, { durationMs: 300 }));
    for (let t = T0 - WEEK + 2 * HOUR; t < T0 - 20 * MIN; t += HOUR) history.push(makeRun('api', t, { durationMs: 2000 }));
    await openWithHistory('p95 over 10m > 2x baseline same hour of week', history);
    const events = await slowRuns(3, 700);
    expect(events.map((e) => e.kind)).toEqual(['degraded']);
    expect(events[0].evidence.latency).toMatchObject({ baselineMs: 300, thresholdMs: 600, baselineLabel: 'same hour last week', baselineSamples: 12 });
  });

  it('a baseline whose samples nothing keeps any more gives no judgement', async () => {
    const history = [];
    for (let t = T0 - 6 * DAY; t < T0 - 2 * DAY; t += 10 * MIN) history.push(makeRun('api', t, { durationMs: 100 }));
    await openWithHistory('p95 over 10m > 2x baseline 7d', history, '{ runs: 1d, minute: 1d, hourly: 1d, daily: 1d }');
    expect(await h.store.latency({ monitorKey: 'api', percentile: 0.95, from: T0 - WEEK, to: T0 - 10 * MIN })).toEqual({ value: null, samples: 0 });
    expect(await slowRuns(5, 5000)).toEqual([]);
    expect(h.alerting.status('api')).toBe('up');
  });
});

describe('evaluate() as a plain function', () => {
  const loaded = config(`      degraded: ["p95 > 800ms over 10m"]`);
  const rules = resolveMonitorAlerts(loaded.config, loaded.config.monitors[0]);
  const monitor = { key: 'api', name: 'API', url: null };
  let n = 0;
  const newId = () => `e${++n}`;

  it('starts with no data and returns new state without touching the input', async () => {
    const prev = initialAlertState();
    const noLatency = async () => ({ value: null, samples: 0 });
    const r = await evaluate({ now: T0, monitor, rules, prev, run: null, inMaintenance: false, latency: noLatency, newId });
    expect(r.state.status).toBe('no_data');
    const r2 = await evaluate({ now: T0, monitor, rules, prev, run: { ok: false, startedAt: T0, failure: { message: 'x' } }, inMaintenance: false, latency: noLatency, newId });
    expect(r2.state.failures).toBe(1);
    expect(prev.failures).toBe(0);
  });

  it('baseline ranges start at a whole hour (hourly rollups answer them) and move in 5-minute steps', () => {
    const rule = (text: string) => resolveMonitorAlerts(config(`      degraded: ["${text}"]`).config, config(`      degraded: ["${text}"]`).config.monitors[0]).degraded[0];
    const week = rule('p95 over 10m > 2x baseline 7d');
    const same = rule('p95 over 15m > 3x baseline same hour of week');
    const at = Date.parse('2026-11-23T10:47:31Z');
    expect(baselineRange(week, at)).toEqual({ from: Date.parse('2026-11-16T10:00:00Z'), to: Date.parse('2026-11-23T10:35:00Z'), label: 'previous 7d' });
    expect(baselineRange(same, at)).toEqual({ from: Date.parse('2026-11-16T10:00:00Z'), to: Date.parse('2026-11-16T11:00:00Z'), label: 'same hour last week' });
    expect(baselineRange(same, Date.parse('2026-11-23T10:59:59Z'))!.from).toBe(Date.parse('2026-11-16T10:00:00Z'));
    expect(baselineRange(same, Date.parse('2026-11-23T11:00:00Z'))!.from).toBe(Date.parse('2026-11-16T11:00:00Z'));
    expect(baselineRange(rule('p95 > 800ms over 10m'), at)).toBeNull();
  });

  it('judgeRule reads the window [now - window, now] from the latency source', async () => {
    const asked: unknown[] = [];
    const j = await judgeRule(rules.degraded[0], 'api', T0, async (q) => {
      asked.push(q);
      return { value: 900, samples: 10 };
    });
    expect(asked).toEqual([{ monitorKey: 'api', step: null, percentile: 0.95, from: T0 - 10 * MIN, to: T0 + 1, location: null }]);
    expect(j).toMatchObject({ bad: true, evidence: { actualMs: 900, thresholdMs: 800 } });
  });
});
