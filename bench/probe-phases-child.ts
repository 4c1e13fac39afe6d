/**
 * One process of bench/probe-phases.bench.ts: fresh-connection requests to the target, interleaved
 * one by one between halftime (a journey run as the scheduler makes it: new session, one GET step,
 * session closed), a bare undici request on a new Agent, and a bare net.connect. Prints one JSON
 * line with each side's figures (medians, ms).
 *
 *   node [--import tsx] bench/probe-phases-child.ts <url> <requests> <warm-up>
 *
 * Run compiled (no source maps, as the built image runs) or under tsx (source maps on, as
 * `npm start` runs without a build): the orchestrator does both.
 */
import { subscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { monitorSchema } from '../src/config/schema.js';
import { DEFAULT_HEADERS } from '../src/probes/http-step.js';
import { createJourneyRunner } from '../src/probes/journey.js';
import { warmUp } from '../src/probes/warm-up.js';

const [url, requestsArg, warmArg] = process.argv.slice(2);
const REQUESTS = Number(requestsArg ?? 300);
const WARM = Number(warmArg ?? 100);
const port = Number(new URL(url).port);

// Bare undici's own timing hooks (its diagnostics channels): connector called → socket connected,
// request written → response headers parsed. Only the undici side's requests are recorded.
let recording = false;
const stamps = { beforeConnect: 0, connected: 0, sent: 0, headers: 0 };
subscribe('undici:client:beforeConnect', () => recording && (stamps.beforeConnect = performance.now()));
subscribe('undici:client:connected', () => recording && (stamps.connected = performance.now()));
subscribe('undici:client:sendHeaders', () => recording && (stamps.sent = performance.now()));
subscribe('undici:request:headers', () => recording && (stamps.headers = performance.now()));

const monitor = monitorSchema.parse({ id: 'bench', name: 'bench', steps: [{ url, expect: { status: 200, bodyContains: 'Welcome' } }] });
const runner = createJourneyRunner(monitor);
type Figures = { connect: number; ttfb: number; total: number; wall: number };
let failures = 0;

async function halftime(): Promise<Figures> {
  const t = performance.now();
  const run = await runner.run();
  const wall = performance.now() - t;
  if (!run.ok) failures++;
  const s = run.steps[0].timings;
  return { connect: s.connect, ttfb: s.ttfb, total: s.total, wall };
}

async function undici(): Promise<Figures> {
  recording = true;
  const t = performance.now();
  const agent = new Agent();
  const res = await request(url, { method: 'GET', headers: DEFAULT_HEADERS, dispatcher: agent });
  const text = await res.body.text();
  const end = performance.now();
  recording = false;
  await agent.destroy();
  const wall = performance.now() - t;
  if (res.statusCode !== 200 || !text.includes('Welcome')) failures++;
  return { connect: stamps.connected - stamps.beforeConnect, ttfb: stamps.headers - stamps.sent, total: end - t, wall };
}

async function bareConnect(): Promise<number> {
  const t = performance.now();
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  const ms = performance.now() - t;
  s.destroy();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medians = (list: Figures[]): Figures => ({
  connect: median(list.map((f) => f.connect)),
  ttfb: median(list.map((f) => f.ttfb)),
  total: median(list.map((f) => f.total)),
  wall: median(list.map((f) => f.wall)),
});

// As main does before its scheduler starts; then both sides warm up the same number of requests.
const warm = await warmUp();
for (let i = 0; i < WARM; i++) {
  await halftime();
  await undici();
  await bareConnect();
}
failures = 0;
const h: Figures[] = [];
const u: Figures[] = [];
const n: number[] = [];
for (let i = 0; i < REQUESTS; i++) {
  // Alternate which side goes first, so neither always follows the other's socket teardown.
  if (i % 2 === 0) {
    h.push(await halftime());
    u.push(await undici());
  } else {
    u.push(await undici());
    h.push(await halftime());
  }
  n.push(await bareConnect());
}
console.log(JSON.stringify({ sourceMaps: process.sourceMapsEnabled, warmUpMs: warm.ms, halftime: medians(h), undici: medians(u), net: { connect: median(n) }, failures }));
