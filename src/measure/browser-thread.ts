/**
 * The browser thread: Playwright and the Chromium pool run here, apart from the measuring thread, so
 * the protocol traffic of browser runs (every network event, screenshots, traces) never shares an
 * event loop with the timers and sockets of HTTP checks. The measuring thread's scheduler asks for a
 * run by monitor id; the result comes back as a message, screenshots transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BrowserSettings } from '../config/browser-schema.js';
import { monitorId } from '../config/read.js';
import type { MonitorConfig } from '../config/schema.js';
import { createRedactor } from '../lang/redact.js';
import { chromiumPath } from '../probes/browser/chromium.js';
import { createBrowserPool, type PoolStats } from '../probes/browser/pool.js';
import { createBrowserRunner } from '../probes/browser/runner.js';
import type { RunResult } from '../probes/types.js';

export type BrowserThreadInit = { monitors: MonitorConfig[]; settings: BrowserSettings; secrets: [string, string][] };

export type ToBrowserThread =
  | { type: 'run'; req: number; id: string; plannedAt: number }
  | { type: 'abort'; req: number }
  | { type: 'stats'; req: number }
  | { type: 'stop' };

export type FromBrowserThread =
  | { type: 'result'; req: number; result: RunResult }
  | { type: 'stats'; req: number; stats: PoolStats }
  | { type: 'stopped' };

const init = workerData as BrowserThreadInit;
const port = parentPort!;
const { settings } = init;
const pool = createBrowserPool({
  executablePath: chromiumPath(settings.chromium),
  concurrency: settings.concurrency,
  recycleAfterRuns: settings.recycleAfterRuns,
  recycleAfterMs: settings.recycleAfter,
  memoryLimitBytes: settings.memoryLimit * 1024 * 1024,
  nice: settings.nice,
});
const redact = createRedactor(init.secrets);
const runners = new Map(init.monitors.map((m) => [monitorId(m), createBrowserRunner(m, { pool, settings, redact })]));
const inflight = new Map<number, AbortController>();

async function run(req: number, id: string, plannedAt: number) {
  const runner = runners.get(id);
  const abort = new AbortController();
  inflight.set(req, abort);
  let result: RunResult;
  try {
    if (!runner) throw new Error(`no browser monitor "${id}" in this thread`);
    result = await runner.run({ plannedAt, signal: abort.signal });
  } catch (err) {
    // The runner returns failures as data; reaching here is a bug, stored so it shows.
    result = { monitorId: id, plannedAt, startedAt: Date.now(), durationMs: 0, ok: false, failure: { code: 'internal', message: redact(err instanceof Error ? err.message : String(err)) }, steps: [] };
  } finally {
    inflight.delete(req);
  }
  const m: FromBrowserThread = { type: 'result', req, result };
  port.postMessage(m, (result.artifacts ?? []).map((a) => a.data.buffer as ArrayBuffer));
}

port.on('message', async (m: ToBrowserThread) => {
  if (m.type === 'run') void run(m.req, m.id, m.plannedAt);
  else if (m.type === 'abort') inflight.get(m.req)?.abort();
  else if (m.type === 'stats') port.postMessage({ type: 'stats', req: m.req, stats: pool.stats() } satisfies FromBrowserThread);
  else if (m.type === 'stop') {
    for (const a of inflight.values()) a.abort();
    await pool.close();
    port.postMessage({ type: 'stopped' } satisfies FromBrowserThread);
    port.close();
  }
});
