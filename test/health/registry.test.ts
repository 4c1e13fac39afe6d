import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/scheduler/scheduler.js';
import { watchOutbox, watchScheduler } from '../../src/health/checks.js';
import { createHealth } from '../../src/health/registry.js';
import { createLogger } from '../../src/log.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');

function logged() {
  const lines: string[] = [];
  return { lines, log: createLogger({ write: (l) => lines.push(l.replace(/^\S+ /, '')) }) };
}

describe('health registry', () => {
  it('is ok with nothing to report; a failing check names its reason and since when, and is said once in the log', () => {
    let t = T0;
    const { lines, log } = logged();
    const h = createHealth({ log, now: () => t });
    expect(h.snapshot()).toEqual({ ok: true, at: T0, problems: [], warnings: [] });
    h.fail('writes', 'writes failing: disk full');
    t += 5_000;
    h.fail('writes', 'writes failing: disk full (12 results waiting)');
    h.fail('writes', 'writes failing: disk full (20 results waiting)');
    const s = h.snapshot();
    expect(s.ok).toBe(false);
    // The reason is the newest, the time the first failure's.
    expect(s.problems).toEqual([{ check: 'writes', reason: 'writes failing: disk full (20 results waiting)', since: T0 }]);
    h.ok('writes');
    h.ok('writes');
    expect(h.snapshot().ok).toBe(true);
    expect(lines).toEqual(['error unhealthy: writes reason="writes failing: disk full" since=2026-11-23T10:00:00.000Z', 'info healthy again: writes']);
  });

  it('asks watched checks on every look; a watch that throws is a problem of its own; warnings keep /healthz ok', () => {
    let t = T0;
    let backlog = 0;
    const { lines, log } = logged();
    const h = createHealth({ log, now: () => t });
    h.watch('outbox', () => (backlog > 0 ? `${backlog} waiting` : null));
    h.watch('flaky', () => {
      throw new Error('no table');
    });
    h.warn('outbox-dead', '2 messages given up');
    const first = h.snapshot();
    expect(first.problems).toEqual([{ check: 'flaky', reason: 'could not be checked: no table', since: T0 }]);
    expect(first.warnings).toEqual([{ check: 'outbox-dead', reason: '2 messages given up', since: T0 }]);
    backlog = 3;
    t += 1_000;
    expect(h.snapshot().problems.map((p) => [p.check, p.since])).toEqual([
      ['flaky', T0],
      ['outbox', T0 + 1_000],
    ]);
    t += 1_000;
    expect(h.snapshot().problems.find((p) => p.check === 'outbox')!.since).toBe(T0 + 1_000);
    backlog = 0;
    h.snapshot();
    expect(lines.filter((l) => l.includes('outbox'))).toEqual(['warn attention: outbox-dead reason="2 messages given up"', 'error unhealthy: outbox reason="3 waiting" since=2026-11-23T10:00:01.000Z', 'info healthy again: outbox']);
  });

  it('tells subscribers when the set of failing checks changes, not on every look', () => {
    const h = createHealth({});
    const seen: string[][] = [];
    h.subscribe((s) => seen.push(s.problems.map((p) => p.check)));
    h.fail('writes', 'x');
    h.snapshot();
    h.fail('alerting', 'y');
    h.snapshot();
    h.ok('writes');
    h.ok('alerting');
    h.snapshot();
    expect(seen).toEqual([['writes'], ['writes', 'alerting'], ['alerting'], []]);
  });

  it('two registries are independent (no singleton)', () => {
    const a = createHealth({});
    const b = createHealth({});
    a.fail('writes', 'x');
    expect(b.snapshot().ok).toBe(true);
  });
});

describe('pulled checks', () => {
  it('the outbox: unhealthy when a channel holds a message older than the limit; given-up messages are a warning', async () => {
    let t = T0;
    const backlog = [{ channel: 'ops-mail', count: 2, oldest: T0, lastError: 'connect ECONNREFUSED 127.0.0.1:25' }];
    let dead = 0;
    const h = createHealth({ now: () => t });
    // The outbox answers from the database: asynchronously.
    watchOutbox(h, { backlog: async () => [...backlog], deadSince: async () => dead }, { unhealthyAfterMs: 15 * 60_000, now: () => t });
    t += 14 * 60_000;
    expect((await h.check()).ok).toBe(true);
    t += 2 * 60_000;
    const problems = [
      {
        check: 'outbox',
        reason: 'alerts are not getting out: channel ops-mail: 2 messages waiting, oldest queued 16 min ago (last error: connect ECONNREFUSED 127.0.0.1:25)',
        since: T0 + 15 * 60_000,
      },
    ];
    expect((await h.check()).problems).toEqual(problems);
    // snapshot() does not wait: it serves the last answers.
    expect(h.snapshot().problems).toEqual(problems);
    dead = 1;
    backlog.length = 0;
    expect(h.snapshot().ok).toBe(false);
    expect(await h.check()).toMatchObject({ ok: true, warnings: [{ check: 'outbox-dead', reason: '1 alert message was given up on in the last 24 h (see /admin/health)' }] });
  });

  it('an asynchronous check that fails is a problem of its own, reported by check()', async () => {
    const h = createHealth({ now: () => T0 });
    h.watch('database', async () => {
      throw new Error('connection refused');
    });
    expect(await h.check()).toMatchObject({ ok: false, problems: [{ check: 'database', reason: 'could not be checked: connection refused', since: T0 }] });
  });

  it('the scheduler: behind when checks wait for a free slot longer than the limit', async () => {
    let t = T0;
    const releases: (() => void)[] = [];
    const job = (id: string) => ({ id, schedule: { every: 3_600_000 }, run: () => new Promise<void>((r) => releases.push(r)) });
    const scheduler = createScheduler([job('a'), job('b'), job('c')], { concurrency: 1, now: () => t });
    const h = createHealth({ now: () => t });
    watchScheduler(h, { isAlive: () => true, lag: () => scheduler.lag() }, { behindMs: 60_000, now: () => t });
    void scheduler.runNow('a');
    void scheduler.runNow('b');
    void scheduler.runNow('c');
    await new Promise((r) => setImmediate(r));
    expect(scheduler.lag().oldestWaitingPlannedAt).toBe(T0);
    t += 30_000;
    expect(h.snapshot().ok).toBe(true);
    t += 60_000;
    expect(h.snapshot().problems).toEqual([
      { check: 'scheduler', reason: 'scheduler behind: checks wait for a free slot; the oldest was due 90 s ago (raise scheduler.concurrency, or check less often)', since: T0 + 60_000 },
    ]);
    // The slot frees: b starts 90 s late; c still waits, so that is what is said.
    const settle = async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    releases.shift()!();
    await settle();
    expect(scheduler.lag().lastStart).toMatchObject({ jobId: 'b', latenessMs: 90_000 });
    expect(h.snapshot().problems[0].reason).toMatch(/checks wait for a free slot; the oldest was due 90 s ago/);
    // Then c starts too: nothing waits, but the last start was late, which counts for a few minutes.
    t += 10_000;
    releases.shift()!();
    await settle();
    expect(scheduler.lag().oldestWaitingPlannedAt).toBeNull();
    expect(h.snapshot().problems[0].reason).toBe('scheduler behind: the last check (c) started 100 s after it was due');
    releases.shift()!();
    await settle();
    t += 6 * 60_000;
    expect(h.snapshot().ok).toBe(true);
    await scheduler.stop(0);
  });

  it('the scheduler: unhealthy when it is not running', () => {
    const h = createHealth({});
    watchScheduler(h, { isAlive: () => false, lag: () => ({ oldestWaitingPlannedAt: null, lastStart: null }) }, { behindMs: 60_000 });
    expect(h.snapshot().problems[0]).toMatchObject({ check: 'scheduler', reason: expect.stringContaining('not running') });
  });
});
