/**
 * Several locations: a monitor is DOWN only when at least `down.locations` locations each see it
 * failing `down.after` times in a row, and degraded only when enough locations see the rule broken on
 * their own windows — one location's network blip raises no alarm.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, initialAlertState, type MonitorAlertState, type RunSummary } from '../../src/alerting/engine.js';
import type { MonitorAlertRules } from '../../src/alerting/resolve.js';
import type { DegradedRule } from '../../src/config/alerts-schema.js';
import type { LatencyQuery } from '../../src/store/latency.js';

const monitor = { key: 'shop', name: 'Shop', url: null };
const T0 = Date.parse('2026-11-30T12:00:00Z');
let ids = 0;

function engine(rules: MonitorAlertRules, latencyOf: (q: LatencyQuery) => number | null = () => null) {
  let state: MonitorAlertState = initialAlertState();
  let t = T0;
  const queries: LatencyQuery[] = [];
  return {
    queries,
    get state() {
      return state;
    },
    async run(location: string, ok: boolean) {
      t += 30_000;
      const run: RunSummary = ok ? { ok, startedAt: t, location } : { ok, startedAt: t, location, failure: { code: 'status', message: 'HTTP 503', status: 503 } };
      const r = await evaluate({
        now: t,
        monitor,
        rules,
        prev: state,
        run,
        inMaintenance: false,
        newId: () => `e${++ids}`,
        latency: async (q) => {
          queries.push(q);
          const value = latencyOf(q);
          return { value, samples: value === null ? 0 : 50 };
        },
      });
      state = r.state;
      return r.events.map((e) => `${e.kind}:${e.condition}${e.evidence.locations ? `@${e.evidence.locations.join('+')}` : ''}`);
    },
  };
}

const downRules = (locations: number): MonitorAlertRules => ({ enabled: true, channels: [], down: { after: 2, recoverAfter: 1, locations }, degraded: [], reminderEveryMs: null, certificateMs: null });

describe('down by quorum of locations', () => {
  it('one location failing raises no alarm when two must agree; both failing raise exactly one DOWN', async () => {
    const e = engine(downRules(2));
    for (let i = 0; i < 5; i++) {
      expect(await e.run('fra', false)).toEqual([]);
      expect(await e.run('iad', true)).toEqual([]);
    }
    expect(e.state.status).toBe('up');
    // Now iad fails too: the second failure in a row there makes two locations → DOWN, once.
    expect(await e.run('iad', false)).toEqual([]);
    expect(await e.run('fra', false)).toEqual([]);
    expect(await e.run('iad', false)).toEqual(['down:down@fra+iad']);
    expect(await e.run('fra', false)).toEqual([]);
    expect(e.state.status).toBe('down');
    // One location recovering leaves fewer than two failing: RECOVERED.
    expect(await e.run('iad', true)).toEqual(['recovered:down']);
    expect(e.state.status).toBe('up');
  });

  it('with a quorum of one (the default), any location failing twice in a row is DOWN', async () => {
    const e = engine(downRules(1));
    expect(await e.run('fra', false)).toEqual([]);
    expect(await e.run('iad', true)).toEqual([]);
    expect(await e.run('fra', false)).toEqual(['down:down@fra']);
  });

  it('on a single node (no location) it behaves as it always has', async () => {
    const e = engine(downRules(1));
    expect(await e.run('', false)).toEqual([]);
    expect(await e.run('', false)).toEqual(['down:down']);
    expect(await e.run('', true)).toEqual(['recovered:down']);
    expect(e.state.failures).toBe(0);
  });
});

describe('degraded by quorum of locations', () => {
  const rule = (locations: number): DegradedRule => ({ text: 'p95 > 500ms over 10m', percentile: 0.95, windowMs: 600_000, thresholdMs: 500, step: null, minSamples: 5, enterAfter: 1, leaveAfter: 1, locations });

  it('judges each location on its own window and needs two of them slow', async () => {
    let slow = new Set(['fra']);
    const e = engine({ ...downRules(1), degraded: [rule(2)] }, (q) => (slow.has(q.location ?? '') ? 900 : 100));
    expect(await e.run('fra', true)).toEqual([]);
    expect(await e.run('iad', true)).toEqual([]);
    expect(await e.run('fra', true)).toEqual([]);
    expect(e.queries.map((q) => q.location)).toEqual(['fra', 'iad', 'fra']);
    expect(e.state.status).toBe('up');
    slow = new Set(['fra', 'iad']);
    expect(await e.run('iad', true)).toEqual(['degraded:degraded']);
    expect(await e.run('fra', true)).toEqual([]);
    slow = new Set(['fra']);
    expect(await e.run('iad', true)).toEqual(['recovered:degraded']);
  });

  it('a single-location rule reads every location together, as before', async () => {
    const e = engine({ ...downRules(1), degraded: [rule(1)] }, () => 900);
    expect(await e.run('fra', true)).toEqual(['degraded:degraded']);
    expect(e.queries[0].location).toBeNull();
  });
});
