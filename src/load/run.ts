/**
 * Wiring for one burst: starts it in a worker thread and writes its per-second points and summary
 * through the store as they arrive. Used by `halftime load` and by the scheduler (cron bursts).
 */
import type { ResolvedBurst } from './from-config.js';
import { startBurstWorker } from './runner.js';
import { describePlan } from './shapes.js';
import type { SeriesPoint } from './sketch-series.js';
import type { BurstSummary } from './types.js';
import type { LoadRuns } from '../store/load-runs.js';

export type BurstRunOptions = {
  /** Where to store the run; omitted: not stored. */
  loadRuns?: LoadRuns;
  trigger: 'cli' | 'schedule' | 'admin' | 'api';
  /** Called with the stored run's id as soon as it is created (before the burst starts). */
  onBegin?: (runId: number) => void;
  onPoint?: (p: SeriesPoint) => void;
  /** Exporters (OTLP) that want every point too, with the run it belongs to. */
  exportPoint?: (p: SeriesPoint, run: { runId?: number; name: string; monitorKey: string }) => void;
  signal?: AbortSignal;
  /** Hides secrets in failure messages before they are stored or shown. */
  redact?: (s: string) => string;
  onStoreError?: (err: unknown) => void;
  /** Refuse to run (reject with the store's error) when the run cannot be stored: for starts that must be shown and stoppable. */
  requireStored?: boolean;
};

export async function runBurstAndStore(r: ResolvedBurst, opts: BurstRunOptions): Promise<{ runId?: number; summary: BurstSummary }> {
  const redact = opts.redact ?? ((s: string) => s);
  const store = opts.loadRuns;
  let runId: number | undefined;
  const safely = async (f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (err) {
      opts.onStoreError?.(err);
    }
  };
  // Points are written in the order they came, one after the other; the summary after the last.
  let writes: Promise<void> = Promise.resolve();
  if (store) {
    try {
      runId = await store.begin({ name: r.name, monitorKey: r.monitorKey, trigger: opts.trigger, plan: r.plan, planText: describePlan(r.plan) });
    } catch (err) {
      if (opts.requireStored) throw err;
      opts.onStoreError?.(err);
    }
  }
  if (runId !== undefined) opts.onBegin?.(runId);
  const handle = startBurstWorker(r.job, {
    signal: opts.signal,
    onPoint: (raw) => {
      const p = { ...raw, steps: raw.steps.map((x) => ({ ...x, name: redact(x.name) })) };
      if (store && runId !== undefined) writes = writes.then(() => safely(() => store.addPoint(runId!, p)));
      opts.onPoint?.(p);
      opts.exportPoint?.(p, { runId, name: r.name, monitorKey: r.monitorKey });
    },
  });
  let summary: BurstSummary;
  try {
    const { threadId: _thread, ...rest } = await handle.done;
    summary = {
      ...rest,
      stopMessage: rest.stopMessage && redact(rest.stopMessage),
      failures: rest.failures.map((f) => ({ ...f, message: redact(f.message) })),
      steps: rest.steps.map((x) => ({ ...x, name: redact(x.name) })),
    };
  } catch (err) {
    await writes;
    if (store && runId !== undefined) await safely(() => store.fail(runId!, redact((err as Error).message)));
    throw err;
  }
  await writes;
  if (store && runId !== undefined) await safely(() => store.finish(runId!, summary));
  return { runId, summary };
}
