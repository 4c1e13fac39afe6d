/**
 * The measuring thread's handle on the browser thread (./browser-thread.ts): started on the first
 * browser run, restarted if it dies (the runs it had come back failed, with the reason), stopped with
 * the scheduler — which kills every Chromium it started.
 */
import type { Worker } from 'node:worker_threads';
import type { RunResult } from '../probes/types.js';
import type { PoolStats } from '../probes/browser/pool.js';
import { startWorkerThread } from '../worker-thread.js';
import type { BrowserThreadInit, FromBrowserThread, ToBrowserThread } from './browser-thread.js';

export type BrowserHost = {
  run(id: string, opts: { plannedAt: number; signal: AbortSignal }): Promise<RunResult>;
  stats(): Promise<PoolStats | undefined>;
  stop(): Promise<void>;
};

export function startBrowserHost(init: BrowserThreadInit): BrowserHost {
  let worker: Worker | undefined;
  let req = 0;
  let stopping = false;
  const runs = new Map<number, { resolve: (r: RunResult) => void; id: string; plannedAt: number }>();
  const asks = new Map<number, (s: PoolStats | undefined) => void>();

  const thread = (): Worker => {
    if (worker) return worker;
    const w = startWorkerThread(new URL('./browser-thread.js', import.meta.url), { workerData: init, name: 'halftime-browser' });
    w.on('message', (m: FromBrowserThread) => {
      if (m.type === 'result') {
        runs.get(m.req)?.resolve(m.result);
        runs.delete(m.req);
      } else if (m.type === 'stats') {
        asks.get(m.req)?.(m.stats);
        asks.delete(m.req);
      }
    });
    let error = '';
    w.on('error', (err) => (error = err.message));
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      // Whatever it had in flight fails loudly; the next run starts a fresh thread.
      for (const [n, r] of runs) {
        r.resolve({ monitorId: r.id, plannedAt: r.plannedAt, startedAt: Date.now(), durationMs: 0, ok: false, failure: { code: stopping ? 'aborted' : 'internal', message: stopping ? 'cut off by shutdown' : `the browser thread stopped (exit code ${code}${error ? `: ${error}` : ''})` }, steps: [] });
        runs.delete(n);
      }
      for (const a of asks.values()) a(undefined);
      asks.clear();
    });
    worker = w;
    return w;
  };
  const send = (m: ToBrowserThread) => thread().postMessage(m);

  return {
    run(id, opts) {
      const n = ++req;
      // The scheduler's signal is shared by all runs: the listener goes once this run is back.
      const onAbort = () => worker && runs.has(n) && worker.postMessage({ type: 'abort', req: n } satisfies ToBrowserThread);
      opts.signal.addEventListener('abort', onAbort, { once: true });
      return new Promise<RunResult>((resolve) => {
        runs.set(n, { resolve, id, plannedAt: opts.plannedAt });
        send({ type: 'run', req: n, id, plannedAt: opts.plannedAt });
      }).finally(() => opts.signal.removeEventListener('abort', onAbort));
    },
    stats() {
      if (!worker) return Promise.resolve(undefined);
      const n = ++req;
      return new Promise((resolve) => {
        asks.set(n, resolve);
        send({ type: 'stats', req: n });
      });
    },
    async stop() {
      stopping = true;
      const w = worker;
      if (!w) return;
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      w.postMessage({ type: 'stop' } satisfies ToBrowserThread);
      // The pool kills its browsers at once; the thread is ended if it does not finish soon after.
      const timer = setTimeout(() => void w.terminate(), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
