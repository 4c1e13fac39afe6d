/**
 * The batched writer (runs + steps + minute/hour/day rollups, one transaction per batch) under the
 * conditions users run it in, side by side with the one the first figure was taken under:
 *
 *  - 4 monitors, batches of 200: the earlier "22,700–33,600 runs/s" (every batch merges into the same
 *    4 × 3 rollup buckets, so it mostly measures inserting runs);
 *  - 1,000 monitors, batches of 200 (the default batch size): each batch touches 200 monitors' buckets;
 *  - 1,000 monitors, batches of 1,000 (one run of every monitor per batch);
 *  - 1,000 three-step monitors, batches of 200: per-step rollups too.
 *
 * Each variant writes rounds of one run per monitor, a minute apart (new minute buckets, the same
 * hour and day buckets merged again: the steady state), into a fresh SQLite file (WAL) in a temp
 * folder, through `store.writer` exactly as the scheduler's results go. Medians of BENCH_RUNS (5).
 * With BENCH_POSTGRES=1 each variant is also written into a fresh PostgreSQL database (a throwaway
 * local cluster, as the tests start one; durability off, so it measures round trips, not fsync).
 *
 *   npm run bench -- writer
 *   BENCH_POSTGRES=1 npm run bench -- writer
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunResult, StepResult } from '../src/probes/types.js';
import { openStore } from '../src/store/index.js';
import { logNormal, rng } from '../test/store/history-fixtures.js';
import { createTestDatabase, startPostgres, type PgCluster } from '../test/support/postgres.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Runs written per variant and repetition (whole rounds of one run per monitor). */
const TARGET_RUNS = Number(process.env.BENCH_WRITER_RUNS ?? 20_000);
const T0 = Date.UTC(2026, 10, 26, 6);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

type Variant = { name: string; monitors: number; batch: number; steps: number };
const VARIANTS: Variant[] = [
  { name: '4 monitors, batches of 200 (the earlier figure)', monitors: 4, batch: 200, steps: 1 },
  { name: '1,000 monitors, batches of 200 (default batch size)', monitors: 1000, batch: 200, steps: 1 },
  { name: '1,000 monitors, batches of 1,000', monitors: 1000, batch: 1000, steps: 1 },
  { name: '1,000 three-step monitors, batches of 200', monitors: 1000, batch: 200, steps: 3 },
];

function stepOf(index: number, at: number, ms: number): StepResult {
  return {
    index,
    name: `step ${index + 1}`,
    method: 'GET',
    url: `https://shop.example.com/s${index}`,
    startedAt: at,
    ok: true,
    status: 200,
    timings: { dns: ms * 0.02, connect: ms * 0.05, tls: ms * 0.1, ttfb: ms * 0.6, download: ms * 0.23, total: ms },
    bytes: 48_213,
    redirects: 0,
    headers: {},
    evidence: [{ what: 'status', expected: '2xx or 3xx', actual: '200', pass: true }],
  };
}

/** A fresh, empty database of the backend: its location and how to remove it. */
type Fresh = () => Promise<{ location: string; drop(): Promise<void> }>;

const freshSqlite: Fresh = async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'halftime-bench-writer-'));
  return { location: join(tmp, 'w.db'), drop: async () => rmSync(tmp, { recursive: true, force: true }) };
};

async function measure(v: Variant, fresh: Fresh): Promise<{ runsPerSec: number; cpuUsPerRun: number }> {
  const db = await fresh();
  try {
    const keys = Array.from({ length: v.monitors }, (_, i) => `m${i}`);
    // A flush interval longer than the run: batches are exactly `batch` runs, as under load.
    const store = await openStore(db.location, keys.map((key) => ({ key, name: key, public: true, schedule: 'every 60s', steps: v.steps })), { batchSize: v.batch, flushMs: 3_600_000 });
    const rand = rng(9);
    const rounds = Math.max(1, Math.round(TARGET_RUNS / v.monitors));
    // Build the results first: the figure is the writer's, not the fixture's.
    const results: RunResult[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let m = 0; m < v.monitors; m++) {
        const at = T0 + r * 60_000 + ((m * 59_000) / v.monitors);
        const steps = Array.from({ length: v.steps }, (_, i) => stepOf(i, at, logNormal(rand, 4.5, 0.5)));
        results.push({ monitorId: keys[m], plannedAt: at, startedAt: at, durationMs: steps.reduce((a, s) => a + s.timings.total, 0), ok: true, steps });
      }
    }
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    // Runs arrive while the previous batch is written; each flush takes what is queued, `batch` runs here.
    for (let i = 0; i < results.length; i++) {
      store.writer.write(results[i]);
      if ((i + 1) % v.batch === 0) await store.writer.flush();
    }
    await store.writer.flush();
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    if (store.writer.written !== results.length) throw new Error(`wrote ${store.writer.written} of ${results.length} runs`);
    await store.close();
    return { runsPerSec: results.length / secs, cpuUsPerRun: (cpu.user + cpu.system) / results.length };
  } finally {
    await db.drop();
  }
}

const cluster: PgCluster | undefined = process.env.BENCH_POSTGRES === '1' ? await startPostgres() : undefined;
const backends: [string, Fresh][] = [['SQLite', freshSqlite]];
if (cluster) {
  backends.push([
    'PostgreSQL',
    async () => {
      const db = await createTestDatabase(cluster.url, 'halftime_bench');
      return { location: db.url, drop: db.drop };
    },
  ]);
}
try {
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores; Node ${process.version}; ${RUNS} repetitions of ~${TARGET_RUNS} runs each, variants interleaved`);
  const got = new Map<string, { rps: number[]; cpu: number[] }>();
  for (let i = 0; i < RUNS; i++) {
    for (const v of VARIANTS) {
      for (const [backend, fresh] of backends) {
        const r = await measure(v, fresh);
        const g = got.get(`${backend}: ${v.name}`) ?? { rps: [], cpu: [] };
        g.rps.push(r.runsPerSec);
        g.cpu.push(r.cpuUsPerRun);
        got.set(`${backend}: ${v.name}`, g);
      }
    }
  }
  // CPU is this process's (the writer's side); PostgreSQL's own work runs in its server processes.
  console.log('| writer, runs + steps + minute/hour/day rollups | runs/s (median) | runs/s (each repetition) | CPU µs per run (this process) |');
  console.log('|---|---:|---|---:|');
  for (const [name, g] of got) {
    console.log(`| ${name} | ${Math.round(median(g.rps)).toLocaleString('en')} | ${g.rps.map((x) => Math.round(x).toLocaleString('en')).join(', ')} | ${Math.round(median(g.cpu))} |`);
  }
} finally {
  cluster?.stop();
}
