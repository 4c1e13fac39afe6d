/**
 * The Chromium pool over many runs: never more browsers than its cap, recycled after N runs, and
 * nothing left behind — no Chromium process of the pool, no zombie child — once it is closed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoApp } from '../../../examples/demo-app.js';
import { groupPids, isAlive, poolProcesses } from '../../../src/probes/browser/memory.js';
import { createBrowserRunner } from '../../../src/probes/browser/runner.js';
import { browserMonitor, missingChromium, startDemo, testPool } from './helpers.js';

/** Children of this process that exited but were never reaped. */
function zombieChildren(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' && Number(ppid) === process.pid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Alive and not on its way out (an exiting process has already lost its command line). */
function running(pid: number): boolean {
  try {
    return isAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'latin1').length > 0;
  } catch {
    return false;
  }
}

/** A process's niceness (field 19 of /proc/<pid>/stat). */
function niceOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  } catch {
    return undefined;
  }
}

describe('browser pool', () => {
  let demo: DemoApp;
  beforeAll(async () => {
    if (missingChromium) throw new Error(missingChromium);
    demo = await startDemo();
  });
  afterAll(() => demo?.close());

  it('runs 50 journeys two at a time, recycles browsers after 10 runs, and leaves no Chromium process behind', async () => {
    const pool = testPool({ concurrency: 2, recycleAfterRuns: 10, nice: 10 });
    const runner = createBrowserRunner(browserMonitor(demo.url, `    steps:\n      - goto: /lab/ok\n      - expect: { title: Lab }`), { pool });
    let most = 0;
    // Every Chromium process seen while the runs go on: each browser's whole process group.
    const seen = new Set<number>();
    const sample = setInterval(() => {
      const s = pool.stats();
      most = Math.max(most, s.browsers);
      for (const pid of s.pids) for (const p of groupPids(pid)) seen.add(p);
    }, 50);
    const results = [];
    try {
      // 25 rounds of two at once: bounded in count; each run is bounded by its own timeouts.
      for (let round = 0; round < 25; round++) results.push(...(await Promise.all([runner.run(), runner.run()])));
      // Every Chromium process runs below halftime's priority: a process Chromium starts (or re-prioritises)
      // is lowered at the watchdog's next look, every 500 ms. Looked at for up to 3 s.
      const live = () => pool.stats().pids.flatMap((pid) => groupPids(pid)).filter(running);
      const above = () => live().filter((p) => (niceOf(p) ?? 10) < 10);
      for (let i = 0; i < 20 && above().length > 0; i++) await new Promise((r) => setTimeout(r, 150));
      expect(live().length).toBeGreaterThan(3);
      expect(above()).toEqual([]);
    } finally {
      clearInterval(sample);
      await pool.close();
    }
    expect(results.filter((r) => !r.ok).map((r) => r.failure)).toEqual([]);
    expect(results).toHaveLength(50);
    // Each run opened its page and measured it.
    expect(results.every((r) => r.steps[0].browser!.pages.length === 1 && r.steps[0].browser!.pages[0].vitals.fcp! > 0)).toBe(true);
    const stats = pool.stats();
    expect(most).toBeLessThanOrEqual(2);
    expect(stats.runs).toBe(50);
    expect(stats.launched).toBeGreaterThanOrEqual(5);
    expect(stats.recycled).toBeGreaterThanOrEqual(3);
    // Nothing of the pool is left: not one Chromium process of the many seen, not one unreaped child.
    expect(seen.size).toBeGreaterThan(10);
    const left = () => [...seen].filter(isAlive);
    for (let i = 0; i < 50 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(left()).toEqual([]);
    expect(poolProcesses(pool.id)).toEqual([]);
    expect(zombieChildren()).toEqual([]);
  }, 180_000);
});
