import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warmUp } from '../../src/probes/warm-up.js';
import { startServer, type TestServer } from '../helpers.js';

const run = promisify(execFile);
let target: TestServer;
beforeAll(async () => {
  target = await startServer((_req, res) => res.end('<h1>Welcome</h1>'));
  // The target's own first request is not what is measured here.
  await fetch(`${target.url}/`).then((r) => r.text());
});
afterAll(() => target.close());

type Figures = { total: number; cpu: number; connect: number };
type FirstRun = { first: Figures; steady: Figures; allOk: boolean };

/** One fresh process making its first runs (see test/fixtures/first-run.ts). */
async function firstRuns(mode: 'warm' | 'cold'): Promise<FirstRun> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/fixtures/first-run.ts', `${target.url}/`, mode], { timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as FirstRun;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('warmUp', () => {
  it('runs real journeys on a loopback server of its own and says how it went', async () => {
    const report = await warmUp([], { rounds: 2 });
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ runs: 2, failed: 0 });
    expect(report.ms).toBeGreaterThan(0);
  });

  it('keeps halftime\'s first-use costs out of the first measured run of a fresh process', async () => {
    const cold = await firstRuns('cold');
    const warm: FirstRun[] = [];
    for (let i = 0; i < 5; i++) warm.push(await firstRuns('warm'));
    for (const w of [cold, ...warm]) expect(w.allOk).toBe(true);
    const wall = (r: FirstRun) => r.first.total / r.steady.total;
    const cpu = (r: FirstRun) => r.first.cpu / r.steady.cpu;
    const show = (f: (r: FirstRun) => number) => `without warm-up ${f(cold).toFixed(1)}×, with ${warm.map((w) => `${f(w).toFixed(1)}×`).join(' ')}`;
    // Not an outlier: the median over five fresh processes is within a few times the steady state
    // (cold processes measured 7–50× here; the CPU figures are for the message).
    expect(median(warm.map(wall)), `first/steady wall ${show(wall)}; CPU ${show(cpu)}`).toBeLessThan(4);
  }, 60_000);
});
