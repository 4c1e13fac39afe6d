/**
 * Worker-thread entry: runs one burst off the main thread, so the scheduler and the web stay
 * responsive. Gets a plain job in workerData, posts a point per second and the summary at the end;
 * a "stop" message ends the burst early.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { runBurst } from './engine.js';
import { monitorIteration, pollRequest } from './monitor-iteration.js';
import { parseThreshold } from './thresholds.js';
import type { BurstJob, WorkerMessage } from './runner.js';

const job = workerData as BurstJob;
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
const stop = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m?.type === 'stop') stop.abort();
});

try {
  const opts = { allowHosts: job.allowHosts, defaultTimeoutMs: job.defaultTimeoutMs };
  const summary = await runBurst({
    plan: job.plan,
    iteration: monitorIteration(job.monitor, opts),
    think: job.think,
    poll: job.poll ? { every: job.poll.every, run: pollRequest(job.poll.url, opts) } : undefined,
    thresholds: job.thresholds.map(parseThreshold),
    abortOnErrorRate: job.abortOnErrorRate,
    gracefulStop: job.gracefulStop,
    signal: stop.signal,
    onPoint: (point) => post({ type: 'point', point }),
  });
  post({ type: 'done', summary, threadId });
} catch (err) {
  post({ type: 'error', message: (err as Error).stack ?? String(err) });
} finally {
  port.close();
}
