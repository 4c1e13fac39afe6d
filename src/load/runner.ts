/**
 * Starts a burst in a worker thread and streams its per-second points back. Works from the
 * TypeScript sources (the worker loads through tsx) and from the compiled build (plain .js).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MonitorConfig } from '../config/schema.js';
import type { PlainStep } from './monitor-iteration.js';
import type { LoadPlan } from './shapes.js';
import type { SeriesPoint } from './sketch-series.js';
import type { BurstSummary, ThinkTime } from './types.js';

/** Everything a worker needs, as plain data (functions cannot cross threads). */
export type BurstJob = {
  plan: LoadPlan;
  /**
   * Plain steps (the light path), or the whole monitor for a journey (personas, templates,
   * extraction…). A monitor config is plain data, data pools' CSV rows included, so it crosses.
   */
  monitor: { steps: PlainStep[] } | { journey: MonitorConfig };
  think?: ThinkTime;
  poll?: { url: string; every: number };
  /** Each simulated user's setup and teardown, as monitors whose steps they are (see user-steps.ts). */
  setup?: MonitorConfig;
  teardown?: MonitorConfig;
  /** Threshold sources (`p95<500ms`), already validated. */
  thresholds: string[];
  abortOnErrorRate?: number;
  allowHosts: string[];
  defaultTimeoutMs: number;
  gracefulStop?: number;
};

export type WorkerMessage =
  | { type: 'point'; point: SeriesPoint }
  | { type: 'done'; summary: BurstSummary; threadId: number }
  | { type: 'error'; message: string };

export type BurstHandle = {
  /** The summary, once the burst has ended (rejects if the worker failed). */
  done: Promise<BurstSummary & { threadId: number }>;
  /** Ends the burst early; it still winds down and reports. */
  stop(): void;
};

/** The ESM entry of `tsx/esm/api`, from tsx's own export map (createRequire would give the CommonJS one). */
function tsxEsmApi(from: string): string {
  const pkgPath = createRequire(from).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const rel = pkg.exports['./esm/api']?.import?.default;
  if (!rel) throw new Error('cannot find the ESM entry of tsx/esm/api to run the burst worker from sources');
  return pathToFileURL(join(dirname(pkgPath), rel)).href;
}

/**
 * The compiled build runs worker.js directly. From the sources, a small bootstrap registers tsx in
 * the new thread first and then imports worker.ts (an `--import` flag in execArgv is not applied to
 * a worker's entry module on Node 20).
 */
function newWorker(job: BurstJob): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), { workerData: job });
  const tsxApi = tsxEsmApi(here);
  const entry = new URL('./worker.ts', here).href;
  // The project's tsconfig, wherever the process was started from (tsx looks in the working directory).
  const tsconfig = fileURLToPath(new URL('../../tsconfig.json', here));
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register({ tsconfig: ${JSON.stringify(tsconfig)} }); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: job });
}

export function startBurstWorker(job: BurstJob, opts: { onPoint?: (p: SeriesPoint) => void; signal?: AbortSignal } = {}): BurstHandle {
  const worker = newWorker(job);
  let summary: (BurstSummary & { threadId: number }) | undefined;
  let failure: string | undefined;
  const stop = () => worker.postMessage({ type: 'stop' });
  opts.signal?.addEventListener('abort', stop, { once: true });
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'point') opts.onPoint?.(m.point);
    else if (m.type === 'done') summary = { ...m.summary, threadId: m.threadId };
    else failure = m.message;
  });
  const done = new Promise<BurstSummary & { threadId: number }>((resolve, reject) => {
    worker.once('error', (err) => (failure ??= err.stack ?? err.message));
    worker.once('exit', (code) => {
      opts.signal?.removeEventListener('abort', stop);
      if (summary) resolve(summary);
      else reject(new Error(`burst worker ended without a result (exit code ${code})${failure ? `: ${failure}` : ''}`));
    });
  });
  return { done, stop };
}
