/**
 * Latency history at scale: a database holding 30 days of N monitors (default 1,000) checked every
 * 60 s, with the default retention (minute rollups for the last 48 h, hourly for all 30 days, daily).
 * Rollup rows are generated directly (the same code path as the writer: sketches filled with
 * log-normal latencies, encoded by src/store/sketch.ts), not by running probes.
 *
 * Measures: the 24h (per-minute) and 1y (daily) series queries for one monitor, the monitor page
 * plus everything it loads, the database size and the projected size for a year, raw runs per run
 * (measured by the real writer on a small sample, then scaled), and the retention job's batches.
 *
 *   npm run bench -- history               # 1,000 monitors (about 1–3 minutes on 2 cores)
 *   BENCH_MONITORS=200 npm run bench -- history   # smaller; sizes are also given per monitor
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunResult } from '../src/probes/types.js';
import { createHistory } from '../src/store/history.js';
import { openStore, storeSql, type Sql } from '../src/store/index.js';
import { LEVELS, RUN_STEP } from '../src/store/rollups.js';
import { createSketch, encodeSketch } from '../src/store/sketch.js';
import { logNormal as logNormalOf, rng } from '../test/store/history-fixtures.js';
import { createApp } from '../src/web/app.js';

const MONITORS = Number(process.env.BENCH_MONITORS ?? 1000);
const DAYS = 30;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 26); // day-aligned "now": the 30 days end here
const RAW_SAMPLE_MONITORS = 4;
const RAW_SAMPLE_DAYS = 2;
/** Seconds of each over-HTTP series measurement. */
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);

const rand = rng(2026);
const logNormal = (mu: number, sigma: number) => logNormalOf(rand, mu, sigma);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const gb = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GB`;

/** Bytes per table and index of a SQLite database (the dbstat virtual table). */
async function tableBytes(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql.all<{ name: string; bytes: number }>(`SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name`);
  return new Map(rows.map((r) => [r.name, r.bytes]));
}
const sumTables = (m: Map<string, number>, prefix: string[]) => [...m].filter(([n]) => prefix.some((p) => n === p || n.startsWith(`sqlite_autoindex_${p}`))).reduce((a, [, b]) => a + b, 0);

const tmp = mkdtempSync(join(tmpdir(), 'halftime-bench-history-'));
try {
  // ---------- 1. Build the rollup database ----------
  const keys = Array.from({ length: MONITORS }, (_, i) => `m${String(i).padStart(4, '0')}`);
  // SQLite: the sizes below are its file and tables (dbstat).
  const store = await openStore(join(tmp, 'history.db'), keys.map((key) => ({ key, name: `Monitor ${key}`, public: true, schedule: 'every 60s', steps: 1 })), { flushMs: 3_600_000 });
  const db = storeSql(store);
  const insertInto = (l: keyof typeof LEVELS) =>
    `INSERT INTO ${LEVELS[l].table} (monitor_id, ts, step, runs, failures, total_sketch, ttfb_sketch, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms) VALUES (?, ?, ${RUN_STEP}, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  const INSERT = { minute: insertInto('minute'), hour: insertInto('hour'), day: insertInto('day') };
  const BUMP_DAY = 'INSERT INTO daily_uptime (monitor_id, day, runs, failures) VALUES (?, ?, ?, ?)';
  const ids: number[] = [];
  for (const k of keys) ids.push((await store.history.monitor(k))!.id);
  const dayBlobs: { total: Buffer; ttfb: Buffer }[] = [];
  const t0 = performance.now();
  const start = NOW - DAYS * DAY;
  const minuteFrom = NOW - 2 * DAY; // default minute retention: 48 h
  for (const [mi, id] of ids.entries()) {
    const mu = 4 + (mi % 7) * 0.25;
    const sigma = 0.35 + (mi % 5) * 0.12;
    await db.tx(async (tx) => {
      const ins = (l: keyof typeof LEVELS, ...params: unknown[]) => tx.run(INSERT[l], params);
      for (let d = 0; d < DAYS; d++) {
        const dayTs = start + d * DAY;
        const day = { total: createSketch(), ttfb: createSketch(), runs: 0, fail: 0, ph: 0 };
        for (let h = 0; h < 24; h++) {
          const hourTs = dayTs + h * HOUR;
          const hour = { total: createSketch(), ttfb: createSketch(), runs: 0, fail: 0, ph: 0 };
          for (let m = 0; m < 60; m++) {
            const ts = hourTs + m * MIN;
            const ok = rand() > 0.002;
            const v = logNormal(mu, sigma);
            hour.runs++;
            if (ok) {
              hour.total.accept(v);
              hour.ttfb.accept(v * 0.6);
              hour.ph += v;
            } else hour.fail++;
            if (ts >= minuteFrom) {
              const mt = createSketch();
              const mf = createSketch();
              if (ok) {
                mt.accept(v);
                mf.accept(v * 0.6);
              }
              const s = ok ? v : 0;
              await ins('minute', id, ts, 1, ok ? 0 : 1, encodeSketch(mt), encodeSketch(mf), s * 0.02, s * 0.05, s * 0.1, s * 0.6, s * 0.23);
            }
          }
          const p = hour.ph;
          await ins('hour', id, hourTs, hour.runs, hour.fail, encodeSketch(hour.total), encodeSketch(hour.ttfb), p * 0.02, p * 0.05, p * 0.1, p * 0.6, p * 0.23);
          day.total.merge(hour.total);
          day.ttfb.merge(hour.ttfb);
          day.runs += hour.runs;
          day.fail += hour.fail;
          day.ph += p;
        }
        const blobs = { total: encodeSketch(day.total), ttfb: encodeSketch(day.ttfb) };
        if (mi === 0) dayBlobs.push(blobs);
        const p = day.ph;
        await ins('day', id, dayTs, day.runs, day.fail, blobs.total, blobs.ttfb, p * 0.02, p * 0.05, p * 0.1, p * 0.6, p * 0.23);
        await tx.run(BUMP_DAY, [id, new Date(dayTs).toISOString().slice(0, 10), day.runs, day.fail]);
      }
    });
  }
  await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const buildS = (performance.now() - t0) / 1000;
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`);
  console.log(`built ${MONITORS} monitors × ${DAYS} days of rollups in ${buildS.toFixed(1)} s`);

  const counts: Record<keyof typeof LEVELS, number> = { minute: 0, hour: 0, day: 0 };
  for (const l of Object.keys(LEVELS) as (keyof typeof LEVELS)[]) counts[l] = (await db.pluck<number>(`SELECT count(*) FROM ${LEVELS[l].table}`))[0];
  const bytes30 = await tableBytes(db);
  const rollupBytes = {
    minute: sumTables(bytes30, [LEVELS.minute.table]),
    hour: sumTables(bytes30, [LEVELS.hour.table]),
    day: sumTables(bytes30, [LEVELS.day.table]),
  };
  const fileBytes30 = statSync(join(tmp, 'history.db')).size;
  console.log(`rows: minute ${counts.minute}, hour ${counts.hour}, day ${counts.day}`);
  console.log(`rollup tables: minute ${mb(rollupBytes.minute)}, hour ${mb(rollupBytes.hour)}, day ${mb(rollupBytes.day)}; file ${mb(fileBytes30)}`);
  const avgBlob = async (t: string) => (await db.pluck<number>(`SELECT avg(length(total_sketch) + length(ttfb_sketch)) FROM ${t}`))[0];
  console.log(`sketch bytes per row (total + ttfb): minute ${(await avgBlob('rollup_minute')).toFixed(0)}, hour ${(await avgBlob('rollup_hour')).toFixed(0)}, day ${(await avgBlob('rollup_day')).toFixed(0)}`);

  // ---------- 2. Query timings ----------
  const history = createHistory(db);
  const pick = rng(7);
  // Wall time per call, plus the process CPU time per call (less sensitive to other work on a shared machine).
  const cpuMs: number[][] = [];
  const timeIt = async (n: number, fn: (key: string) => Promise<unknown>) => {
    for (let i = 0; i < 5; i++) await fn(keys[i]);
    const out: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < n; i++) {
      const key = keys[Math.floor(pick() * keys.length)];
      const c = process.cpuUsage();
      const a = performance.now();
      await fn(key);
      out.push(performance.now() - a);
      const d = process.cpuUsage(c);
      cpu.push((d.user + d.system) / 1000);
    }
    cpuMs.push(cpu);
    return out;
  };
  const cpuMedian = () => median(cpuMs[cpuMs.length - 1]).toFixed(2);
  const q24 = await timeIt(200, (k) => history.series(k, '24h', { now: NOW - 1 }));
  const q7 = await timeIt(100, (k) => history.series(k, '7d', { now: NOW - 1 }));
  const q30 = await timeIt(100, (k) => history.series(k, '30d', { now: NOW - 1 }));
  const q1y30 = await timeIt(200, (k) => history.series(k, '1y', { now: NOW - 1 }));
  const cpuOf = (i: number) => median(cpuMs[i]).toFixed(2);
  console.log(`series 24h (1440 minute points): median ${median(q24).toFixed(2)} ms, p95 ${pct(q24, 0.95).toFixed(2)} ms, CPU median ${cpuOf(0)} ms`);
  console.log(`series 7d (168 hourly points):   median ${median(q7).toFixed(2)} ms, p95 ${pct(q7, 0.95).toFixed(2)} ms, CPU median ${cpuOf(1)} ms`);
  console.log(`series 30d (720 hourly points):  median ${median(q30).toFixed(2)} ms, p95 ${pct(q30, 0.95).toFixed(2)} ms, CPU median ${cpuOf(2)} ms`);
  console.log(`series 1y with 30 days held:     median ${median(q1y30).toFixed(2)} ms, CPU median ${cpuOf(3)} ms`);

  // A full year of daily rows (the 30 measured day sketches repeated) to time the 1y query at full length and measure a year's daily rows.
  const dailyBefore = rollupBytes.day;
  const INSERT_DAY = `INSERT INTO rollup_day (monitor_id, ts, step, runs, failures, total_sketch, ttfb_sketch, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms) VALUES (?, ?, -1, 1440, 3, ?, ?, 1, 1, 1, 1, 1)`;
  await db.tx(async (tx) => {
    for (const id of ids) for (let d = DAYS; d < 365; d++) await tx.run(INSERT_DAY, [id, start - (d - DAYS + 1) * DAY, dayBlobs[d % DAYS].total, dayBlobs[d % DAYS].ttfb]);
  });
  const dailyYearBytes = sumTables(await tableBytes(db), ['rollup_day']);
  const q1y = await timeIt(200, (k) => history.series(k, '1y', { now: NOW - 1 }));
  console.log(`series 1y (365 daily points):    median ${median(q1y).toFixed(2)} ms, p95 ${pct(q1y, 0.95).toFixed(2)} ms, CPU median ${cpuMedian()} ms`);

  // ---------- 3. Page weight ----------
  const app = createApp({ status: store.status, history: store.history, runs: store.runs, title: 'Bench', schedulerAlive: () => true, now: () => NOW - 1 });
  // Bytes as served: plain, and with `accept-encoding: gzip` (the compress middleware).
  const body = async (path: string, gzip = false) => Buffer.from(await (await app.request(path, { headers: gzip ? { 'accept-encoding': 'gzip' } : {} })).arrayBuffer());
  const pageTimes: number[] = [];
  let page = Buffer.alloc(0);
  for (let i = 0; i < 30; i++) {
    const a = performance.now();
    page = await body(`/monitors/${keys[i % keys.length]}`);
    pageTimes.push(performance.now() - a);
  }
  const chartUrl = (range: string) => `/api/monitors/${keys[0]}/series?range=${range}&step=-1&fields=runs,failures,p50,p95,p99,max,phases`;
  const page0 = await body(`/monitors/${keys[0]}`);
  if (!page0.toString().includes(chartUrl('24h').replaceAll('&', '&amp;'))) throw new Error('the page no longer fetches the chart URL this bench measures');
  const assets = ['style.css', 'htmx.min.js', 'uPlot.iife.min.js', 'uPlot.min.css', 'monitor-chart.js'];
  const sizes = async (gzip: boolean) => {
    const html = (await body(`/monitors/${keys[0]}`, gzip)).length;
    const files = await Promise.all(assets.map(async (a) => (await body(`/static/${a}`, gzip)).length));
    const data = Object.fromEntries(await Promise.all(['24h', '30d', '1y'].map(async (r) => [r, (await body(chartUrl(r), gzip)).length] as const)));
    const full24 = (await body(`/api/monitors/${keys[0]}/series?range=24h`, gzip)).length;
    return { html, files, data, full24, total24: html + files.reduce((a, b) => a + b, 0) + data['24h'] };
  };
  const plain = await sizes(false);
  const zipped = await sizes(true);
  console.log(`monitor page render: median ${median(pageTimes).toFixed(2)} ms`);
  console.log(`page HTML ${kb(plain.html)} (gzip ${kb(zipped.html)}); assets ${assets.map((a, i) => `${a} ${kb(plain.files[i])} (gzip ${kb(zipped.files[i])})`).join(', ')}`);
  console.log(`chart data: 24h ${kb(plain.data['24h'])} (gzip ${kb(zipped.data['24h'])}), 30d ${kb(plain.data['30d'])} (gzip ${kb(zipped.data['30d'])}), 1y ${kb(plain.data['1y'])} (gzip ${kb(zipped.data['1y'])}); all fields 24h ${kb(plain.full24)} (gzip ${kb(zipped.full24)})`);
  console.log(`24h chart page + assets + data: ${kb(plain.total24)} uncompressed, ${kb(zipped.total24)} gzip`);

  // ---------- 3b. The series as users get it: over HTTP, from the real route ----------
  // In process (above) a series is the read model's work. A script or a browser also pays the route
  // (JSON, gzip), Node's HTTP server and the loopback. Measured side by side on the same paths:
  // the query alone, the route in process (app.request), and autocannon (its own process) against
  // the real server (@hono/node-server, as `halftime serve` runs it).
  const seriesPaths = Array.from({ length: 50 }, () => `/api/monitors/${keys[Math.floor(pick() * keys.length)]}/series?range=24h`);
  const inRoute: number[] = [];
  for (let i = 0; i < 100; i++) {
    const a = performance.now();
    await (await app.request(seriesPaths[i % seriesPaths.length])).arrayBuffer();
    inRoute.push(performance.now() - a);
  }
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const overHttp = async (connections: number, headers?: Record<string, string>) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./http-load.ts', import.meta.url)), JSON.stringify({ url: origin, paths: seriesPaths, connections, seconds: HTTP_SECONDS, headers })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await new Promise((r) => child.once('exit', r));
    return JSON.parse(out.trim().split('\n').pop()!) as { requests: number; rps: number; p50: number; p90: number; p99: number; mean: number; non2xx: number; errors: number };
  };
  try {
    const one = await overHttp(1);
    const oneGzip = await overHttp(1, { 'accept-encoding': 'gzip' });
    const ten = await overHttp(10);
    for (const r of [one, oneGzip, ten]) if (r.non2xx || r.errors) throw new Error(`series over HTTP failed: ${JSON.stringify(r)}`);
    console.log(`series 24h, in process: query ${median(q24).toFixed(2)} ms; route with JSON (app.request) median ${median(inRoute).toFixed(2)} ms, p95 ${pct(inRoute, 0.95).toFixed(2)} ms`);
    console.log(`series 24h over HTTP (autocannon, ${HTTP_SECONDS} s, 1 connection): median ${one.p50} ms, p90 ${one.p90} ms, p99 ${one.p99} ms, mean ${one.mean.toFixed(2)} ms, ${Math.round(one.rps)} req/s`);
    console.log(`  … with accept-encoding: gzip: median ${oneGzip.p50} ms, p90 ${oneGzip.p90} ms, p99 ${oneGzip.p99} ms, ${Math.round(oneGzip.rps)} req/s`);
    console.log(`  … 10 connections: median ${ten.p50} ms, p99 ${ten.p99} ms, ${Math.round(ten.rps)} req/s`);
  } finally {
    await new Promise((r) => server.close(r));
  }

  // ---------- 4. Raw runs, measured with the real writer on a small sample ----------
  const rawStore = await openStore(join(tmp, 'raw.db'), Array.from({ length: RAW_SAMPLE_MONITORS }, (_, i) => ({ key: `r${i}`, name: `Raw ${i}`, public: true, schedule: 'every 60s', steps: 1 })), { flushMs: 3_600_000, batchSize: 1_000_000 });
  const runsPerMonitor = RAW_SAMPLE_DAYS * 1440;
  const w0 = performance.now();
  let written = 0;
  for (let i = 0; i < runsPerMonitor; i++) {
    for (let m = 0; m < RAW_SAMPLE_MONITORS; m++) {
      const t = NOW - (runsPerMonitor - i) * MIN + m * 997;
      const v = logNormal(4.5, 0.5);
      const r: RunResult = {
        monitorId: `r${m}`,
        plannedAt: t,
        startedAt: t + 2,
        durationMs: v,
        ok: true,
        steps: [
          {
            index: 0,
            name: 'GET /',
            method: 'GET',
            url: 'https://shop.example.com/',
            startedAt: t + 2,
            ok: true,
            status: 200,
            timings: { dns: v * 0.02, connect: v * 0.05, tls: v * 0.1, ttfb: v * 0.6, download: v * 0.23, total: v },
            bytes: 48_213,
            redirects: 0,
            headers: {},
            evidence: [{ what: 'status', expected: '2xx or 3xx', actual: '200', pass: true }],
          },
        ],
      };
      rawStore.writer.write(r);
      if (++written % 200 === 0) await rawStore.writer.flush();
    }
  }
  await rawStore.writer.flush();
  const writeS = (performance.now() - w0) / 1000;
  await storeSql(rawStore).exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const rawTables = await tableBytes(storeSql(rawStore));
  const rawRunBytes = sumTables(rawTables, ['runs', 'step_results', 'runs_by_monitor_time']);
  const perRun = rawRunBytes / written;
  console.log(`writer with rollups: ${Math.round(written / writeS)} runs/s in batches of 200 over ${RAW_SAMPLE_MONITORS} monitors (${written} one-step runs; with 1,000 monitors see writer.bench.ts)`);
  console.log(`raw run + step row: ${perRun.toFixed(0)} bytes per one-step run`);
  await rawStore.close();

  // ---------- 5. Sizes: now, a year, and raw for comparison ----------
  const perMonitor = (n: number) => n / MONITORS;
  const runsPerDay = 1440;
  const rawRetained = perRun * runsPerDay * 7; // default raw retention 7 d
  const yearly = {
    minute: perMonitor(rollupBytes.minute),
    hour: (perMonitor(rollupBytes.hour) * 90) / DAYS, // hourly kept 90 d
    day: perMonitor(dailyYearBytes), // 365 daily rows
  };
  const steady = yearly.minute + yearly.hour + yearly.day + rawRetained;
  const thirtyDays = perMonitor(rollupBytes.minute + rollupBytes.hour + dailyBefore) + rawRetained;
  console.log(`per monitor, 30 days held: rollups ${mb(perMonitor(rollupBytes.minute + rollupBytes.hour + dailyBefore))} + 7 d of raw runs ${mb(rawRetained)} = ${mb(thirtyDays)}`);
  console.log(`per monitor after a year (steady state with default retention): minute ${mb(yearly.minute)} + hourly ${mb(yearly.hour)} + daily ${kb(yearly.day)} + raw ${mb(rawRetained)} = ${mb(steady)}`);
  console.log(`${MONITORS} monitors: 30 days ${gb(thirtyDays * MONITORS)}, a year ${gb(steady * MONITORS)} (bounded: it stays there)`);
  console.log(`storing every raw run instead: 30 days ${gb(perRun * runsPerDay * 30 * MONITORS)}, a year ${gb(perRun * runsPerDay * 365 * MONITORS)} (and growing)`);

  // ---------- 6. Retention on this database ----------
  const batchTimes: number[] = [];
  let last = performance.now();
  const retention = store.retention({ runs: 7 * DAY, minute: 47 * HOUR, hourly: 29 * DAY, daily: 730 * DAY }, {
    batchSize: 1000,
    pause: async () => {
      const t = performance.now();
      batchTimes.push(t - last);
      await new Promise<void>((r) => setImmediate(r));
      last = performance.now();
    },
  });
  const r0 = performance.now();
  const removed = await retention.run(NOW);
  const passS = (performance.now() - r0) / 1000;
  console.log(
    `retention pass deleting 1 h of minute rows and 1 day of hourly rows per monitor (${removed.minute} + ${removed.hourly} rows): ${passS.toFixed(1)} s in ${batchTimes.length} batches; batch median ${median(batchTimes).toFixed(2)} ms, p99 ${pct(batchTimes, 0.99).toFixed(2)} ms, max ${Math.max(...batchTimes).toFixed(2)} ms`,
  );
  const e0 = performance.now();
  await store.retention({ runs: 7 * DAY, minute: 47 * HOUR, hourly: 29 * DAY, daily: 730 * DAY }).run(NOW);
  console.log(`retention pass with nothing to delete: ${(performance.now() - e0).toFixed(0)} ms`);
  await store.close();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
