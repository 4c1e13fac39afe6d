/**
 * The measuring thread: the scheduler and the probes, with nothing else on this event loop. Page
 * renders, SSE, API queries, the writer, rollups, retention and exporters run on the main thread and
 * cannot delay a timer or a socket callback here. Each finished run goes to the main thread as a
 * message, with the largest event-loop lag its probes could have waited (`loopDelayMs`).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { monitorId } from '../config/read.js';
import { createRedactor } from '../lang/redact.js';
import { createCheckRunner } from '../probes/checks/index.js';
import { warmUp } from '../probes/warm-up.js';
import type { RunResult } from '../probes/types.js';
import { createScheduler, type Job } from '../scheduler/scheduler.js';
import { startBrowserHost } from './browser-host.js';
import { createLoopLag } from './loop-lag.js';
import type { FromWorker, MeasureInit, MeasureStats, ToWorker } from './protocol.js';

const init = workerData as MeasureInit;
const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const { config } = init;
const redact = createRedactor(init.secrets);
const lag = createLoopLag();
let stalledRuns = 0;
const lateness: number[] = [];

// Every monitor of this node with something to run, by its type (http journeys, browser journeys, tls,
// tcp, dns). Heartbeat monitors have nothing to run here: their runs are the pings their jobs send,
// and the missed deadlines the main thread records (src/push/).
const mine = new Set(init.monitors);
const ours = config.monitors.filter((m) => mine.has(monitorId(m)));
// Browser monitors run in a thread of their own (Playwright's protocol traffic stays off this loop).
const browserMonitors = ours.filter((m) => m.browser);
const browsers = browserMonitors.length ? startBrowserHost({ monitors: browserMonitors, settings: config.browser, secrets: init.secrets }) : undefined;

const jobs: Job[] = ours.flatMap((m) => {
  if (m.browser) {
    const id = monitorId(m);
    return [{
      id,
      schedule: m.cron ? { cron: m.cron } : { every: m.every ?? config.scheduler.defaultEvery },
      run: async (plannedAt, signal) => {
        const result = await browsers!.run(id, { plannedAt, signal });
        if (init.location) result.location = init.location;
        const aborted = signal.aborted && !result.ok;
        post({ type: 'run', result: aborted ? asAborted(result) : result, aborted });
      },
    }];
  }
  const runner = createCheckRunner(m, { redact, defaultTimeoutMs: config.scheduler.defaultTimeout, trace: init.trace, location: init.location || undefined });
  if (!runner) return [];
  return {
    id: monitorId(m),
    schedule: m.cron ? { cron: m.cron } : { every: m.every ?? config.scheduler.defaultEvery },
    run: async (plannedAt, signal) => {
      const t0 = performance.now();
      const result = await runner.run({ plannedAt, signal });
      if (init.location) result.location = init.location;
      const t1 = performance.now();
      // A stall shows in the lag sample that fires after it: look one interval past the run's end.
      await new Promise((r) => setTimeout(r, lag.intervalMs + 1));
      result.loopDelayMs = Math.round(lag.maxBetween(t0, t1) * 100) / 100;
      if (result.loopDelayMs > init.stallMs) stalledRuns++;
      // The scheduler aborts only at shutdown: a run it cut off says nothing about the target.
      const aborted = signal.aborted && !result.ok;
      post({ type: 'run', result: aborted ? asAborted(result) : result, aborted });
    },
  };
});

/** A run cut off by shutdown: kept with code `aborted`, which uptime, latency and alert rules leave out. */
function asAborted(r: RunResult): RunResult {
  const failure = { code: 'aborted' as const, message: 'cut off by shutdown before it finished', step: r.failure?.step };
  return { ...r, failure, steps: r.steps.map((s, i) => (i === failure.step && !s.ok ? { ...s, failure: { code: 'aborted', message: failure.message } } : s)) };
}

const scheduler = createScheduler(jobs, {
  concurrency: config.scheduler.concurrency,
  onStart: (_id, ms) => void (lateness.length < 100_000 && lateness.push(ms)),
  onError: (id, err) => post({ type: 'crash', id, message: err instanceof Error ? redact(err.stack ?? err.message) : redact(String(err)) }),
  onSkip: (id, plannedAt) => post({ type: 'skip', id, plannedAt }),
});

function spread(values: number[]): MeasureStats['lateness'] {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0, count: 0 };
  const sorted = values.sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1];
  return { p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1], count: sorted.length };
}

const statsTimer = setInterval(() => {
  post({ type: 'stats', stats: { ...scheduler.stats(), lateness: spread(lateness.splice(0)), loop: lag.take(), stalledRuns, lag: scheduler.lag(), at: Date.now() } });
}, 1_000);

port.on('message', async (m: ToWorker) => {
  if (m.type === 'start') scheduler.start();
  else if (m.type === 'runNow') post({ type: 'ranNow', req: m.req, started: await scheduler.runNow(m.id) });
  else if (m.type === 'stop') {
    await scheduler.stop(m.graceMs);
    await browsers?.stop();
    clearInterval(statsTimer);
    lag.stop();
    post({ type: 'stopped' });
    port.close();
  }
});

// halftime's own first-use costs (cold code, parsers, modules) are paid here, in this thread, before
// the first measurement.
post({ type: 'ready', warmUp: await warmUp(config.monitors) });
