/**
 * What one browser check costs, against the same check over plain HTTP. The page is the demo shop's
 * /lab/ok (a small self-contained page: inline style, no assets), served from a child process on
 * 127.0.0.1. Three ways of checking it, alternating within each round, one run at a time:
 *   - halftime browser: a browser monitor (`goto: /lab/ok`, `expect: { title: Lab }`) through
 *     halftime's pool with the default settings (2 browsers, nice 10, memory watchdog) except that it
 *     does not recycle during the timed rounds: a retired browser's orphaned helpers take their CPU
 *     time with them, so a round with a recycle cannot be counted. What a recycle costs is measured
 *     apart: BENCH_BROWSER_LAUNCHES (3) first runs on a fresh pool, launch included; the default
 *     pool pays that once every 50 runs;
 *   - bare Playwright: the same page and title check on one warm browser started with the same
 *     Chromium and flags, a fresh context per run (the peer: what Playwright itself costs);
 *   - halftime HTTP: an HTTP monitor of one step (`url: /lab/ok`, `expect: { bodyContains: <title>Lab }`)
 *     on a fresh visitor per run.
 * Per run: wall time (median), CPU (this process + every Chromium process, those that ended
 * included: a reaped child's time moves into its parent's cutime/cstime), and the demo server's CPU.
 * Memory with the pool warm: the RSS of all the pool's Chromium processes summed (shared pages
 * counted once per process, so an upper bound) and their PSS (shared pages split: the fair share),
 * read between runs; the PSS peak during a run from the pool's watchdog.
 * Bounded: BENCH_BROWSER_ROUNDS (5) rounds of BENCH_BROWSER_RUNS (20) runs per way, and a time cap of
 * BENCH_BROWSER_SECONDS (300) after which no new run starts.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { BROWSER_DEFAULTS } from '../src/config/browser-schema.js';
import { parseConfigText } from '../src/configure.js';
import { CHROMIUM_ARGS, chromiumPath } from '../src/probes/browser/chromium.js';
import { findProcess, groupMemory, groupPids, poolProcesses } from '../src/probes/browser/memory.js';
import { createBrowserPool } from '../src/probes/browser/pool.js';
import { createBrowserRunner } from '../src/probes/browser/runner.js';
import { createJourneyRunner } from '../src/probes/journey.js';
import { envNumber, fmt, mb, median } from './support.js';

const ROUNDS = Math.floor(envNumber('BENCH_BROWSER_ROUNDS', 5));
const RUNS = Math.floor(envNumber('BENCH_BROWSER_RUNS', 20));
const DEADLINE = Date.now() + envNumber('BENCH_BROWSER_SECONDS', 300) * 1000;
const CHROMIUM = chromiumPath(BROWSER_DEFAULTS.chromium);
const TICK_MS = 1000 / 100; // USER_HZ: /proc times are in 1/100 s on Linux
process.setSourceMapsEnabled(false);

const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./demo-server.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
const demoUrl = await new Promise<string>((resolve, reject) => {
  child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
  child.once('exit', (code) => reject(new Error(`demo server exited (${code})`)));
});

/** CPU ms of a process: its own time, and with `children` the time of the children it has reaped. */
function cpuOf(pid: number | 'self', children: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[11..14]: utime stime cutime cstime
    return (Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) * TICK_MS;
  } catch {
    return 0; // ended between the listing and the read
  }
}
/** CPU ms of every process in these browsers' groups, with what they reaped (renderers, helpers). */
const browsersCpu = (pids: number[]) => pids.flatMap((p) => groupPids(p)).reduce((sum, p) => sum + cpuOf(p, true), 0);
/** RSS of processes, summed (bytes). */
function rssOf(pids: number[]): number {
  let kb = 0;
  for (const p of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'latin1'))?.[1] ?? 0);
    } catch {
      // ended meanwhile
    }
  }
  return kb * 1024;
}

const monitorOf = (yaml: string) => parseConfigText(`monitors:\n  - name: bench\n    baseUrl: ${demoUrl}\n${yaml}\n`, 'bench.yaml', {}).config.monitors[0];
const BROWSER = monitorOf(`    browser: true\n    steps:\n      - goto: /lab/ok\n      - expect: { title: Lab }`);
const HTTP = monitorOf(`    steps:\n      - { url: /lab/ok, expect: { status: 200, bodyContains: "<title>Lab" } }`);

const poolOf = (recycleAfterRuns: number) =>
  createBrowserPool({
    executablePath: CHROMIUM,
    concurrency: BROWSER_DEFAULTS.concurrency,
    recycleAfterRuns,
    recycleAfterMs: BROWSER_DEFAULTS.recycleAfter,
    memoryLimitBytes: BROWSER_DEFAULTS.memoryLimit * 1024 * 1024,
    nice: BROWSER_DEFAULTS.nice,
  });

// A cold run: a fresh pool's first run, Chromium's start included; its CPU read before the pool closes.
const cold: { wall: number; cpu: number }[] = [];
for (let i = 0; i < Math.floor(envNumber('BENCH_BROWSER_LAUNCHES', 3)) && Date.now() < DEADLINE; i++) {
  const p = poolOf(BROWSER_DEFAULTS.recycleAfterRuns);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await createBrowserRunner(BROWSER, { pool: p }).run();
  const wall = performance.now() - t0;
  const own = process.cpuUsage(own0);
  cold.push({ wall, cpu: (own.user + own.system) / 1000 + browsersCpu(p.stats().pids) });
  await p.close();
}

const pool = poolOf(1_000_000);
const browserRunner = createBrowserRunner(BROWSER, { pool });
const httpRunner = createJourneyRunner(HTTP, { seed: 1 });

// The peer: one warm browser, same binary and flags; a marker switch finds its process as the pool does.
const bareMarker = `--halftime-bench-bare=${process.pid}`;
const bare = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, bareMarker], headless: true });
const barePid = findProcess(bareMarker);
if (barePid === undefined) throw new Error('the bare Playwright browser was not found in /proc');
async function bareRun(): Promise<boolean> {
  const ctx = await bare.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(`${demoUrl}/lab/ok`, { waitUntil: 'load' });
    return (await page.title()).includes('Lab');
  } finally {
    await ctx.close();
  }
}

type Way = 'browser' | 'bare' | 'http';
const ways: Record<Way, { run: () => Promise<boolean>; browsers: () => number[] }> = {
  browser: { run: async () => (await browserRunner.run()).ok, browsers: () => pool.stats().pids },
  bare: { run: bareRun, browsers: () => [barePid] },
  http: { run: async () => (await httpRunner.run()).ok, browsers: () => [] },
};

type Round = { wall: number; cpu: number; own: number; chromium: number; server: number; runs: number; failed: number };
/** RUNS runs of one way, one at a time; per-run medians and means of the round. */
async function round(way: Way): Promise<Round> {
  const w = ways[way];
  const walls: number[] = [];
  let failed = 0;
  // /proc is read only outside the timed runs, so reading it is not counted.
  const before = { chromium: browsersCpu(w.browsers()), reaped: reapedCpu(), server: cpuOf(child.pid!, true) };
  const own0 = process.cpuUsage();
  for (let i = 0; i < RUNS && Date.now() < DEADLINE; i++) {
    const t0 = performance.now();
    if (!(await w.run())) failed++;
    walls.push(performance.now() - t0);
  }
  const ownUs = process.cpuUsage(own0);
  const own = (ownUs.user + ownUs.system) / 1000;
  const chromiumMs = browsersCpu(w.browsers()) - before.chromium + (reapedCpu() - before.reaped);
  const server = cpuOf(child.pid!, true) - before.server;
  const n = walls.length;
  return { wall: median(walls), cpu: (own + Math.max(0, chromiumMs)) / n, own: own / n, chromium: Math.max(0, chromiumMs) / n, server: server / n, runs: n, failed };
}
/** CPU of the children this process has reaped: browsers the pool retired and killed. */
function reapedCpu(): number {
  return cpuOf('self', true) - cpuOf('self', false);
}

// Warm-up: both browsers started and used, halftime's first-use costs paid.
for (let i = 0; i < 5; i++) {
  await ways.browser.run();
  await ways.bare.run();
}
for (let i = 0; i < 50; i++) await ways.http.run();

const results: Record<Way, Round[]> = { browser: [], bare: [], http: [] };
const memory: { rss: number; pss: number; processes: number; outside: number }[] = [];
const bareProcesses: number[] = [];
const bareMemory: { rss: number; pss: number }[] = [];
const peaks: number[] = [];
const order: Way[] = ['browser', 'bare', 'http'];
for (let r = 0; r < ROUNDS && Date.now() < DEADLINE; r++) {
  for (const way of r % 2 ? [...order].reverse() : order) results[way].push(await round(way));
  // Memory with the pool warm, between runs: every process of its browsers' groups, as the watchdog sees them.
  const procs = pool.stats().pids.flatMap((p) => groupPids(p));
  memory.push({ rss: rssOf(procs), pss: pool.stats().pids.reduce((s, p) => s + (groupMemory(p) ?? 0), 0), processes: procs.length, outside: poolProcesses(pool.id).filter((p) => !procs.includes(p)).length });
  const bareProcs = groupPids(barePid);
  bareMemory.push({ rss: rssOf(bareProcs), pss: groupMemory(barePid, bareProcs) ?? 0 });
  bareProcesses.push(bareProcs.length);
  const peak = (await browserRunner.run()).browserMemory; // one more run, outside the timed rounds, for the watchdog's peak
  if (peak) peaks.push(peak);
}
const stats = pool.stats();
await pool.close();
await bare.close();
child.stdin!.end();

const med = (way: Way, k: keyof Round) => median(results[way].map((x) => x[k]));
const row = (name: string, way: Way) => {
  const rs = results[way];
  return `  ${name.padEnd(17)} wall p50 ${fmt(med(way, 'wall'), 2)} ms; CPU ${fmt(med(way, 'cpu'), 2)} ms/run (this process ${fmt(med(way, 'own'), 2)}, Chromium ${fmt(med(way, 'chromium'), 2)}); demo server ${fmt(med(way, 'server'), 2)} ms/run; rounds wall ${rs.map((x) => fmt(x.wall, 1)).join(' / ')}, CPU ${rs.map((x) => fmt(x.cpu, 1)).join(' / ')}; ${rs.reduce((s, x) => s + x.runs, 0)} runs, ${rs.reduce((s, x) => s + x.failed, 0)} failed`;
};
console.log(`one check of ${demoUrl}/lab/ok, one run at a time, ${results.browser.length} rounds of up to ${RUNS} runs per way (medians of the rounds):`);
console.log(row('halftime browser', 'browser'));
console.log(row('bare Playwright', 'bare'));
console.log(row('halftime HTTP', 'http'));
console.log(`  browser ÷ HTTP: wall ${fmt(med('browser', 'wall') / med('http', 'wall'), 0)}×, CPU ${fmt(med('browser', 'cpu') / med('http', 'cpu'), 0)}×; halftime browser ÷ bare Playwright: wall ${fmt(med('browser', 'wall') / med('bare', 'wall'), 2)}×, CPU ${fmt(med('browser', 'cpu') / med('bare', 'cpu'), 2)}×`);
console.log(`  pool: ${stats.launched} browsers launched, ${stats.recycled} recycled, ${stats.killed} killed during the timed rounds`);
const coldWall = median(cold.map((c) => c.wall));
const coldCpu = median(cold.map((c) => c.cpu));
console.log(
  `  cold run (fresh pool, Chromium started), median of ${cold.length}: wall ${fmt(coldWall, 0)} ms, CPU ${fmt(coldCpu, 0)} ms (runs ${cold.map((c) => `${fmt(c.wall, 0)}/${fmt(c.cpu, 0)}`).join(', ')} ms wall/CPU); ` +
    `once every ${BROWSER_DEFAULTS.recycleAfterRuns} runs that adds ${fmt((coldCpu - med('browser', 'cpu')) / BROWSER_DEFAULTS.recycleAfterRuns, 1)} ms CPU per run`,
);
console.log(
  `memory with the pool warm, between runs (median of ${memory.length}): RSS summed ${mb(median(memory.map((m) => m.rss)))} over ${median(memory.map((m) => m.processes))} processes (${Math.max(...memory.map((m) => m.outside))} more of the pool outside their groups), PSS ${mb(median(memory.map((m) => m.pss)))}; ` +
    `peak PSS during a run ${mb(median(peaks))} (max ${mb(Math.max(...peaks))}); bare Playwright's browser RSS ${mb(median(bareMemory.map((m) => m.rss)))} over ${median(bareProcesses)} processes, PSS ${mb(median(bareMemory.map((m) => m.pss)))}`,
);
