/**
 * Iterations cut off by the end of the run (the hard stop after the graceful stop) are counted apart:
 * not as errors, not in the percentiles, not in the thresholds. A healthy target passes `errors<0.1%`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/load.js';
import { parseConfigText } from '../../src/configure.js';
import { parseThreshold } from '../../src/lang/threshold.js';
import { runBurst } from '../../src/load/engine.js';
import { journeyIteration } from '../../src/load/journey-iteration.js';
import { monitorIteration } from '../../src/load/monitor-iteration.js';
import { startServer, type TestServer } from '../helpers.js';

let target: TestServer;
let served = 0;
/** From this moment on, new requests are held until released: they are surely in flight at the hard stop. */
let holdFrom = Infinity;
const held: (() => void)[] = [];
beforeAll(async () => {
  // Healthy and steady: every answer after 150 ms (400 ms on /slow).
  target = await startServer((req, res) => {
    if (Date.now() >= holdFrom) {
      held.push(() => res.end('ok'));
      return;
    }
    setTimeout(() => {
      served++;
      res.end('ok');
    }, req.url === '/slow' ? 400 : 150);
  });
});
afterAll(() => target.close());

const monitor = (extra = '') =>
  parseConfigText(`monitors:\n  - name: m\n${extra}    steps:\n      - name: home\n        url: ${target.url}/\n      - name: again\n        url: ${target.url}/again\n`, 't.yaml').config.monitors[0];

const thresholds = ['errors<0.1%', 'p95<5s'].map(parseThreshold);

describe('iterations cut off by the end of the run', () => {
  it('plain steps: the requests in flight at the hard stop are counted apart, errors stay 0, thresholds pass', async () => {
    served = 0;
    // Requests sent after 600 ms are held past the hard stop (1,000 + 20 ms), so each user's request in
    // flight is cut off however slowly this machine runs the loop.
    holdFrom = Date.now() + 600;
    const s = await runBurst({ plan: { model: 'closed', users: 3, spawnRate: 100, duration: 1_000, shape: { type: 'ramp' } }, iteration: monitorIteration(monitor()), gracefulStop: 20, thresholds }).finally(() => {
      holdFrom = Infinity;
      for (const release of held.splice(0)) release();
    });
    expect(s.cutOff.iterations).toBe(3);
    expect(s.cutOff.requests).toBe(3);
    expect(s.errors).toBe(0);
    expect(s.failedIterations).toBe(0);
    expect(s.failures).toEqual([]);
    expect(s.iterations).toBeGreaterThan(0);
    expect(s.thresholds.map((t) => t.pass)).toEqual([true, true]);
    // Counted requests are those that finished: two per finished iteration, plus a first step a cut-off one finished.
    expect(s.requests - 2 * s.iterations).toBeGreaterThanOrEqual(0);
    expect(s.requests - 2 * s.iterations).toBeLessThanOrEqual(3);
    expect(s.requests).toBeLessThanOrEqual(served);
    expect(formatSummary('m', s)).toContain('cut off by the end: 3 iterations (3 requests in flight, not counted)');
  });

  it('journeys with think times: a pass the hard stop ends is cut off, its finished steps still count', async () => {
    const s = await runBurst({
      plan: { model: 'closed', users: 2, spawnRate: 100, duration: 1_000, shape: { type: 'ramp' } },
      iteration: journeyIteration(monitor('    think: 100ms\n')),
      gracefulStop: 30,
      thresholds,
    });
    expect(s.cutOff.iterations).toBe(2);
    expect(s.errors).toBe(0);
    expect(s.thresholds.every((t) => t.pass)).toBe(true);
    expect(s.steps.find((x) => x.name === 'home')!.errors).toBe(0);
  });

  it('a real failure in the same run is still an error', async () => {
    // Answers at 400, 800 and 1,200 ms: the third is in flight at the hard stop (1,000 + 20 ms).
    const failing = parseConfigText(`monitors:\n  - name: m\n    steps:\n      - name: home\n        url: ${target.url}/slow\n        expect: { status: 201 }\n`, 't.yaml').config.monitors[0];
    const s = await runBurst({ plan: { model: 'closed', users: 1, spawnRate: 100, duration: 1_000, shape: { type: 'ramp' } }, iteration: monitorIteration(failing), gracefulStop: 20, thresholds, abortOnErrorRate: 1 });
    expect(s.errors).toBe(2);
    expect(s.errors).toBe(s.requests);
    expect(s.cutOff.iterations).toBe(1);
    expect(s.thresholds[0].pass).toBe(false);
  });
});
