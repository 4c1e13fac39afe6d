import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler, spreadFraction, type Job, type Scheduler } from '../../src/scheduler/scheduler.js';
import { sleep } from '../helpers.js';

let scheduler: Scheduler | undefined;
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
  it('runs at a fixed rate with small lateness and passes the planned time', async () => {
    const planned: number[] = [];
    const lateness: number[] = [];
    scheduler = createScheduler([{ id: 'a', schedule: { every: 100 }, run: async (p) => void planned.push(p) }], {
      onStart: (_id, late) => lateness.push(late),
    });
    scheduler.start();
    await sleep(560);
    await scheduler.stop(100);
    expect(planned.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < planned.length; i++) expect(planned[i] - planned[i - 1]).toBe(100);
    expect(Math.max(...lateness)).toBeLessThan(100);
  });

  it('never overlaps a monitor with itself: a slow run skips slots', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const skipped: number[] = [];
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
    await sleep(600);
    await scheduler.stop(1000);
    expect(maxConcurrent).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(skipped.length).toBeGreaterThanOrEqual(3);
    expect(scheduler.stats().skipped).toBe(skipped.length);
  });

  it('keeps to the global concurrency limit', async () => {
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
    await sleep(400);
    await scheduler.stop(1000);
    expect(maxConcurrent).toBe(3);
    expect(scheduler.stats().finished).toBeGreaterThan(12);
  });

  it('survives a job that throws', async () => {
    const errors: string[] = [];
    let calls = 0;
    scheduler = createScheduler(
      [{ id: 'bad', schedule: { every: 50 }, run: async () => { calls++; throw new Error('boom'); } }],
      { onError: (id, err) => errors.push(`${id}: ${(err as Error).message}`) },
    );
    scheduler.start();
    await sleep(220);
    expect(scheduler.isAlive()).toBe(true);
    await scheduler.stop(100);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toBe('bad: boom');
  });

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
  it('lets in-flight runs finish within the grace period and starts no new ones', async () => {
    let finished = 0;
    let started = 0;
    scheduler = createScheduler([{ id: 'x', schedule: { every: 1000 }, run: async () => { started++; await sleep(150); finished++; } }]);
    scheduler.start();
    await scheduler.runNow('x').catch(() => undefined);
    const p = scheduler.runNow('x');
    await sleep(20);
    const t = Date.now();
    await scheduler.stop(2000);
    await p;
    expect(Date.now() - t).toBeLessThan(1000);
    expect(finished).toBe(started);
    expect(scheduler.isAlive()).toBe(false);
    const before = started;
    await sleep(1100);
    expect(started).toBe(before);
  });

  it('aborts runs that outlast the grace period, and they settle', async () => {
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
    await sleep(20);
    const t = Date.now();
    await scheduler.stop(100);
    expect(aborted).toBe(true);
    expect(Date.now() - t).toBeLessThan(600);
  });
});
