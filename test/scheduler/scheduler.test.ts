import { afterEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, spreadFraction, type Job, type Scheduler } from '../../src/scheduler/scheduler.js';
import { sleep } from '../helpers.js';

let scheduler: Scheduler | undefined;

/** Runs a test on vitest's fake clock (setTimeout, setInterval and Date), so timing cannot flake. */
async function onFakeClock(body: () => Promise<void>) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  try {
    vi.setSystemTime(Date.UTC(2026, 10, 26, 12));
    await body();
  } finally {
    if (scheduler) await settle(scheduler.stop(0), 0);
    scheduler = undefined;
    vi.useRealTimers();
  }
}

/** Moves the fake clock `ms` on, then waits for `p`. */
async function settle<T>(p: Promise<T>, ms: number): Promise<T> {
  await vi.advanceTimersByTimeAsync(ms);
  return p;
}
afterEach(async () => {
  await scheduler?.stop(100);
  scheduler = undefined;
});

describe('spreading', () => {
  it('spreads first runs of many monitors evenly over the interval', () => {
    const fractions = Array.from({ length: 1000 }, (_, i) => spreadFraction(`monitor-${i}`));
    const buckets = new Array(10).fill(0);
    for (const f of fractions) {
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      buckets[Math.floor(f * 10)]++;
    }
    // 100 expected per tenth; none empty or crowded.
    for (const b of buckets) expect(b).toBeGreaterThan(60), expect(b).toBeLessThan(140);
    expect(spreadFraction('monitor-1')).toBe(spreadFraction('monitor-1'));
  });

  it('plans first runs inside the first interval, not all at once', async () => {
    // The planned times show the spreading; when they actually fire depends on the machine's load
    // (lateness is measured separately, in bench/scheduler.bench.ts).
    const planned = new Map<string, number>();
    const t0 = Date.now();
    const jobs: Job[] = Array.from({ length: 40 }, (_, i) => ({
      id: `m${i}`,
      schedule: { every: 400 },
      run: async (p) => void (planned.has(`m${i}`) || planned.set(`m${i}`, p - t0)),
    }));
    scheduler = createScheduler(jobs);
    scheduler.start();
    for (let i = 0; i < 100 && planned.size < 40; i++) await sleep(50);
    await scheduler.stop(100);
    const first = [...planned.values()];
    expect(first.length).toBe(40);
    expect(Math.min(...first)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...first)).toBeLessThan(400 + 5);
    // Spread: not more than a quarter planned within the same 50 ms.
    const slots = new Map<number, number>();
    for (const s of first) slots.set(Math.floor(s / 50), (slots.get(Math.floor(s / 50)) ?? 0) + 1);
    expect(Math.max(...slots.values())).toBeLessThanOrEqual(10);
  });
});

describe('running', () => {
  // Timing is judged on an injected clock (vitest's fake timers drive setTimeout and Date together,
  // and the scheduler's own `now` can run ahead of its timers), so a busy machine cannot make it
  // flake; real-clock lateness is measured in bench/scheduler.bench.ts.
  it('runs at a fixed rate on time, measures lateness, and skips slots missed by a stalled loop', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      vi.setSystemTime(Date.UTC(2026, 10, 26, 12));
      const t0 = Date.now();
      // How far the wall clock has run ahead of the timers (a loop that was stalled that long).
      let stalled = 0;
      const planned: number[] = [];
      const lateness: number[] = [];
      scheduler = createScheduler([{ id: 'a', schedule: { every: 100 }, run: async (p) => void planned.push(p) }], {
        onStart: (_id, late) => lateness.push(late),
        now: () => Date.now() + stalled,
      });
      scheduler.start();
      await vi.advanceTimersByTimeAsync(560);
      // On time: every slot planned 100 ms after the last, started when planned.
      expect(planned.length).toBe(5);
      expect(planned[0] - t0).toBe(Math.floor(spreadFraction('a') * 100));
      for (let i = 1; i < planned.length; i++) expect(planned[i] - planned[i - 1]).toBe(100);
      expect(lateness).toEqual([0, 0, 0, 0, 0]);
      // The loop stalls 350 ms before the next slot: it starts 350 ms late and says so; the two slots
      // missed meanwhile are skipped (not fired in a burst), the next one catches up, then on time again.
      const due = planned[4] + 100;
      stalled = 350;
      // The timers' own clock runs to 60 ms past that slot (the wall clock is 350 ms further on).
      await vi.advanceTimersByTimeAsync(due - Date.now() + 60);
      expect(planned.slice(5)).toEqual([due, due + 300, due + 400]);
      // (the catch-up slot is armed with a 0 ms timer, which Node runs after 1 ms: 51 ms late)
      expect(lateness.slice(5)).toEqual([350, 51, 0]);
      await scheduler.stop(100);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never overlaps a monitor with itself: a slow run skips slots', async () =>
    onFakeClock(async () => {
      let concurrent = 0;
      let maxConcurrent = 0;
      let runs = 0;
      const skipped: number[] = [];
      const t0 = Date.now();
      scheduler = createScheduler(
        [
          {
            id: 'slow',
            schedule: { every: 50 },
            run: async () => {
              concurrent++;
              runs++;
              maxConcurrent = Math.max(maxConcurrent, concurrent);
              await sleep(180);
              concurrent--;
            },
          },
        ],
        { onSkip: (_id, p) => skipped.push(p) },
      );
      scheduler.start();
      await vi.advanceTimersByTimeAsync(600);
      await settle(scheduler.stop(1000), 1000);
      // Slots every 50 ms from the spread offset; a 180 ms run covers its own slot and skips the next three.
      const slots = Math.floor((600 - Math.floor(spreadFraction('slow') * 50)) / 50) + 1;
      expect(maxConcurrent).toBe(1);
      expect(runs + skipped.length).toBe(slots);
      expect(runs).toBe(Math.ceil(slots / 4));
      expect(skipped.every((p) => (p - t0 - Math.floor(spreadFraction('slow') * 50)) % 50 === 0)).toBe(true);
      expect(scheduler.stats().skipped).toBe(skipped.length);
    }));

  it('keeps to the global concurrency limit', async () =>
    onFakeClock(async () => {
      let concurrent = 0;
      let maxConcurrent = 0;
      const jobs: Job[] = Array.from({ length: 12 }, (_, i) => ({
        id: `j${i}`,
        schedule: { every: 60 },
        run: async () => {
          concurrent++;
          maxConcurrent = Math.max(maxConcurrent, concurrent);
          await sleep(40);
          concurrent--;
        },
      }));
      scheduler = createScheduler(jobs, { concurrency: 3 });
      scheduler.start();
      await vi.advanceTimersByTimeAsync(400);
      await settle(scheduler.stop(1000), 1000);
      expect(maxConcurrent).toBe(3);
      // Three at a time for 40 ms each, with work always waiting: close to 3 per 40 ms over 400 ms.
      expect(scheduler.stats().finished).toBeGreaterThanOrEqual(27);
    }));

  it('survives a job that throws', async () =>
    onFakeClock(async () => {
      const errors: string[] = [];
      let calls = 0;
      scheduler = createScheduler(
        [{ id: 'bad', schedule: { every: 50 }, run: async () => { calls++; throw new Error('boom'); } }],
        { onError: (id, err) => errors.push(`${id}: ${(err as Error).message}`) },
      );
      scheduler.start();
      await vi.advanceTimersByTimeAsync(220);
      expect(scheduler.isAlive()).toBe(true);
      await settle(scheduler.stop(100), 100);
      expect(calls).toBe(Math.floor((220 - Math.floor(spreadFraction('bad') * 50)) / 50) + 1);
      expect(errors).toEqual(Array(calls).fill('bad: boom'));
    }));

  it('runs cron schedules (node-cron, with seconds)', async () => {
    const planned: number[] = [];
    scheduler = createScheduler([{ id: 'c', schedule: { cron: '* * * * * *' }, run: async (p) => void planned.push(p) }]);
    scheduler.start();
    await sleep(2300);
    await scheduler.stop(100);
    expect(planned.length).toBeGreaterThanOrEqual(2);
    for (const p of planned) expect(p % 1000).toBe(0);
  });
});

describe('shutdown', () => {
  it('lets in-flight runs finish within the grace period and starts no new ones', async () =>
    onFakeClock(async () => {
      let finished = 0;
      let started = 0;
      scheduler = createScheduler([{ id: 'x', schedule: { every: 1000 }, run: async () => { started++; await sleep(150); finished++; } }]);
      scheduler.start();
      await settle(scheduler.runNow('x'), 150);
      const p = scheduler.runNow('x');
      await vi.advanceTimersByTimeAsync(20);
      const t = Date.now();
      await settle(scheduler.stop(2000), 130);
      await p;
      // It waited for the run (130 ms left of it), not for the whole grace period.
      expect(Date.now() - t).toBe(130);
      expect(finished).toBe(started);
      expect(scheduler.isAlive()).toBe(false);
      const before = started;
      await vi.advanceTimersByTimeAsync(1100);
      expect(started).toBe(before);
    }));

  it('aborts runs that outlast the grace period, and they settle', async () =>
    onFakeClock(async () => {
      let aborted = false;
      scheduler = createScheduler([
        {
          id: 'hang',
          schedule: { every: 10_000 },
          run: (_p, signal) =>
            new Promise<void>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve()), { once: true })),
        },
      ]);
      scheduler.start();
      void scheduler.runNow('hang');
      await vi.advanceTimersByTimeAsync(20);
      const t = Date.now();
      await settle(scheduler.stop(100), 100);
      expect(aborted).toBe(true);
      expect(Date.now() - t).toBe(100);
    }));
});

describe('many runs in flight', () => {
  it('lets 40 runs listen to the shutdown signal at once without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let listening = 0;
      const jobs: Job[] = Array.from({ length: 40 }, (_, i) => ({
        id: `m${i}`,
        schedule: { every: 60_000 },
        run: async (_plannedAt, signal) => {
          // What a run does: its requests and its timeout listen to the shutdown signal.
          const any = AbortSignal.any([signal, AbortSignal.timeout(60_000)]);
          const onAbort = () => undefined;
          signal.addEventListener('abort', onAbort);
          listening++;
          await gate;
          signal.removeEventListener('abort', onAbort);
          return any;
        },
      }));
      scheduler = createScheduler(jobs, { concurrency: 40 });
      const runs = jobs.map((j) => scheduler!.runNow(j.id));
      for (let i = 0; i < 50 && listening < 40; i++) await sleep(10);
      expect(listening).toBe(40);
      release();
      await Promise.all(runs);
      await sleep(10);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
