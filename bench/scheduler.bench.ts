/**
 * Scheduler under load: BENCH_MONITORS (1,000) monitors every BENCH_EVERY seconds (10) for
 * BENCH_SECONDS (60), wired as src/main.ts wires them: the real scheduler, the real runMonitor
 * (a fresh session per run) and the real store (SQLite file in a temp folder, batched writer).
 * The target is a tiny HTTP server in a child process (bench/target-server.ts).
 *
 * Reports lateness (actual start − planned start, from the scheduler's onStart) p50/p99/max
 * (target p99 < 100 ms), runs started/completed/skipped, rows written, event-loop delay,
 * RSS (sampled peak, the kernel's max RSS, and at the end), heap, and CPU time used.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { monitorId } from '../src/config/read.js';
import { createRedactor } from '../src/lang/redact.js';
import { monitorSchema, type MonitorConfig } from '../src/config/schema.js';
import { runMonitor } from '../src/probes/run-monitor.js';
import { createScheduler, spreadFraction, type Job } from '../src/scheduler/scheduler.js';
import { openStore } from '../src/store/index.js';
import { envNumber, fmt, gc, mb, percentile, runQueueWaitMs, startCanary, startTargetServer } from './support.js';

const SECONDS = envNumber('BENCH_SECONDS', 60);
const MONITORS = Math.floor(envNumber('BENCH_MONITORS', 1000));
const EVERY_MS = envNumber('BENCH_EVERY', 10) * 1000;
const CONCURRENCY = Math.floor(envNumber('BENCH_CONCURRENCY', 50)); // the config default
const TARGET_P99_MS = 100;

// Production runs the compiled build without source maps; tsx turns them on, which makes every
// Error whose stack is read (undici makes one each time a dispatcher is closed) several times dearer.
process.setSourceMapsEnabled(false);

const server = await startTargetServer();
const canary = await startCanary();
const dir = mkdtempSync(join(tmpdir(), 'halftime-bench-'));
const redact = createRedactor(new Map());
const monitors: MonitorConfig[] = Array.from({ length: MONITORS }, (_, i) =>
  monitorSchema.parse({
    id: `bench-${i}`,
    name: `Bench ${i}`,
    every: EVERY_MS,
    // Different paths, as different monitors would have; the server answers every path alike.
    steps: [{ url: `${server.url}/page/${i}`, expect: { status: 200, bodyContains: 'Welcome' } }],
  }),
);

let writeErrors = 0;
const store = await openStore(
  join(dir, 'bench.db'),
  monitors.map((m) => ({ key: monitorId(m), name: m.name, public: true, schedule: `every ${EVERY_MS / 1000}s` })),
  { onError: () => writeErrors++ },
);

const lateness: number[] = [];
let ok = 0;
let failed = 0;
let errors = 0;
let skipped = 0;
const failureKinds = new Map<string, number>();
const jobs: Job[] = monitors.map((m) => ({
  id: monitorId(m),
  schedule: { every: m.every! },
  run: async (plannedAt, signal) => {
    const result = await runMonitor(m, { plannedAt, signal, redact, defaultTimeoutMs: 10_000 });
    store.writer.write(result);
    if (result.ok) ok++;
    else {
      failed++;
      const k = result.failure?.code ?? 'unknown';
      failureKinds.set(k, (failureKinds.get(k) ?? 0) + 1);
    }
  },
}));
const scheduler = createScheduler(jobs, {
  concurrency: CONCURRENCY,
  onStart: (_id, late) => lateness.push(late),
  onSkip: () => skipped++,
  onError: () => errors++,
});

const LOOP_RESOLUTION_MS = 10;
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()));
const sampler = setInterval(sampleRss, 250);
// Stalls: gaps over STALL_MS between ticks of a 10 ms timer. For each, how much of the gap the main
// thread spent runnable but off-CPU (other processes' doing) versus running or blocked in our code.
const STALL_MS = 50;
const stalls = { count: 0, gapMs: 0, offCpuMs: 0 };
let lastTick = performance.now();
let lastWait = runQueueWaitMs() ?? 0;
const stallTimer = setInterval(() => {
  const t = performance.now();
  const w = runQueueWaitMs() ?? 0;
  if (t - lastTick > STALL_MS) {
    stalls.count++;
    stalls.gapMs += t - lastTick;
    stalls.offCpuMs += w - lastWait;
  }
  lastTick = t;
  lastWait = w;
}, 10);
const wait0 = runQueueWaitMs();
// Garbage-collection pauses (they stop the event loop, so they show up as lateness too).
const gcPauses = { count: 0, totalMs: 0, maxMs: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcPauses.count++;
    gcPauses.totalMs += e.duration;
    gcPauses.maxMs = Math.max(gcPauses.maxMs, e.duration);
  }
});
gcObserver.observe({ entryTypes: ['gc'] });
const rssStart = process.memoryUsage.rss();
gc();
const heapStart = process.memoryUsage().heapUsed;
const cpu0 = process.cpuUsage();
const t0 = performance.now();

console.log(`${MONITORS} monitors every ${EVERY_MS / 1000}s for ${SECONDS}s, concurrency ${CONCURRENCY}; server pid ${server.pid}; db in ${dir}`);
try {
  loop.enable();
  scheduler.start();
  // Progress every 10 s, so a long run shows it is alive (bounded: SECONDS / 10 lines).
  for (let elapsed = 0; elapsed < SECONDS; ) {
    const step = Math.min(10, SECONDS - elapsed);
    await new Promise((r) => setTimeout(r, step * 1000));
    elapsed += step;
    const st = scheduler.stats();
    console.log(`  ${String(elapsed).padStart(4)}s  started ${st.started}  finished ${st.finished}  in flight ${st.inFlight}  queued ${st.queued}  skipped ${st.skipped}  rss ${mb(process.memoryUsage.rss())}`);
  }
  await scheduler.stop(10_000);
  loop.disable();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const offCpu = wait0 === undefined ? undefined : (runQueueWaitMs() ?? 0) - wait0;
  await store.writer.flush();
  sampleRss();
  const stats = scheduler.stats();
  const stored = (await store.status.statusOverview({ publicOnly: false, days: 1 })).reduce((n, m) => n + m.runs24h, 0);
  const srv = await server.stats();
  const control = await canary.stats();
  const mem = process.memoryUsage();
  gc();
  const heapAfterGc = process.memoryUsage().heapUsed;
  // The histogram records the whole interval between its timer's ticks; the delay is the excess.
  const loopMs = (ns: number) => fmt(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS), 1);
  const p50 = percentile(lateness, 50);
  const p99 = percentile(lateness, 99);
  const max = Math.max(...lateness);
  // Slots due in the run: each job's first run sits at its stable offset inside the first interval.
  const expected = jobs.reduce((n, j) => {
    const first = Math.floor(spreadFraction(j.id) * EVERY_MS);
    return n + (first < SECONDS * 1000 ? Math.floor((SECONDS * 1000 - first - 1) / EVERY_MS) + 1 : 0);
  }, 0);

  console.log(`\nlateness (ms)        p50 ${fmt(p50, 1)}  p99 ${fmt(p99, 1)}  max ${fmt(max, 1)}  (${lateness.length} starts)  target p99 < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'met' : 'MISSED'}`);
  console.log(`runs                 started ${stats.started}  completed ${stats.finished}  ok ${ok}  failed ${failed}${failed ? ` (${[...failureKinds].map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}  skipped ${skipped}  crashed ${errors}  (${expected} slots due in ${SECONDS}s)`);
  console.log(`store                written ${store.writer.written}  rows counted by the read model ${stored}  write errors ${writeErrors}`);
  console.log(`event-loop delay     p50 ${loopMs(loop.percentile(50))} ms  p99 ${loopMs(loop.percentile(99))} ms  max ${loopMs(loop.max)} ms`);
  console.log(`control              an idle process's 10 ms timer on this machine meanwhile: late p50 ${fmt(control.p50, 1)} ms  p99 ${fmt(control.p99, 1)} ms  max ${fmt(control.max, 1)} ms`);
  console.log(`gc pauses            ${gcPauses.count}, ${fmt(gcPauses.totalMs, 0)} ms in all, longest ${fmt(gcPauses.maxMs, 1)} ms`);
  console.log(`stalls over ${STALL_MS} ms  ${stalls.count}, ${fmt(stalls.gapMs, 0)} ms in all, of which ${fmt(stalls.offCpuMs, 0)} ms runnable but waiting for a CPU`);
  if (offCpu !== undefined) console.log(`waiting for a CPU    ${fmt(offCpu / 1000, 1)} s over the run (main thread runnable but not running: the machine is busy)`);
  console.log(`memory               rss start ${mb(rssStart)}  peak (sampled) ${mb(peakRss)}  peak (max RSS) ${mb(process.resourceUsage().maxRSS * 1024)}  end ${mb(mem.rss)};  heap used start ${mb(heapStart)}  end ${mb(mem.heapUsed)}  after gc ${mb(heapAfterGc)}`);
  console.log(`cpu                  user ${fmt(cpu.user / 1e6, 1)} s  system ${fmt(cpu.system / 1e6, 1)} s  over ${fmt(wall, 1)} s wall = ${fmt((100 * (cpu.user + cpu.system)) / 1e6 / wall, 0)}% of one core; ${fmt((cpu.user + cpu.system) / 1000 / Math.max(1, stats.finished), 2)} ms per run`);
  console.log(`server               ${srv.requests} requests on ${srv.connections} connections, CPU ${fmt((srv.cpuUserMs + srv.cpuSystemMs) / 1000, 1)} s`);
  if (errors > 0 || failed > 0 || writeErrors > 0 || stored !== store.writer.written) {
    console.error('some runs failed, crashed or were not stored: the figures above are not valid');
    process.exitCode = 1;
  }
} finally {
  clearInterval(sampler);
  clearInterval(stallTimer);
  gcObserver.disconnect();
  await scheduler.stop(0);
  await store.close();
  await server.close();
  await canary.close();
  rmSync(dir, { recursive: true, force: true });
}
