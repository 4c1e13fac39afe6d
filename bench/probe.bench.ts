/**
 * Probe overhead: halftime's HTTP probe against a bare undici request to the same local server.
 *
 *   keep-alive  runHttpStep on one long-lived session   vs  undici request() on one Agent
 *   fresh       runMonitor (new session per run)        vs  undici request() on a new Agent per request
 *
 * Requests are sequential. Each round runs both sides (alternating which goes first) for the same
 * number of requests; we report the median over rounds of each side's per-request median (the
 * target: halftime ≤ 1.2× undici), its mean (round time / requests, so pauses count) and the
 * client's CPU time per request, with their ratios. The server runs in a child process
 * (bench/target-server.ts). Both sides send the same request headers, so the server's work and the
 * bytes are equal.
 *
 * Env: BENCH_PROBE_ROUNDS (5), BENCH_PROBE_REQUESTS (2000 per side per round), BENCH_PROBE_WARMUP
 * (300), BENCH_PROBE_MAX_SECONDS (240: stop starting rounds after this), BENCH_PROBE_TRACE (1: the
 * fresh-visitor runs send a traceparent, as scheduled runs do; 0: `trace: false`, to see its cost),
 * BENCH_PROBE_SOURCE_MAPS (0; 1 leaves tsx's source maps on, as `npm start` runs without a build).
 */
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { monitorSchema } from '../src/config/schema.js';
import { DEFAULT_HEADERS, runHttpStep, type HttpStepInput } from '../src/probes/http-step.js';
import { runMonitor } from '../src/probes/run-monitor.js';
import { journeyStepLabel } from '../src/probes/step-request.js';
import { createSession, type Session } from '../src/probes/session.js';
import { envNumber, fmt, gc, median, percentile, startTargetServer } from './support.js';

const ROUNDS = Math.floor(envNumber('BENCH_PROBE_ROUNDS', 5));
const REQUESTS = Math.floor(envNumber('BENCH_PROBE_REQUESTS', 2000));
const WARMUP = Math.floor(envNumber('BENCH_PROBE_WARMUP', 300));
const MAX_SECONDS = envNumber('BENCH_PROBE_MAX_SECONDS', 240);
const TARGET_RATIO = 1.2;

/** One side of a comparison: `open` makes its state for a round, `once` makes one request. */
type Side = { name: string; open(): Promise<{ once(): Promise<void>; close(): Promise<void> }> };
type Mode = { name: string; halftime: Side; undici: Side };

// Production runs the compiled build without source maps; tsx turns them on, which makes every
// Error whose stack is read (undici makes one each time a dispatcher is closed) several times dearer.
// BENCH_PROBE_SOURCE_MAPS=1 keeps them on: the figures of `npm start` without a build.
const SOURCE_MAPS = process.env.BENCH_PROBE_SOURCE_MAPS === '1';
if (!SOURCE_MAPS) process.setSourceMapsEnabled(false);

const server = await startTargetServer();
const url = `${server.url}/`;
const monitor = monitorSchema.parse({ id: 'bench', name: 'bench', trace: process.env.BENCH_PROBE_TRACE !== '0', steps: [{ url, expect: { status: 200, bodyContains: 'Welcome' } }] });
const step = monitor.steps[0];
const stepInput: HttpStepInput = {
  index: 0,
  name: journeyStepLabel(step, 0),
  method: step.method,
  url: step.url,
  headers: step.headers,
  body: step.body,
  timeoutMs: 10_000,
  followRedirects: step.followRedirects,
  maxRedirects: step.maxRedirects,
  maxBodyBytes: step.maxBodyBytes,
  expect: step.expect,
};

let failures = 0;
const fail = (what: string) => {
  if (failures++ < 5) console.error(`request failed: ${what}`);
};

async function bareRequest(dispatcher: Agent) {
  const res = await request(url, { method: 'GET', headers: DEFAULT_HEADERS, dispatcher });
  const text = await res.body.text();
  if (res.statusCode !== 200 || !text.includes('Welcome')) fail(`undici: status ${res.statusCode}`);
}

const modes: Mode[] = [
  {
    name: 'keep-alive',
    halftime: {
      name: 'runHttpStep, one session',
      async open() {
        // As a scheduled monitor without page assets gets it: one connection per origin.
        const session: Session = createSession({ connectionsPerOrigin: 1 });
        return {
          async once() {
            const { result } = await runHttpStep(stepInput, session);
            if (!result.ok) fail(`runHttpStep: ${result.failure?.message}`);
          },
          close: () => session.close(),
        };
      },
    },
    undici: {
      name: 'undici request, one Agent',
      async open() {
        const agent = new Agent();
        return { once: () => bareRequest(agent), close: () => agent.destroy() };
      },
    },
  },
  {
    name: 'fresh connection',
    halftime: {
      name: 'runMonitor (new session per run)',
      async open() {
        return {
          async once() {
            const run = await runMonitor(monitor);
            if (!run.ok) fail(`runMonitor: ${run.failure?.message}`);
          },
          close: async () => undefined,
        };
      },
    },
    undici: {
      name: 'undici request, new Agent per request',
      async open() {
        return {
          async once() {
            const agent = new Agent();
            try {
              await bareRequest(agent);
            } finally {
              await agent.destroy();
            }
          },
          close: async () => undefined,
        };
      },
    },
  },
];

// GC pause time, so each side's share of pauses (allocation pressure) shows next to its times.
let gcMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });

/** Runs `count` sequential requests; returns per-request times (ms), the mean (elapsed / count), CPU and GC ms per request. */
async function measure(side: Side, count: number): Promise<{ times: number[]; mean: number; cpu: number; gc: number }> {
  gc();
  await new Promise((r) => setImmediate(r)); // let the forced GC's entry be delivered first
  const gcStart = gcMs;
  const state = await side.open();
  const times = new Array<number>(count);
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await state.once();
      times[i] = performance.now() - t;
    }
  } finally {
    await state.close();
  }
  const mean = (performance.now() - start) / count;
  const used = process.cpuUsage(cpuStart);
  await new Promise((r) => setImmediate(r)); // observer entries arrive asynchronously
  return { times, mean, cpu: (used.user + used.system) / 1000 / count, gc: (gcMs - gcStart) / count };
}

type Metrics = { p50: number; mean: number; cpu: number; gc: number };
type Row = { mode: string; halftime: Metrics; undici: Metrics; rounds: number };
const rows: Row[] = [];
const deadline = performance.now() + MAX_SECONDS * 1000;
const cpu0 = process.cpuUsage();
const cols = (m: Metrics) => `${fmt(m.p50).padStart(6)} ${fmt(m.mean).padStart(6)} ${fmt(m.cpu).padStart(6)}`;
const ratios = (h: Metrics, u: Metrics) => `${fmt(h.p50 / u.p50, 2).padStart(5)}× ${fmt(h.mean / u.mean, 2).padStart(5)}× ${fmt(h.cpu / u.cpu, 2).padStart(5)}×`;

try {
  console.log(`server pid ${server.pid} at ${url}; ${ROUNDS} rounds × ${REQUESTS} sequential requests per side, warm-up ${WARMUP}; source maps ${SOURCE_MAPS ? 'on (as npm start under tsx)' : 'off (as the compiled build)'}`);
  console.log('per request, in ms: p50 = median wall time, mean = round wall time / requests, cpu = client CPU time / requests');
  for (const mode of modes) {
    await measure(mode.halftime, WARMUP);
    await measure(mode.undici, WARMUP);
    const per: { halftime: Metrics[]; undici: Metrics[] } = { halftime: [], undici: [] };
    console.log(`\n${mode.name}: halftime = ${mode.halftime.name}; baseline = ${mode.undici.name}`);
    console.log('round first     halftime p50 mean   cpu   undici p50 mean   cpu   ratio p50   mean    cpu   p99 halftime / undici   gc ms per 1k requests halftime / undici');
    for (let r = 0; r < ROUNDS; r++) {
      if (performance.now() > deadline) {
        console.log(`time cap of ${MAX_SECONDS}s reached; stopping after ${r} rounds`);
        break;
      }
      const halftimeFirst = r % 2 === 0;
      const order = halftimeFirst ? [mode.halftime, mode.undici] : [mode.undici, mode.halftime];
      const first = await measure(order[0], REQUESTS);
      const second = await measure(order[1], REQUESTS);
      const [hr, ur] = halftimeFirst ? [first, second] : [second, first];
      const h: Metrics = { p50: percentile(hr.times, 50), mean: hr.mean, cpu: hr.cpu, gc: hr.gc };
      const u: Metrics = { p50: percentile(ur.times, 50), mean: ur.mean, cpu: ur.cpu, gc: ur.gc };
      per.halftime.push(h);
      per.undici.push(u);
      console.log(
        `${String(r + 1).padStart(5)} ${(halftimeFirst ? 'halftime' : 'undici').padEnd(8)}  ${cols(h)}   ${cols(u)}   ${ratios(h, u)}   ${fmt(percentile(hr.times, 99), 2)} / ${fmt(percentile(ur.times, 99), 2)}   ${fmt(h.gc * 1000, 1)} / ${fmt(u.gc * 1000, 1)}`,
      );
    }
    const med = (list: Metrics[]): Metrics => ({
      p50: median(list.map((m) => m.p50)),
      mean: median(list.map((m) => m.mean)),
      cpu: median(list.map((m) => m.cpu)),
      gc: median(list.map((m) => m.gc)),
    });
    rows.push({ mode: mode.name, halftime: med(per.halftime), undici: med(per.undici), rounds: per.halftime.length });
  }

  const cpu = process.cpuUsage(cpu0);
  const s = await server.stats();
  console.log(`\nmedians over rounds (ms per request); target: halftime's median ≤ ${TARGET_RATIO}× undici's`);
  console.log('mode             rounds  halftime p50 mean   cpu    undici p50 mean   cpu   ratio p50   mean    cpu   target');
  for (const r of rows) {
    const ratio = r.halftime.p50 / r.undici.p50;
    console.log(`${r.mode.padEnd(16)} ${String(r.rounds).padStart(6)}    ${cols(r.halftime)}    ${cols(r.undici)}   ${ratios(r.halftime, r.undici)}   ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'}`);
  }
  for (const r of rows) console.log(`${r.mode}: GC pauses per 1,000 requests (median) halftime ${fmt(r.halftime.gc * 1000, 1)} ms, undici ${fmt(r.undici.gc * 1000, 1)} ms`);
  console.log(`\nclient CPU ${fmt((cpu.user + cpu.system) / 1e6, 1)} s; server handled ${s.requests} requests on ${s.connections} connections, CPU ${fmt((s.cpuUserMs + s.cpuSystemMs) / 1000, 1)} s`);
  if (failures > 0) {
    console.error(`${failures} requests failed: the figures above are not valid`);
    process.exitCode = 1;
  }
} finally {
  gcObserver.disconnect();
  await server.close();
}
