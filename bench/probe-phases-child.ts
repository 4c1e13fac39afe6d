/**
 * One process of bench/probe-phases.bench.ts: fresh-connection requests to the target, interleaved
 * one by one between halftime (a journey run as the scheduler makes it: new session, one GET step,
 * session closed), a bare undici request on a new Agent, and a bare net.connect. Prints one JSON
 * line with each side's figures (medians, ms).
 *
 *   node [--import tsx] bench/probe-phases-child.ts <url> <split-url> <requests> <warm-up>
 *   node [--import tsx] bench/probe-phases-child.ts serve-split   (the split-header target)
 *
 * The split-header target sends its status line at once and the rest of its headers 47 ms later:
 * TTFB is the first byte (the status line), not the end of the headers.
 *
 * Run compiled (no source maps, as the built image runs) or under tsx (source maps on, as
 * `npm start` runs without a build): the orchestrator does both.
 */
import { subscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { monitorSchema } from '../src/config/schema.js';
import { DEFAULT_HEADERS } from '../src/probes/http-step.js';
import { createJourneyRunner } from '../src/probes/journey.js';
import { warmUp } from '../src/probes/warm-up.js';

if (process.argv[2] === 'serve-split') {
  const server = createServer((sock) => {
    sock.on('error', () => undefined);
    sock.on('data', () => {
      sock.write('HTTP/1.1 200 OK\r\n');
      setTimeout(() => sock.end('Content-Type: text/html\r\nContent-Length: 16\r\nConnection: close\r\n\r\n<h1>Welcome</h1>'), 47);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port));
  process.stdin.on('end', () => process.exit(0)).resume();
  await new Promise(() => undefined);
}
const [url, splitUrl, requestsArg, warmArg] = process.argv.slice(2);
const REQUESTS = Number(requestsArg ?? 300);
const WARM = Number(warmArg ?? 100);
const SPLIT = Math.max(5, Math.floor(REQUESTS / 15));
const port = Number(new URL(url).port);

// Bare undici's own timing hooks (its diagnostics channels): connector called → socket connected,
// request written → response headers parsed. Only the undici side's requests are recorded.
let recording = false;
const stamps = { beforeConnect: 0, connected: 0, sent: 0, headers: 0 };
subscribe('undici:client:beforeConnect', () => recording && (stamps.beforeConnect = performance.now()));
subscribe('undici:client:connected', () => recording && (stamps.connected = performance.now()));
subscribe('undici:client:sendHeaders', () => recording && (stamps.sent = performance.now()));
subscribe('undici:request:headers', () => recording && (stamps.headers = performance.now()));

const runnerFor = (target: string) => createJourneyRunner(monitorSchema.parse({ id: 'bench', name: 'bench', steps: [{ url: target, expect: { status: 200, bodyContains: 'Welcome' } }] }));
const runners = new Map([url, splitUrl].map((u) => [u, runnerFor(u)]));
type Figures = { connect: number; ttfb: number; total: number; wall: number };
let failures = 0;

async function halftime(target = url): Promise<Figures> {
  const t = performance.now();
  const run = await runners.get(target)!.run();
  const wall = performance.now() - t;
  if (!run.ok) failures++;
  const s = run.steps[0].timings;
  return { connect: s.connect, ttfb: s.ttfb, total: s.total, wall };
}

async function undici(target = url): Promise<Figures> {
  recording = true;
  const t = performance.now();
  const agent = new Agent();
  const res = await request(target, { method: 'GET', headers: DEFAULT_HEADERS, dispatcher: agent });
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
const hs: number[] = [];
const us: number[] = [];
for (let i = 0; i < SPLIT; i++) {
  hs.push((await halftime(splitUrl)).ttfb);
  us.push((await undici(splitUrl)).ttfb);
}
console.log(
  JSON.stringify({ sourceMaps: process.sourceMapsEnabled, warmUpMs: warm.ms, halftime: medians(h), undici: medians(u), net: { connect: median(n) }, split: { halftime: median(hs), undici: median(us) }, failures }),
);
