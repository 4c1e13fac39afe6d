import { spawn, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBurstWorker, type BurstJob } from '../../src/load/runner.js';
import type { SeriesPoint } from '../../src/load/sketch-series.js';

// The target runs in its own process, so this thread does nothing but wait for the burst.
let child: ChildProcess;
let url: string;
beforeAll(async () => {
  child = spawn(process.execPath, ['-e', "const s=require('http').createServer((q,r)=>r.end('ok')).listen(0,'127.0.0.1',()=>console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())));
  url = `http://127.0.0.1:${port}`;
});
afterAll(() => {
  child.kill();
});

const job = (over: Partial<BurstJob> = {}): BurstJob => ({
  plan: { model: 'closed', users: 20, spawnRate: 40, duration: 1_500, shape: { type: 'ramp' } },
  monitor: { steps: [{ name: 'home', method: 'GET', url: `${url}/`, headers: {}, followRedirects: true, maxRedirects: 5, maxBodyBytes: 1_000_000, expect: {} }] },
  thresholds: ['p99<2s', 'errors<1%'],
  allowHosts: ['127.0.0.1'],
  defaultTimeoutMs: 5_000,
  gracefulStop: 1_000,
  ...over,
});

describe('burst in a worker thread', () => {
  it('runs off the main thread; the main event loop stays responsive meanwhile', async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const points: SeriesPoint[] = [];
    const t0 = performance.now();
    const summary = await startBurstWorker(job(), { onPoint: (p) => points.push(p) }).done;
    const elapsed = performance.now() - t0;
    clearInterval(ticker);
    delay.disable();
    expect(summary.threadId).not.toBe(threadId);
    // Back-to-back users with no think time: the worker was busy (far more requests than users)…
    expect(summary.requests).toBeGreaterThan(20 * 5);
    expect(summary.errors).toBe(0);
    expect(summary.thresholds.every((t) => t.pass)).toBe(true);
    // …and the main thread was not: its 20 ms timer fired for most of the burst, and no stall of it
    // lasted a sizeable share of the burst. (Judged against the burst's own length, so a machine
    // slowed by other work does not fail it; a burst on this thread would block the timer outright.)
    expect(ticks).toBeGreaterThan((elapsed / 20) * 0.4);
    expect(delay.percentile(99) / 1e6).toBeLessThan(elapsed / 4);
    expect(points.length).toBeGreaterThanOrEqual(1);
    expect(points.reduce((n, p) => n + p.requests, 0)).toBe(summary.requests);
  });

  it('stops early on request and still reports', async () => {
    const ctl = new AbortController();
    const h = startBurstWorker(job({ plan: { model: 'closed', users: 2, spawnRate: 10, duration: 30_000, shape: { type: 'ramp' } }, think: { min: 50, max: 100 } }), { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 400);
    const s = await h.done;
    expect(s.stopReason).toBe('stopped');
    // Stopped long before its planned 30 s.
    expect(s.durationMs).toBeLessThan(30_000 / 3);
  });
});
