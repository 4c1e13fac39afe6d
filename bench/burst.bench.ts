/**
 * Burst engine benchmarks (figures go to bench/README-burst.md):
 *  1. single-request burst, generator pinned to one core, same local target (pinned to the other):
 *     halftime's closed model with no think time vs a bare undici Pool loop, autocannon and wrk;
 *  2. 5,000 simulated users with 1–5 s think times on one core: achieved vs intended rate, CPU;
 *  3. stall test: the target stalls 1 s every 10 s; open-model p99 vs closed-model p99;
 *  4. the whole `halftime load` process (start-up, worker thread, exit) vs a bare undici loop process.
 * Every run is bounded in time; all traffic stays on 127.0.0.1.
 *
 *   npm run bench -- burst                 (everything, 3 runs of each throughput tool)
 *   node --import tsx bench/burst.bench.ts throughput|breakdown|users|stall|process
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { exchange, splitUrl } from '../src/probes/exchange.js';
import { DEFAULT_HEADERS, runHttpStep } from '../src/probes/http-step.js';
import { createSession } from '../src/probes/session.js';
import { runBurst } from '../src/load/engine.js';
import { journeyIteration } from '../src/load/journey-iteration.js';
import { monitorIteration } from '../src/load/monitor-iteration.js';
import { parseConfigText } from '../src/configure.js';
import type { LoadPlan } from '../src/load/shapes.js';

const SELF = fileURLToPath(import.meta.url);
const CONNECTIONS = 50;
/**
 * Seconds per throughput run. 10 s by default: every generator starts cold (JIT, the HTTP parser's
 * WebAssembly, 50 connections), and a 3 s run measures mostly that. `BENCH_SECONDS=3` for short runs.
 */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pin = (core: number, cmd: string[]) => (hasTaskset ? ['taskset', '-c', String(core), ...cmd] : cmd);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const r1 = (n: number | null | undefined) => (n === null || n === undefined ? null : Math.round(n * 10) / 10);

// ---------------------------------------------------------------- child modes

/** The target: a tiny keep-alive server; with `stall`, every response waits out the first second of each 10 s. */
function target(stall: boolean) {
  const server = createServer((_req, res) => {
    const phase = Date.now() % 10_000;
    const send = () => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
    if (stall && phase < 1_000) setTimeout(send, 1_000 - phase);
    else send();
  });
  server.keepAliveTimeout = 60_000;
  server.maxConnections = 20_000;
  // A deep accept queue: 5,000 users connecting within seconds must not hit SYN retries (1 s, 3 s…).
  server.listen({ port: 0, host: '127.0.0.1', backlog: 8192 }, () => console.log((server.address() as AddressInfo).port));
  setTimeout(() => process.exit(0), 10 * 60_000).unref(); // never outlive the bench
}

function cpuShare(cpu0: NodeJS.CpuUsage, wall0: number) {
  const c = process.cpuUsage(cpu0);
  return (c.user + c.system) / 1000 / (performance.now() - wall0);
}

async function bareUndici(url: string) {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const res = await pool.request({ path: '/', method: 'GET' });
        await res.body.dump();
        n++;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(cpu0);
  await pool.close();
  console.log(JSON.stringify({ rps: n / secs, requests: n, cpuSec: cpu }));
}

/** autocannon through its API in this process, so its start-up is not in the CPU figure. */
async function autocannonChild(url: string) {
  const lib = 'autocannon'; // untyped CommonJS; imported by name so the type checker leaves it alone
  const { default: autocannon } = (await import(lib)) as { default: (o: object) => Promise<any> };
  const cpu0 = process.cpuUsage();
  const r = await autocannon({ url: `${url}/`, connections: CONNECTIONS, duration: SECONDS });
  console.log(JSON.stringify({ rps: r.requests.total / SECONDS, requests: r.requests.total, cpuSec: cpuSeconds(cpu0), p50: r.latency.p50, p99: r.latency.p99 }));
}

function cpuSeconds(cpu0: NodeJS.CpuUsage) {
  const c = process.cpuUsage(cpu0);
  return (c.user + c.system) / 1e6;
}

const steps = (url: string) => ({
  steps: [{ name: 'get', method: 'GET' as const, url: `${url}/`, headers: {}, followRedirects: false, maxRedirects: 0, maxBodyBytes: 1_000_000, expect: {} }],
});

async function halftimeBurst(url: string, plan: LoadPlan, think?: { min: number; max: number }) {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const points: { t: number; users: number; requests: number }[] = [];
  const s = await runBurst({ plan, iteration: monitorIteration(steps(url), { allowHosts: ['127.0.0.1'] }), think, gracefulStop: 6_000, abortOnErrorRate: 1, onPoint: (p) => points.push({ t: p.t, users: p.users, requests: p.requests }) });
  console.log(
    JSON.stringify({
      rps: s.requests / (Math.min(s.durationMs, plan.duration) / 1000),
      cpuSec: cpuSeconds(cpu0),
      requests: s.requests,
      errors: s.errors,
      p50: r1(s.p50),
      p99: r1(s.p99),
      lagP50: r1(s.generatorLag.p50),
      lagP99: r1(s.generatorLag.p99),
      cpu: cpuShare(cpu0, wall0),
      points,
      failures: s.failures.slice(0, 3),
    }),
  );
}

/**
 * Where the generator's CPU goes: the same 50 concurrent loops, interleaved in one process, from a
 * bare Pool up to the full burst engine. CPU µs per request, medians of several rounds.
 */
async function breakdown(url: string) {
  const rounds = 7;
  const ms = 1_500;
  const res: Record<string, number[]> = {};
  const pool = new Pool(url, { connections: CONNECTIONS });
  // One connection per simulated user, as the burst engine makes them.
  const sessions = Array.from({ length: CONNECTIONS }, () => createSession({ connectionsPerOrigin: 1 }));
  const { origin, path } = splitUrl(`${url}/`);
  const step = { index: 0, name: 'get', method: 'GET', url: `${url}/`, headers: {}, timeoutMs: 10_000, followRedirects: false, maxRedirects: 0, maxBodyBytes: 1e6, expect: {} };
  const journey = parseConfigText(`monitors:\n  - name: get\n    steps: [{ name: get, url: "${url}/", followRedirects: false }]\n`, 'bench').config.monitors[0];
  const loop = async (name: string, one: (i: number) => Promise<unknown>) => {
    let n = 0;
    const end = performance.now() + ms;
    const c0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, i) => {
        while (performance.now() < end) {
          await one(i);
          n++;
        }
      }),
    );
    (res[name] ??= []).push((cpuSeconds(c0) * 1e6) / n);
  };
  for (let r = 0; r < rounds; r++) {
    await loop('undici Pool.request (the bare loop)', async () => (await pool.request({ path: '/', method: 'GET' })).body.dump());
    await loop('exchange() on a session per user, no headers', (i) => exchange(sessions[i].dispatcher, { origin, path, method: 'GET', headers: {}, maxBodyBytes: 1e6 }));
    await loop('… with the default request headers', (i) => exchange(sessions[i].dispatcher, { origin, path, method: 'GET', headers: DEFAULT_HEADERS, maxBodyBytes: 1e6 }));
    await loop('runHttpStep (full result: headers, body text)', (i) => runHttpStep(step, sessions[i]));
    await loop('runHttpStep lean (as bursts run plain steps)', (i) => runHttpStep(step, sessions[i], { lean: true }));
    const c0 = process.cpuUsage();
    const s = await runBurst({ plan: { model: 'closed', users: CONNECTIONS, spawnRate: 1e6, duration: ms, shape: { type: 'ramp' } }, iteration: monitorIteration(steps(url), { allowHosts: ['127.0.0.1'] }) });
    (res['runBurst (closed model, monitor adapter)'] ??= []).push((cpuSeconds(c0) * 1e6) / s.requests);
    const c1 = process.cpuUsage();
    const j = await runBurst({ plan: { model: 'closed', users: CONNECTIONS, spawnRate: 1e6, duration: ms, shape: { type: 'ramp' } }, iteration: journeyIteration(journey) });
    (res['runBurst (closed model, journey adapter, same plain step)'] ??= []).push((cpuSeconds(c1) * 1e6) / j.requests);
  }
  await pool.close();
  await Promise.all(sessions.map((x) => x.close()));
  console.log(JSON.stringify(Object.fromEntries(Object.entries(res).map(([k, v]) => [k, median(v)]))));
}

// ---------------------------------------------------------------- the whole process

/**
 * What a user runs: the whole `halftime load` process — Node start, the CLI and its config, the
 * burst's worker thread, 50 users for PROCESS_SECONDS, the summary, exit — against a bare undici
 * Pool loop run as its own plain-JS process for the same time. Both pinned to core 0, the target to
 * core 1; wall time from spawn to exit, CPU from bash's `times` (user + system of the child, all its
 * threads). Run with and without a compiled build (`npm run build`: bin/halftime.js then runs dist/).
 */
async function wholeProcess() {
  const seconds = Number(process.env.BENCH_PROCESS_SECONDS ?? 15);
  const { url, proc } = await startTarget(false);
  const dir = mkdtempSync(join(tmpdir(), 'halftime-bench-load-'));
  const root = fileURLToPath(new URL('..', import.meta.url));
  const config = join(dir, 'bench.yaml');
  writeFileSync(config, `load: { allowHosts: [127.0.0.1] }\nmonitors:\n  - id: bench\n    name: bench\n    steps: [{ name: get, url: "${url}/", followRedirects: false }]\n`);
  const compiled = existsSync(join(root, 'dist/src/cli/index.js'));
  // `times` prints the shell's and then its children's user and system time: the child's are the second line.
  const timed = (cmd: string[]) => {
    const t0 = performance.now();
    const r = spawnSync('bash', ['-c', `${pin(0, cmd).map((a) => `'${a}'`).join(' ')}; times`], { cwd: root, encoding: 'utf8', timeout: (seconds + 60) * 1000 });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    const t = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(lines[lines.length - 1]);
    const cpu = t ? Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4]) : NaN;
    return { wall, cpu, out: JSON.parse(lines.find((l) => l.startsWith('{'))!) as Record<string, any> };
  };
  type Row = { wall: number[]; rps: number[]; inRun: number[]; us: number[] };
  const rows: Record<string, Row> = {};
  const add = (name: string, wall: number, cpu: number, requests: number, runSeconds: number) => {
    const r = (rows[name] ??= { wall: [], rps: [], inRun: [], us: [] });
    r.wall.push(wall);
    r.rps.push(requests / wall);
    r.inRun.push(requests / runSeconds);
    r.us.push((cpu * 1e6) / requests);
  };
  try {
    for (let i = 0; i < RUNS; i++) {
      const u = timed([process.execPath, 'bench/bare-undici-loop.mjs', url, String(CONNECTIONS), String(seconds)]);
      add('bare undici Pool loop (plain JS process)', u.wall, u.cpu, u.out.requests, u.out.loopSeconds);
      const h = timed([process.execPath, 'bin/halftime.js', 'load', 'bench', '--config', config, '--db', join(dir, 'h.db'), '--no-store', '--json', '-u', String(CONNECTIONS), '-r', '100000', '-d', `${seconds}s`]);
      if (h.out.errors) throw new Error(`halftime load saw ${h.out.errors} errors`);
      add(`halftime load (${compiled ? 'compiled dist/' : 'TypeScript through tsx, as without a build'})`, h.wall, h.cpu, h.out.requests, h.out.durationMs / 1000);
    }
  } finally {
    proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  const base = rows['bare undici Pool loop (plain JS process)'];
  console.log(`\nWhole processes, ${CONNECTIONS} connections/users, ${seconds} s burst, generator on one core (taskset: ${hasTaskset}), medians of ${RUNS}:`);
  console.log('| process | wall, spawn to exit (s) | requests / process wall (req/s) | × bare loop | req/s during the burst | CPU µs/request (process) | × bare loop (CPU) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(rows)) {
    console.log(
      `| ${name} | ${median(r.wall).toFixed(1)} | ${Math.round(median(r.rps))} | ${(median(r.rps) / median(base.rps)).toFixed(2)} | ${Math.round(median(r.inRun))} | ${median(r.us).toFixed(1)} | ${(median(base.us) / median(r.us)).toFixed(2)} |`,
    );
  }
}

// ---------------------------------------------------------------- orchestration

function startTarget(stall: boolean): Promise<{ url: string; proc: ChildProcess }> {
  const [cmd, ...args] = pin(1, [process.execPath, '--import', 'tsx', SELF, 'child-target', stall ? 'stall' : '']);
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => proc.stdout!.once('data', (d) => resolve({ url: `http://127.0.0.1:${String(d).trim()}`, proc })));
}

function child(mode: string, ...args: string[]): Record<string, any> {
  const [cmd, ...rest] = pin(0, [process.execPath, '--import', 'tsx', SELF, mode, ...args]);
  const r = spawnSync(cmd, rest, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function wrk(url: string) {
  if (spawnSync('wrk', ['--version']).error) return undefined;
  // bash's `times` gives the CPU its children used: wrk's own CPU, start-up included (small for C).
  const cmd = `${pin(0, ['wrk', '-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', `${url}/`]).join(' ')}; times`;
  const out = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 60_000 }).stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const t = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(out.trim());
  const cpuSec = t ? Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4]) : NaN;
  const lat = (p: string) => {
    const m = new RegExp(`${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : null;
  };
  return { rps, requests, cpuSec, p50: lat('50'), p99: lat('99') };
}

async function throughput() {
  const { url, proc } = await startTarget(false);
  type Run = { rps: number; requests: number; cpuSec: number; p50?: number | null; p99?: number | null; lagP99?: number | null };
  const rows: Record<string, { rps: number[]; usPerReq: number[]; p50: number[]; p99: number[]; lagP99?: number[] }> = {};
  const add = (name: string, r: Run) => {
    const row = (rows[name] ??= { rps: [], usPerReq: [], p50: [], p99: [], lagP99: [] });
    row.rps.push(r.rps);
    row.usPerReq.push((r.cpuSec * 1e6) / r.requests);
    if (r.p50 != null) row.p50.push(r.p50);
    if (r.p99 != null) row.p99.push(r.p99);
    if (r.lagP99 != null) row.lagP99!.push(r.lagP99);
  };
  try {
    for (let i = 0; i < RUNS; i++) {
      add('bare undici Pool loop', child('child-undici', url) as Run);
      add('halftime closed model', child('child-halftime', url) as Run);
      add('autocannon', child('child-autocannon', url) as Run);
      const w = wrk(url);
      if (w) add('wrk', w);
    }
  } finally {
    proc.kill();
  }
  const base = median(rows['bare undici Pool loop'].rps);
  const baseUs = median(rows['bare undici Pool loop'].usPerReq);
  console.log(`\nSingle-request burst, ${CONNECTIONS} connections/users, ${SECONDS} s, generator on one core (taskset: ${hasTaskset}), medians of ${RUNS}:`);
  console.log('| generator | req/s (wall) | × undici loop | CPU µs/request | one-core ceiling req/s | × undici loop (CPU) | p50 ms | p99 ms | generator lag p99 ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(rows)) {
    const rps = median(r.rps);
    const us = median(r.usPerReq);
    console.log(
      `| ${name} | ${Math.round(rps)} | ${(rps / base).toFixed(2)} | ${us.toFixed(1)} | ${Math.round(1e6 / us)} | ${(baseUs / us).toFixed(2)} | ${r.p50.length ? r1(median(r.p50)) : '–'} | ${r.p99.length ? r1(median(r.p99)) : '–'} | ${r.lagP99?.length ? r1(median(r.lagP99)) : '–'} |`,
    );
  }
}

async function cpuBreakdown() {
  const { url, proc } = await startTarget(false);
  try {
    const r = child('child-breakdown', url);
    const base = r['undici Pool.request (the bare loop)'];
    console.log(`\nWhere the generator CPU goes (${CONNECTIONS} loops, one core, interleaved rounds, medians):`);
    console.log('| loop | CPU µs/request | × Pool.request (CPU) |');
    console.log('|---|---:|---:|');
    for (const [k, v] of Object.entries(r)) console.log(`| ${k} | ${(v as number).toFixed(1)} | ${(base / (v as number)).toFixed(2)} |`);
  } finally {
    proc.kill();
  }
}

async function users() {
  const { url, proc } = await startTarget(false);
  try {
    const n = 5_000;
    const duration = 20_000;
    console.log(`\n5,000 users (ramp 1,000/s), think 1–5 s uniform, ${duration / 1000} s, generator on one core, ${RUNS} runs:`);
    console.log('| run | achieved req/s (steady) | intended req/s | achieved/intended | generator CPU (share of one core) | p50 ms | p99 ms | generator lag p99 ms | errors |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (let i = 0; i < RUNS; i++) {
      const r = child('child-users', url, String(n), String(duration));
      // Steady state: after the 5 s ramp and the first think times (at most 5 s), until the end.
      const steady = r.points.filter((p: { t: number }) => p.t >= 10 && p.t < duration / 1000);
      const achieved = steady.reduce((a: number, p: { requests: number }) => a + p.requests, 0) / steady.length;
      // Each user cycles through one request (p50) and a think time of 3 s on average.
      const intended = (n / (3_000 + (r.p50 ?? 0))) * 1000;
      console.log(
        `| ${i + 1} | ${Math.round(achieved)} | ${Math.round(intended)} | ${((achieved / intended) * 100).toFixed(1)}% | ${(r.cpu * 100).toFixed(0)}% | ${r.p50} | ${r.p99} | ${r.lagP99} | ${r.errors} |`,
      );
    }
  } finally {
    proc.kill();
  }
}

async function stall() {
  const { url, proc } = await startTarget(true);
  try {
    // Start a little after a stall ended so each 12 s run contains exactly one stall.
    const wait = (11_500 - (Date.now() % 10_000)) % 10_000;
    await new Promise((r) => setTimeout(r, wait));
    const open = child('child-stall', url, 'open');
    const wait2 = (11_500 - (Date.now() % 10_000)) % 10_000;
    await new Promise((r) => setTimeout(r, wait2));
    const closed = child('child-stall', url, 'closed');
    console.log('\nStall test (target stalls 1 s every 10 s), 12 s each:');
    console.log('| model | requests | req/s | p50 ms | p99 ms |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(`| open, 100 arrivals/s (timed from intended start) | ${open.requests} | ${Math.round(open.rps)} | ${open.p50} | ${open.p99} |`);
    console.log(`| closed, 10 users, no think time | ${closed.requests} | ${Math.round(closed.rps)} | ${closed.p50} | ${closed.p99} |`);
  } finally {
    proc.kill();
  }
}

const [mode, a, b, c] = process.argv.slice(2);
switch (mode) {
  case 'child-target':
    target(a === 'stall');
    break;
  case 'child-undici':
    await bareUndici(a);
    break;
  case 'child-breakdown':
    await breakdown(a);
    break;
  case 'breakdown':
    await cpuBreakdown();
    break;
  case 'child-autocannon':
    await autocannonChild(a);
    break;
  case 'child-halftime':
    await halftimeBurst(a, { model: 'closed', users: CONNECTIONS, spawnRate: 1e6, duration: SECONDS * 1000, shape: { type: 'ramp' } });
    break;
  case 'child-users':
    await halftimeBurst(a, { model: 'closed', users: Number(b), spawnRate: 1_000, duration: Number(c), shape: { type: 'ramp' } }, { min: 1_000, max: 5_000 });
    break;
  case 'child-stall':
    await halftimeBurst(
      a,
      b === 'open' ? { model: 'open', arrivalRate: 100, duration: 12_000, maxUsers: 500 } : { model: 'closed', users: 10, spawnRate: 1e6, duration: 12_000, shape: { type: 'ramp' } },
    );
    break;
  case 'throughput':
    await throughput();
    break;
  case 'users':
    await users();
    break;
  case 'stall':
    await stall();
    break;
  case 'process':
    await wholeProcess();
    break;
  default:
    await throughput();
    await cpuBreakdown();
    await users();
    await stall();
    await wholeProcess();
}
