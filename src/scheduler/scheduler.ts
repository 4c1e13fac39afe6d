import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createTask, type ScheduledTask } from 'node-cron';

export type Schedule = { every: number } | { cron: string; timezone?: string };

export type Job = {
  id: string;
  schedule: Schedule;
  /** Runs the job once; `plannedAt` is the epoch ms it was due. Must settle soon after `signal` aborts. */
  run(plannedAt: number, signal: AbortSignal): Promise<unknown>;
};

export type SchedulerOptions = {
  /** Most runs in flight at once, across all jobs (default 50). */
  concurrency?: number;
  /** Called with each run's lateness: actual start − planned start, in ms. */
  onStart?: (jobId: string, latenessMs: number) => void;
  /** A job threw (it should not: probes return failures as data). */
  onError?: (jobId: string, err: unknown) => void;
  /** A run was skipped because the job's previous run was still going. */
  onSkip?: (jobId: string, plannedAt: number) => void;
  now?: () => number;
};

export type SchedulerStats = { started: number; finished: number; skipped: number; inFlight: number; queued: number };

/** How far behind its schedule the scheduler runs (for /healthz). */
export type SchedulerLag = {
  /** Planned start of the oldest run still waiting for a free slot (concurrency limit), or null. */
  oldestWaitingPlannedAt: number | null;
  /** The most recent run to start: its job and how late it started (actual − planned, ms). */
  lastStart: { jobId: string; latenessMs: number; at: number } | null;
};

export type Scheduler = {
  start(): void;
  /** Stops scheduling; lets in-flight runs finish for up to `graceMs`, then aborts them and waits. */
  stop(graceMs?: number): Promise<void>;
  /** True while started and its heartbeat is fresh (the event loop is not stuck). */
  isAlive(): boolean;
  stats(): SchedulerStats;
  lag(): SchedulerLag;
  /** Runs a job now, outside its schedule (still single-flight and within the limit). */
  runNow(jobId: string): Promise<boolean>;
};

/** Stable offset in [0, 1) from a job id, so first runs spread over the interval the same way each start. */
export function spreadFraction(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) / 0x1_0000_0000;
}

export function createScheduler(jobs: Job[], opts: SchedulerOptions = {}): Scheduler {
  const now = opts.now ?? Date.now;
  const limit = opts.concurrency ?? 50;
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const timers = new Map<string, NodeJS.Timeout>();
  const cronTasks: ScheduledTask[] = [];
  const running = new Map<string, Promise<void>>();
  const waiting: (() => void)[] = [];
  const abort = new AbortController();
  // Every run in flight listens to this one shutdown signal (its requests, its timeout): up to `limit`
  // runs, each with a few listeners, is expected, not a leak (Node warns past 10 by default).
  setMaxListeners((limit + 10) * 8, abort.signal);
  const stats: SchedulerStats = { started: 0, finished: 0, skipped: 0, inFlight: 0, queued: 0 };
  let active = 0;
  let started = false;
  let stopped = false;
  let lastBeat = 0;
  let heartbeat: NodeJS.Timeout | undefined;
  let lastStart: SchedulerLag['lastStart'] = null;
  // Planned start of each run waiting for a slot, in arrival order.
  const waitingPlanned: number[] = [];

  const acquire = (plannedAt: number) =>
    active < limit
      ? (active++, Promise.resolve())
      : new Promise<void>((resolve) => {
          stats.queued++;
          waitingPlanned.push(plannedAt);
          waiting.push(() => {
            stats.queued--;
            waitingPlanned.splice(waitingPlanned.indexOf(plannedAt), 1);
            active++;
            resolve();
          });
        });
  const release = () => {
    active--;
    waiting.shift()?.();
  };

  function dispatch(job: Job, plannedAt: number): boolean {
    if (stopped) return false;
    if (running.has(job.id)) {
      stats.skipped++;
      opts.onSkip?.(job.id, plannedAt);
      return false;
    }
    const p = (async () => {
      await acquire(plannedAt);
      try {
        if (stopped && abort.signal.aborted) return;
        stats.started++;
        stats.inFlight++;
        const t = now();
        lastStart = { jobId: job.id, latenessMs: t - plannedAt, at: t };
        opts.onStart?.(job.id, t - plannedAt);
        await job.run(plannedAt, abort.signal);
      } catch (err) {
        opts.onError?.(job.id, err);
      } finally {
        stats.inFlight = Math.max(0, stats.inFlight - 1);
        stats.finished++;
        release();
        running.delete(job.id);
      }
    })();
    running.set(job.id, p);
    return true;
  }

  function scheduleInterval(job: Job, every: number) {
    const t = now();
    // First run: a stable point inside the first interval.
    let planned = t + Math.floor(spreadFraction(job.id) * every);
    const arm = () => {
      if (stopped) return;
      const timer = setTimeout(() => {
        dispatch(job, planned);
        planned += every;
        // After a long pause (suspended laptop, blocked loop) skip missed slots instead of bursting.
        const current = now();
        if (planned < current - every) planned += Math.floor((current - planned) / every) * every;
        arm();
      }, Math.max(0, planned - now()));
      timers.set(job.id, timer);
    };
    arm();
  }

  return {
    start() {
      if (started) return;
      started = true;
      lastBeat = now();
      heartbeat = setInterval(() => (lastBeat = now()), 1_000);
      heartbeat.unref();
      for (const job of jobs) {
        if ('every' in job.schedule) scheduleInterval(job, job.schedule.every);
        else {
          const task = createTask(job.schedule.cron, (ctx) => void dispatch(job, ctx.date.getTime()), {
            name: `halftime:${job.id}`,
            timezone: job.schedule.timezone,
            suppressMissedWarning: true,
          });
          task.start();
          cronTasks.push(task);
        }
      }
    },
    async stop(graceMs = 10_000) {
      if (stopped) return;
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.all(cronTasks.map((t) => t.destroy()));
      if (heartbeat) clearInterval(heartbeat);
      const all = Promise.all(running.values());
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
      const outcome = await Promise.race([all.then(() => 'done' as const), graceOver]);
      clearTimeout(timer);
      if (outcome === 'late') {
        abort.abort(new Error('halftime is shutting down'));
        // Waiting runs never start; in-flight runs settle once aborted.
        while (waiting.length > 0) waiting.shift()?.();
        await all;
      }
    },
    isAlive() {
      return started && !stopped && now() - lastBeat < 5_000;
    },
    stats() {
      return { ...stats };
    },
    lag() {
      return { oldestWaitingPlannedAt: waitingPlanned.length > 0 ? Math.min(...waitingPlanned) : null, lastStart };
    },
    async runNow(jobId) {
      const job = byId.get(jobId);
      if (!job) return false;
      const ok = dispatch(job, now());
      await running.get(jobId);
      return ok;
    },
  };
}
