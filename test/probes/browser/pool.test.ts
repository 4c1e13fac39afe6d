/**
 * The Chromium pool over many runs: never more browsers than its cap, recycled after N runs, and
 * nothing left behind — no Chromium process of the pool, no zombie child — once it is closed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoApp } from '../../../examples/demo-app.js';
import { poolProcesses } from '../../../src/probes/browser/memory.js';
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

describe('browser pool', () => {
  let demo: DemoApp;
  beforeAll(async () => {
    if (missingChromium) throw new Error(missingChromium);
    demo = await startDemo();
  });
  afterAll(() => demo?.close());

  it('runs 50 journeys two at a time, recycles browsers after 10 runs, and leaves no Chromium process behind', async () => {
    const pool = testPool({ concurrency: 2, recycleAfterRuns: 10 });
    const runner = createBrowserRunner(browserMonitor(demo.url, `    steps:\n      - goto: /lab/ok\n      - expect: { title: Lab }`), { pool });
    let most = 0;
    const sample = setInterval(() => (most = Math.max(most, pool.stats().browsers)), 50);
    const results = [];
    try {
      // 25 rounds of two at once: bounded in count; each run is bounded by its own timeouts.
      for (let round = 0; round < 25; round++) results.push(...(await Promise.all([runner.run(), runner.run()])));
      expect(poolProcesses(pool.id).length).toBeGreaterThan(0);
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
    // Nothing of the pool is left: not one Chromium process, not one unreaped child.
    for (let i = 0; i < 50 && poolProcesses(pool.id).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(poolProcesses(pool.id)).toEqual([]);
    expect(zombieChildren()).toEqual([]);
  }, 180_000);
});
