/**
 * Measurement isolation: the scheduler and the probes run in their own thread, so a main thread
 * stalled by page renders (here: a busy loop, the worst case) delays neither when checks start nor
 * what they measure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime, type Halftime } from '../../src/main.js';
import { storeSql } from '../../src/store/index.js';
import { sleep, tempDir } from '../helpers.js';
import { startTargetProcess, type TargetProcess } from '../support/target-process.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1];

describe('measurement isolation', () => {
  let ht: Halftime | undefined;
  let target: TargetProcess | undefined;
  const tmp = tempDir();
  afterEach(async () => {
    await ht?.stop(2_000);
    await target?.close();
    tmp.cleanup();
  });

  it('a stalled main thread delays neither the start of checks nor what they measure', async () => {
    target = await startTargetProcess({ delayMs: 5 });
    const monitors = Array.from({ length: 100 }, (_, i) => `  - { id: m${i}, name: M${i}, every: 1s, steps: [{ url: "${target!.url}/${i}" }] }`).join('\n');
    const loaded = parseConfigText(`monitors:\n${monitors}\n`, 'isolation.yaml');
    ht = await startHalftime({ loaded, dbPath: `${tmp.dir}/db.sqlite`, port: 0, logger: createLogger({ quiet: true, write: () => undefined }), adminPassword: 'a long enough password' });
    await sleep(2_500);
    // Stall the main thread the way a 10,000-monitor render would: three 1-second busy loops.
    const stalls: [number, number][] = [];
    for (let i = 0; i < 3; i++) {
      const from = Date.now();
      while (Date.now() - from < 1_000) {
        /* busy */
      }
      stalls.push([from, Date.now()]);
      await sleep(300);
    }
    await sleep(1_500);
    await ht.store.writer.flush();
    type Row = { planned_at: number; started_at: number; duration_ms: number; ok: number; loop_delay_ms: number };
    const rows = await storeSql(ht.store).all<Row>('SELECT planned_at, started_at, duration_ms, ok, loop_delay_ms FROM runs');
    const stalled = (t: number) => stalls.some(([a, b]) => t >= a && t < b);
    const inStall = rows.filter((r) => stalls.some(([a, b]) => r.planned_at >= a && r.planned_at < b - 100));
    // The same machine at the same time, minus the stall: the runs planned just before and after.
    const calm = rows.filter((r) => r.planned_at > stalls[0][0] - 2_000 && !stalled(r.planned_at) && !stalled(r.planned_at + 300));
    const late = (r: Row) => r.started_at - r.planned_at;
    // Checks kept starting while the main thread was stuck (about 100 per second)…
    expect(inStall.length).toBeGreaterThan(150);
    expect(calm.length).toBeGreaterThan(150);
    // …on time: a stall on the main thread would add about 500 ms to the median (runs due during a
    // 1-second stall wait for its end); the measuring thread does not see it. Compared with the calm
    // runs of the same minute, so a busy machine slows both alike.
    expect(median(inStall.map(late)) - median(calm.map(late))).toBeLessThan(200);
    // …measured what the target did (5 ms) rather than the stall, and none failed.
    expect(inStall.every((r) => r.ok === 1)).toBe(true);
    expect(median(inStall.map((r) => r.duration_ms))).toBeLessThan(median(calm.map((r) => r.duration_ms)) * 1.5 + 20);
    expect(p95(inStall.map((r) => r.duration_ms))).toBeLessThan(p95(calm.map((r) => r.duration_ms)) + 300);
    // Each run carries the event-loop delay its probes saw.
    expect(rows.every((r) => typeof r.loop_delay_ms === 'number')).toBe(true);
    expect(median(inStall.map((r) => r.loop_delay_ms))).toBeLessThan(median(calm.map((r) => r.loop_delay_ms)) + 100);
    // The measuring thread's own loop delay and stalled runs are on /healthz and /metrics.
    const health = (await (await fetch(`${ht.url}/healthz`)).json()) as { measuring?: { loopDelayMs: { p99: number; max: number }; latenessMs: { p99: number }; stalledRuns: number } };
    expect(health.measuring?.loopDelayMs.max).toBeGreaterThanOrEqual(0);
    expect(health.measuring?.loopDelayMs.max).toBeLessThan(1_000);
    // (Counted since start, posted each second: at most the stalled runs stored so far plus a second's worth.)
    expect(health.measuring?.stalledRuns).toBeLessThanOrEqual(rows.filter((r) => r.loop_delay_ms > 50).length + 200);
    expect(health.measuring?.stalledRuns).toBeGreaterThanOrEqual(0);
    const metrics = await (await fetch(`${ht.url}/metrics`)).text();
    expect(metrics).toMatch(/^halftime_measure_loop_delay_seconds\{stat="max"\} [\d.e-]+$/m);
    expect(metrics).toMatch(/^halftime_measure_stalled_runs_total \d+$/m);
  }, 30_000);
});
