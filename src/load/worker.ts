/**
 * Worker-thread entry: runs one burst off the main thread, so the scheduler and the web stay
 * responsive. Gets a plain job in workerData, posts a point per second and the summary at the end;
 * a "stop" message ends the burst early.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { createSession } from '../probes/session.js';
import { runBurst } from './engine.js';
import { journeyIteration } from './journey-iteration.js';
import { monitorIteration, pollRequest } from './monitor-iteration.js';
import { userStepsIteration } from './user-steps.js';
import { parseThreshold } from '../lang/threshold.js';
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
  const m = job.monitor;
  const journey = 'journey' in m ? journeyIteration(m.journey, opts) : undefined;
  const setup = job.setup && userStepsIteration(job.setup, 'setup', opts);
  const teardown = job.teardown && userStepsIteration(job.teardown, 'teardown', opts);
  await Promise.all([journey?.ready(), setup?.ready(), teardown?.ready()]);
  // One connection per origin (two when the user also polls; six when pages load their assets), and
  // only to allowlisted hosts: checked per connection, so redirects, assets and templated URLs too.
  const connectionsPerOrigin = Math.max(journey?.connectionsPerOrigin ?? 1, setup?.connectionsPerOrigin ?? 1, teardown?.connectionsPerOrigin ?? 1, job.poll ? 2 : 1);
  const summary = await runBurst({
    plan: job.plan,
    iteration: 'journey' in m ? journey! : monitorIteration(m, opts),
    newSession: () => createSession({ connectionsPerOrigin, allowHosts: job.allowHosts }),
    think: job.think,
    poll: job.poll ? { every: job.poll.every, run: pollRequest(job.poll.url, opts) } : undefined,
    userSteps: setup || teardown ? { setup, teardown } : undefined,
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
