/**
 * The main thread's handle on the measuring thread (src/measure/worker.ts): it starts the thread,
 * hands every finished run to `onRun` (the writer and the alerting service), keeps the thread's
 * latest figures for /healthz, and restarts the thread if it ever dies — loudly.
 */
import type { Worker } from 'node:worker_threads';
import { monitorId, type LoadedConfig } from '../config/read.js';
import type { Logger } from '../log.js';
import type { TraceSettings } from '../probes/trace-context.js';
import type { RunResult } from '../probes/types.js';
import type { Scheduler, SchedulerLag, SchedulerStats } from '../scheduler/scheduler.js';
import { startWorkerThread } from '../worker-thread.js';
import type { FromWorker, MeasureInit, MeasureStats, ToWorker } from './protocol.js';

export type MeasureOptions = {
  loaded: LoadedConfig;
  /** `aborted`: cut off by shutdown (stored as such, not judged). */
  onRun(result: RunResult, meta: { aborted: boolean }): void;
  log: Logger;
  /** A run whose probes may have waited longer than this on a busy loop is flagged (ms, default 50). */
  stallMs?: number;
  /** Restarts allowed after the thread dies, per 10 minutes (default 5). */
  maxRestarts?: number;
  /** W3C trace context on the probes' requests (see probes/trace-context.ts). */
  trace?: TraceSettings;
  /** This node's location ('' for a single node). */
  location?: string;
  /** The monitors this node checks (ids; default: all of the config's). */
  monitors?: string[];
};

export type MeasureHost = Scheduler & {
  /** How far behind its schedule the measuring thread runs (from its latest figures). */
  lag(): SchedulerLag;
  /** Resolves once the thread has built its jobs. */
  ready: Promise<void>;
  /** The thread's latest figures (undefined before the first second). */
  figures(): MeasureStats | undefined;
};

const EMPTY: SchedulerStats = { started: 0, finished: 0, skipped: 0, inFlight: 0, queued: 0 };

export function startMeasuring(opts: MeasureOptions): MeasureHost {
  const init: MeasureInit = { config: opts.loaded.config, secrets: [...opts.loaded.secrets].map(([n, v]) => [n, v]), stallMs: opts.stallMs ?? 50, trace: opts.trace, location: opts.location ?? '', monitors: opts.monitors ?? opts.loaded.config.monitors.map((m) => monitorId(m)) };
  const pending = new Map<number, (started: boolean) => void>();
  const restarts: number[] = [];
  let figures: MeasureStats | undefined;
  let worker: Worker;
  let started = false;
  let startedAt = 0;
  let stopping = false;
  let req = 0;
  let markReady: () => void;
  const ready = new Promise<void>((r) => (markReady = r));

  const send = (m: ToWorker) => worker.postMessage(m);

  function spawn() {
    worker = startWorkerThread(new URL('./worker.js', import.meta.url), { workerData: init, name: 'halftime-measure' });
    worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          opts.log.info('probes warmed up', m.warmUp as Record<string, unknown>);
          markReady();
          if (started) send({ type: 'start' });
          break;
        case 'run':
          opts.onRun(m.result, { aborted: m.aborted });
          break;
        case 'ranNow':
          pending.get(m.req)?.(m.started);
          pending.delete(m.req);
          break;
        case 'stats':
          figures = m.stats;
          break;
        case 'skip':
          opts.log.warn('previous run still going; skipped this slot', { monitor: m.id });
          break;
        case 'crash':
          opts.log.error('run crashed', { monitor: m.id, error: m.message });
          break;
        case 'stopped':
          break;
      }
    });
    worker.on('error', (err) => opts.log.error('the measuring thread failed', { error: err }));
    worker.on('exit', (code) => {
      for (const resolve of pending.values()) resolve(false);
      pending.clear();
      if (stopping) return;
      figures = undefined;
      const now = Date.now();
      while (restarts.length && restarts[0] < now - 600_000) restarts.shift();
      if (restarts.length >= (opts.maxRestarts ?? 5)) {
        opts.log.error('the measuring thread keeps dying; checks are NOT running', { exitCode: code, restarts: restarts.length });
        return;
      }
      restarts.push(now);
      opts.log.error('the measuring thread stopped unexpectedly; restarting it', { exitCode: code });
      setTimeout(() => !stopping && spawn(), 1_000).unref();
    });
  }
  spawn();

  return {
    ready,
    figures: () => figures,
    start() {
      if (started) return;
      started = true;
      startedAt = Date.now();
      void ready.then(() => !stopping && send({ type: 'start' }));
    },
    async stop(graceMs = 8_000) {
      if (stopping) return;
      stopping = true;
      const w = worker;
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      if (w.threadId === -1) return;
      send({ type: 'stop', graceMs });
      // The thread aborts what is still running after the grace period; give it a moment more, then end it.
      const timer = setTimeout(() => void w.terminate(), graceMs + 3_000);
      await exited;
      clearTimeout(timer);
    },
    isAlive() {
      // Fresh figures from the thread (it reports every second); a thread just started has had no chance yet.
      const last = figures?.at ?? startedAt;
      return started && !stopping && Date.now() - last < 5_000;
    },
    lag() {
      return figures?.lag ?? { oldestWaitingPlannedAt: null, lastStart: null };
    },
    stats() {
      return figures ? { started: figures.started, finished: figures.finished, skipped: figures.skipped, inFlight: figures.inFlight, queued: figures.queued } : { ...EMPTY };
    },
    runNow(id) {
      if (stopping) return Promise.resolve(false);
      const n = ++req;
      return new Promise<boolean>((resolve) => {
        pending.set(n, resolve);
        send({ type: 'runNow', id, req: n });
      });
    },
  };
}
