import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluate, initialAlertState, judgeRule } from '../../src/alerting/engine.js';
import { resolveMonitorAlerts } from '../../src/alerting/resolve.js';
import { tempDir } from '../helpers.js';
import { fakeClock, loadYaml, makeRun, openHarness, writeHistory, type Harness } from './fixtures.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const MIN = 60_000;

const config = (alerts: string) =>
  loadYaml(`
monitors:
  - id: api
    name: API
    steps: [{ name: get, url: "http://127.0.0.1:1/" }]
    alerts:
${alerts}
`);

describe('rule engine on stored history', () => {
  let tmp: ReturnType<typeof tempDir>;
  let h: Harness;
  const clock = fakeClock(T0);
  beforeEach(() => {
    tmp = tempDir();
    clock.set(T0);
  });
  afterEach(async () => {
    await h.close();
    tmp.cleanup();
  });
  const open = (alerts: string) => (h = openHarness(config(alerts), `${tmp.dir}/db.sqlite`, clock.now));
  /** One run every 61 s against a 1-minute window: each evaluation sees exactly the newest run. */
  const step = async (ms: number) => {
    clock.advance(61_000);
    const events = await h.feed(makeRun('api', clock.now(), { durationMs: ms }));
    return events.map((e) => `${e.kind}${e.condition && e.kind !== e.condition ? ':' + e.condition : ''}`);
  };

  it('hysteresis: enters after K consecutive bad evaluations and leaves after L good ones', async () => {
    open(`      degraded: [{ rule: "p95 > 500ms over 1m", minSamples: 1, enterAfter: 3, leaveAfter: 2 }]`);
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
    const [incident] = h.alerting.incidents('api', 0);
    expect(incident).toMatchObject({ kind: 'degraded', worstValue: 950 });
    expect(incident.endedAt).toBe(clock.now());
  });

  it('minimum samples: no judgement until the window holds enough runs', async () => {
    open(`      degraded: [{ rule: "p95 > 500ms over 10m", minSamples: 5, enterAfter: 1 }]`);
    for (let i = 0; i < 4; i++) {
      clock.advance(MIN);
      expect(await h.feed(makeRun('api', clock.now(), { durationMs: 2000 }))).toEqual([]);
    }
    clock.advance(MIN);
    expect((await h.feed(makeRun('api', clock.now(), { durationMs: 2000 }))).map((e) => e.kind)).toEqual(['degraded']);
  });

  it('failed runs do not count as latency samples, and a down monitor is not also judged degraded', async () => {
    open(`      down: { after: 2, recoverAfter: 2 }\n      degraded: [{ rule: "p95 > 500ms over 10m", minSamples: 1, enterAfter: 1 }]`);
    clock.advance(MIN);
    await h.feed(makeRun('api', clock.now(), { ok: false, durationMs: 9000 }));
    clock.advance(MIN);
    const events = await h.feed(makeRun('api', clock.now(), { ok: false, durationMs: 9000 }));
    expect(events.map((e) => e.kind)).toEqual(['down']);
    expect(h.store.latency({ monitorKey: 'api', percentile: 0.95, from: 0, to: clock.now() + 1 })).toEqual({ value: null, samples: 0 });
    // recoverAfter 2: one success is not yet a recovery.
    clock.advance(MIN);
    expect(await h.feed(makeRun('api', clock.now(), { durationMs: 100 }))).toEqual([]);
    expect(h.alerting.status('api')).toBe('down');
    clock.advance(MIN);
    expect((await h.feed(makeRun('api', clock.now(), { durationMs: 100 }))).map((e) => e.kind)).toEqual(['recovered']);
  });

  it('per-step rules judge that step only', async () => {
    open(`      degraded: [{ rule: "p99 > 300ms over 5m", step: pay, minSamples: 2, enterAfter: 1 }]`);
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
    open(`      degraded: [{ rule: "p95 over 10m > 2x baseline same hour of week", minSamples: 3, enterAfter: 1 }]`);
    const WEEK = 7 * 86_400_000;
    const history = [];
    // Last week around this hour: 300 ms. Every other hour of the week: 2 s (would hide the problem).
    for (let t = T0 - WEEK - 25 * MIN; t < T0 - WEEK + 25 * MIN; t += 5 * MIN) history.push(makeRun('api', t, { durationMs: 300 }));
    for (let t = T0 - WEEK + 2 * 3_600_000; t < T0 - 20 * MIN; t += 60 * MIN) history.push(makeRun('api', t, { durationMs: 2000 }));
    writeHistory(h.store, history);
    const events: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(MIN);
      events.push(...(await h.feed(makeRun('api', clock.now(), { durationMs: 700 }))).map((e) => e.kind));
    }
    expect(events).toEqual(['degraded']);
    const [incident] = h.alerting.incidents('api', 0);
    expect(incident.evidence).toMatchObject({ latency: { baselineMs: 300, thresholdMs: 600, baselineLabel: 'same hour last week' } });
  });

  it('no relative judgement without enough baseline history', async () => {
    open(`      degraded: [{ rule: "p95 over 10m > 2x baseline 7d", minSamples: 3, enterAfter: 1 }]`);
    for (let i = 0; i < 8; i++) {
      clock.advance(MIN);
      expect(await h.feed(makeRun('api', clock.now(), { durationMs: 5000 }))).toEqual([]);
    }
  });
});

describe('evaluate() as a plain function', () => {
  const loaded = config(`      degraded: ["p95 > 800ms over 10m"]`);
  const rules = resolveMonitorAlerts(loaded.config, loaded.config.monitors[0]);
  const monitor = { key: 'api', name: 'API', url: null };
  let n = 0;
  const newId = () => `e${++n}`;

  it('starts with no data and returns new state without touching the input', () => {
    const prev = initialAlertState();
    const noLatency = () => ({ value: null, samples: 0 });
    const r = evaluate({ now: T0, monitor, rules, prev, run: null, inMaintenance: false, latency: noLatency, newId });
    expect(r.state.status).toBe('no_data');
    const r2 = evaluate({ now: T0, monitor, rules, prev, run: { ok: false, startedAt: T0, failure: { message: 'x' } }, inMaintenance: false, latency: noLatency, newId });
    expect(r2.state.failures).toBe(1);
    expect(prev.failures).toBe(0);
  });

  it('judgeRule reads the window [now - window, now] from the latency source', () => {
    const asked: unknown[] = [];
    const j = judgeRule(rules.degraded[0], 'api', T0, (q) => {
      asked.push(q);
      return { value: 900, samples: 10 };
    });
    expect(asked).toEqual([{ monitorKey: 'api', step: null, percentile: 0.95, from: T0 - 10 * MIN, to: T0 + 1 }]);
    expect(j).toMatchObject({ bad: true, evidence: { actualMs: 900, thresholdMs: 800 } });
  });
});
