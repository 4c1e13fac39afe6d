/** Heartbeat deadlines on an injected clock: pings that arrive, stop and resume. */
import { describe, expect, it } from 'vitest';
import { createHeartbeats } from '../../src/push/heartbeats.js';
import type { RunResult } from '../../src/probes/types.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 3, 0, 0);

function setup(lastPings?: Map<string, number>) {
  const clock = { now: T0 };
  const runs: RunResult[] = [];
  const hb = createHeartbeats({ monitors: [{ key: 'backup', every: 60 * MIN, grace: 5 * MIN }], onRun: (r) => runs.push(r), now: () => clock.now, lastPings, timers: false });
  return { clock, runs, hb };
}

describe('heartbeat deadlines', () => {
  it('a job that never pinged is given one interval and the grace, then each missed interval is one failed run', () => {
    const { runs, hb } = setup();
    expect(hb.due('backup')).toBe(T0 + 65 * MIN);
    expect(hb.check(T0 + 65 * MIN - 1)).toEqual([]);
    const [miss] = hb.check(T0 + 65 * MIN);
    expect(miss).toMatchObject({ monitorId: 'backup', ok: false, plannedAt: T0 + 65 * MIN, startedAt: T0 + 65 * MIN, durationMs: 0 });
    expect(miss.failure).toEqual({ code: 'missed', message: 'no ping within 1h + 5m grace (due 2026-01-05T04:05:00Z; no ping yet)', step: 0 });
    expect(miss.steps).toHaveLength(1);
    expect(miss.steps[0]).toMatchObject({ name: 'ping', method: 'PUSH', url: 'push', ok: false });
    expect(miss.steps[0].evidence).toEqual([{ what: 'ping', expected: 'by 2026-01-05T04:05:00Z', actual: 'none yet', pass: false }]);
    // The next missed interval is due one `every` later (no second grace), and only then.
    expect(hb.check(T0 + 124 * MIN)).toEqual([]);
    expect(hb.check(T0 + 125 * MIN)).toHaveLength(1);
    expect(runs).toHaveLength(2);
  });

  it('pings that arrive keep it up; when they stop it is missed at last ping + every + grace; when they resume it is up again', () => {
    const { runs, hb, clock } = setup();
    const first = hb.ping('backup', { ok: true, durationMs: 1234 }, T0 + 10 * MIN)!;
    expect(first).toMatchObject({ ok: true, durationMs: 1234, startedAt: T0 + 10 * MIN });
    expect(first.steps[0].timings.total).toBe(1234);
    expect(hb.due('backup')).toBe(T0 + 75 * MIN);
    hb.ping('backup', { ok: true }, T0 + 70 * MIN);
    expect(hb.check(T0 + 134 * MIN)).toEqual([]);
    // The pings stop.
    const [missed] = hb.check(T0 + 135 * MIN);
    expect(missed.failure?.message).toBe('no ping within 1h + 5m grace (due 2026-01-05T05:15:00Z; last ping 2026-01-05T04:10:00Z)');
    // They resume, late: the ping is stored as up (its lateness is in the evidence), and the deadline follows it.
    clock.now = T0 + 150 * MIN;
    const back = hb.ping('backup', { ok: true })!;
    expect(back.ok).toBe(true);
    expect(back.steps[0].evidence[0]).toEqual({ what: 'ping', expected: 'by 2026-01-05T06:15:00Z', actual: 'at 2026-01-05T05:30:00Z', pass: true });
    expect(hb.due('backup')).toBe(T0 + 215 * MIN);
    expect(runs.map((r) => (r.ok ? 'up' : r.failure!.code))).toEqual(['up', 'up', 'missed', 'up']);
  });

  it('a ping with status=fail is a failed run with the job\'s message (code reported), and still a ping for the deadline', () => {
    const { hb } = setup();
    const r = hb.ping('backup', { ok: false, message: 'disk full' }, T0 + MIN)!;
    expect(r.ok).toBe(false);
    expect(r.failure).toEqual({ code: 'reported', message: 'the job reported a failure: disk full', step: 0 });
    expect(r.steps[0].evidence[1]).toEqual({ what: 'job status', expected: 'ok', actual: 'fail: disk full', pass: false });
    expect(hb.due('backup')).toBe(T0 + 66 * MIN);
  });

  it('after a restart the deadline follows the last stored ping, but never falls within the first grace', () => {
    expect(setup(new Map([['backup', T0 - 30 * MIN]])).hb.due('backup')).toBe(T0 + 35 * MIN);
    // Overdue before the restart: pings sent while halftime was down were lost, so only the grace is given.
    expect(setup(new Map([['backup', T0 - 300 * MIN]])).hb.due('backup')).toBe(T0 + 5 * MIN);
  });

  it('after a long pause (a suspended machine) one failed run stands for all the intervals missed', () => {
    const { hb } = setup();
    expect(hb.check(T0 + 1000 * MIN)).toHaveLength(1);
    expect(hb.due('backup')).toBe(T0 + 1060 * MIN);
  });

  it('ignores monitors it does not know', () => {
    const { hb, runs } = setup();
    expect(hb.ping('shop', { ok: true })).toBeUndefined();
    expect(hb.has('shop')).toBe(false);
    expect(runs).toEqual([]);
  });

  it('on several nodes, a ping another node took moves the deadline before it is judged; a failed read still judges', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const runs: RunResult[] = [];
    const errors: unknown[] = [];
    let elsewhere: number | 'away' | null = null;
    const hb = createHeartbeats({
      monitors: [{ key: 'backup', every: 600, grace: 200 }],
      onRun: (r) => runs.push(r),
      refresh: async () => {
        if (elsewhere === 'away') throw new Error('database away');
        return new Map(elsewhere === null ? [] : [['backup', elsewhere]]);
      },
      onRefreshError: (err) => errors.push(err),
    });
    hb.start();
    try {
      await sleep(300);
      // Another node took a ping: this node never saw it, but reads it before judging the deadline (800 ms).
      const pingedAt = Date.now();
      elsewhere = pingedAt;
      await sleep(700);
      expect(runs).toEqual([]);
      expect(hb.due('backup')).toBe(pingedAt + 800);
      // The database goes away: the deadline is judged on what this node saw, and the failure is told.
      elsewhere = 'away';
      await sleep(400 + (pingedAt + 800 - Date.now()));
    } finally {
      hb.stop();
    }
    expect(runs.map((r) => r.failure?.code)).toEqual(['missed']);
    expect(String(errors[0])).toContain('database away');
  });
});
