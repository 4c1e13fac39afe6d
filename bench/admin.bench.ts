/**
 * Operator dashboard and public status page under load.
 *  1. /admin first page with 10,000 monitors (144 runs each over the last 24 h, 20 open incidents): server time
 *     per request; p95 and sparklines come from the rollup sketches.
 *  2. / for 200 public monitors (a run a minute for 24 h, plus 90 days of daily bars): requests/s on one
 *     core (the server is this single Node process; autocannon runs as a separate process), without and
 *     with the short-lived render cache.
 * Everything runs on 127.0.0.1 with temp databases; every loop is bounded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { openStore, type Store } from '../src/store/index.js';
import { createApp } from '../src/web/app.js';
import { randomToken, sha256 } from '../src/web/auth/secrets.js';
import { createEventHub } from '../src/web/events.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function seed(store: Store, keys: string[], runsPerMonitor: number, spacingMs: number, now: number) {
  for (let r = 0; r < runsPerMonitor; r++) {
    const at = now - (runsPerMonitor - r) * spacingMs;
    for (const [i, key] of keys.entries()) {
      const ok = (i * 7 + r) % 97 !== 0 && !(i % 50 === 0 && r === runsPerMonitor - 1);
      store.writer.write({ monitorId: key, plannedAt: at, startedAt: at + (i % 1000), durationMs: 40 + ((i * 13 + r * 7) % 200), ok, steps: [] });
    }
    await store.writer.flush();
  }
}

function operatorApp(store: Store, statusCacheMs: number, full = false) {
  const events = createEventHub();
  // `full`: as main.ts wires the operator side (history charts, incidents); the status page figures below keep the plain app.
  const more = full ? { history: store.history, runs: store.runs } : {};
  return createApp({
    status: store.status,
    title: 'Bench',
    schedulerAlive: () => true,
    statusCacheMs,
    ...more,
    operator: { users: store.auth, admin: store.admin, runs: store.runs, events, ...(full ? { incidents: store.alerts } : {}) },
  });
}

async function dashboard(dir: string) {
  const now = Date.now();
  const keys = Array.from({ length: 10_000 }, (_, i) => `m${i}`);
  const store = await openStore(
    join(dir, 'dash.db'),
    keys.map((key, i) => ({ key, name: `Service ${i}`, public: i % 2 === 0, schedule: 'every 10m' })),
    { batchSize: 1_000_000 },
  );
  const t0 = performance.now();
  await seed(store, keys, 144, 10 * MIN, now);
  console.log(`seeded 10,000 monitors × 144 runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const userId = await store.auth.createUser('admin', 'not-used');
  const sid = randomToken();
  await store.auth.createSession(sha256(sid), userId, randomToken(), now + HOUR);
  // 20 open incidents, as during a bad day.
  for (let i = 0; i < 20; i++) {
    await store.alerts.commit({ monitorKey: `m${i * 50}`, status: 'down', state: {}, now, outbox: [], incidents: [{ op: 'open', kind: 'down', startedAt: now - i * MIN, worst: 2, summary: `m${i * 50} is down`, evidence: { failures: 2 } }] });
  }
  const app = operatorApp(store, 0, true);
  const headers = { cookie: `halftime_session=${sid}` };
  const cases: [string, string][] = [
    ['/admin (first page, 50 rows)', '/admin'],
    ['/admin/partials/monitors?page=100', '/admin/partials/monitors?page=100'],
    ['/admin/partials/monitors?state=down', '/admin/partials/monitors?state=down'],
    ['/admin/partials/monitors?q=Service 99', '/admin/partials/monitors?q=Service%2099'],
    ['/admin/monitors/m7 (charts, incidents, runs)', '/admin/monitors/m7'],
    ['/admin/monitors/m7/series?range=7d', '/admin/monitors/m7/series?range=7d'],
  ];
  for (const [label, path] of cases) {
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 15; i++) {
      const s = performance.now();
      const c = process.cpuUsage();
      const res = await app.request(path, { headers });
      await res.text();
      const used = process.cpuUsage(c);
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      times.push(performance.now() - s);
      cpu.push((used.user + used.system) / 1000);
    }
    // CPU time is what the request costs this process; wall time also counts waiting for a core on a busy machine.
    console.log(`${label}: median ${median(times).toFixed(1)} ms wall, ${median(cpu).toFixed(1)} ms CPU (wall min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}; 15 requests)`);
  }
  await store.close();
}

/** autocannon in its own process (so this process, the server, keeps its core to itself). */
async function autocannon(url: string, seconds: number, headers: string[] = []): Promise<number> {
  const bin = fileURLToPath(new URL('../node_modules/.bin/autocannon', import.meta.url));
  const child = spawn(bin, ['-c', '10', '-d', String(seconds), '-j', ...headers.flatMap((h) => ['-H', h]), url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill(), (seconds + 30) * 1000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(killer);
  if (code !== 0) throw new Error(`autocannon failed (${code}): ${stderr}`);
  const out = JSON.parse(stdout) as { requests: { average: number }; non2xx: number; errors: number };
  if (out.non2xx > 0 || out.errors > 0) throw new Error(`autocannon saw ${out.non2xx} non-2xx and ${out.errors} errors`);
  return out.requests.average;
}

async function statusPage(dir: string) {
  const now = Date.now();
  const keys = Array.from({ length: 200 }, (_, i) => `p${i}`);
  const store = await openStore(
    join(dir, 'status.db'),
    keys.map((key, i) => ({ key, name: `Public service ${i}`, public: true, schedule: 'every 1m' })),
    { batchSize: 1_000_000 },
  );
  await seed(store, keys, 89, 24 * HOUR, now - 24 * HOUR); // one run a day for the older daily bars
  await seed(store, keys, 1440, MIN, now); // a run a minute for the last 24 h
  console.log('seeded 200 public monitors: 1,440 runs in the last 24 h each, 90 days of bars');

  for (const [cacheMs, gzip] of [[0, false], [1500, false], [1500, true]] as const) {
    const app = operatorApp(store, cacheMs);
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const s = performance.now();
    await (await app.request('/')).text();
    const renderMs = performance.now() - s;
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) rates.push(await autocannon(url, 5, gzip ? ['accept-encoding=gzip'] : []));
    console.log(
      `status page (${(await (await app.request('/', { headers: gzip ? { 'accept-encoding': 'gzip' } : {} })).arrayBuffer()).byteLength} bytes${gzip ? ' gzipped' : ''}), ${cacheMs ? `render cached ${cacheMs} ms` : 'no cache'}: median ${Math.round(median(rates))} req/s (runs: ${rates.map(Math.round).join(', ')}; one render ${renderMs.toFixed(1)} ms)`,
    );
    await new Promise<void>((r) => server.close(() => r()));
  }
  await store.close();
}

console.log(`load average at start: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
const dir = mkdtempSync(join(tmpdir(), 'halftime-bench-admin-'));
try {
  await dashboard(dir);
  await statusPage(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
