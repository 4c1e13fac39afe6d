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
 * With BENCH_POSTGRES=1 the same rows are also loaded into a fresh PostgreSQL database (a throwaway
 * local cluster on 127.0.0.1, as the tests start one; durability off), and the series queries, the
 * monitor page, the series route and the retention job are timed on both engines side by side: the
 * same monitor on each engine call after call (which engine goes first alternates), medians in one
 * table at the end. The SQLite-only figures above it are printed as without it.
 *
 *   npm run bench -- history               # 1,000 monitors (about 1–3 minutes on 2 cores)
 *   BENCH_MONITORS=200 npm run bench -- history   # smaller; sizes are also given per monitor
 *   BENCH_POSTGRES=1 npm run bench -- history     # SQLite and PostgreSQL side by side
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
import { openStore, storeSql, type History, type Sql, type Store } from '../src/store/index.js';
import { LEVELS, RUN_STEP } from '../src/store/rollups.js';
import { createSketch, encodeSketch } from '../src/store/sketch.js';
import { logNormal as logNormalOf, rng } from '../test/store/history-fixtures.js';
import { createApp } from '../src/web/app.js';
import { createTestDatabase, startPostgres, type PgCluster } from '../test/support/postgres.js';

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
/** Also PostgreSQL, side by side (a throwaway cluster on 127.0.0.1). */
const POSTGRES = process.env.BENCH_POSTGRES === '1';
/** Rows per multi-row INSERT when loading PostgreSQL (12 parameters a row; PostgreSQL takes 65,535). */
const PG_CHUNK = 1000;

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

const ROLLUP_COLUMNS = '(monitor_id, ts, step, runs, failures, total_sketch, ttfb_sketch, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms)';
/** Rows in multi-row INSERTs of PG_CHUNK rows (PostgreSQL: a round trip per statement, not per row). */
async function insertMany(sql: Sql, head: string, rows: unknown[][]) {
  if (rows.length === 0) return;
  const one = `(${rows[0].map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += PG_CHUNK) {
    const part = rows.slice(i, i + PG_CHUNK);
    await sql.run(`${head} VALUES ${part.map(() => one).join(', ')}`, part.flat());
  }
}

/** One engine's figure for the side-by-side table: its values (ms) and this process's CPU per call. */
type Figure = { wall: number[]; cpu?: number[]; p95?: boolean };
const side: { label: string; points?: string; sqlite: Figure; postgres: Figure }[] = [];

const cluster: PgCluster | undefined = POSTGRES ? await startPostgres() : undefined;
let pgStore: Store | undefined;
let pgDrop: (() => Promise<void>) | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'halftime-bench-history-'));
try {
  // ---------- 1. Build the rollup database ----------
  const keys = Array.from({ length: MONITORS }, (_, i) => `m${String(i).padStart(4, '0')}`);
  // SQLite: the sizes below are its file and tables (dbstat).
  const monitorDefs = keys.map((key) => ({ key, name: `Monitor ${key}`, public: true, schedule: 'every 60s', steps: 1 }));
  const store = await openStore(join(tmp, 'history.db'), monitorDefs, { flushMs: 3_600_000 });
  const db = storeSql(store);
  // PostgreSQL: the same monitors in a fresh database, through the same openStore.
  let pg: Sql | undefined;
  const pgIds: number[] = [];
  if (cluster) {
    const created = await createTestDatabase(cluster.url, 'halftime_bench');
    pgDrop = created.drop;
    pgStore = await openStore(created.url, monitorDefs, { flushMs: 3_600_000 });
    pg = storeSql(pgStore);
    for (const k of keys) pgIds.push((await pgStore.history.monitor(k))!.id);
  }
  const insertInto = (l: keyof typeof LEVELS) =>
    `INSERT INTO ${LEVELS[l].table} (monitor_id, ts, step, runs, failures, total_sketch, ttfb_sketch, dns_ms, connect_ms, tls_ms, ttfb_ms, download_ms) VALUES (?, ?, ${RUN_STEP}, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
  const INSERT = { minute: insertInto('minute'), hour: insertInto('hour'), day: insertInto('day') };
  const BUMP_DAY = 'INSERT INTO daily_uptime (monitor_id, day, runs, failures) VALUES (?, ?, ?, ?)';
  const ids: number[] = [];
  for (const k of keys) ids.push((await store.history.monitor(k))!.id);
  const dayBlobs: { total: Buffer; ttfb: Buffer }[] = [];
  const t0 = performance.now();
  let pgLoadMs = 0;
  const start = NOW - DAYS * DAY;
  const minuteFrom = NOW - 2 * DAY; // default minute retention: 48 h
  for (const [mi, id] of ids.entries()) {
    const mu = 4 + (mi % 7) * 0.25;
    const sigma = 0.35 + (mi % 5) * 0.12;
    // The monitor's rows, in the order SQLite gets them (without the monitor id: it is each store's own).
    const ops: { l: keyof typeof LEVELS | 'uptime'; p: unknown[] }[] = [];
    {
      const ins = (l: keyof typeof LEVELS, ...params: unknown[]) => void ops.push({ l, p: params.slice(1) });
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
        ins('day', id, dayTs, day.runs, day.fail, blobs.total, blobs.ttfb, p * 0.02, p * 0.05, p * 0.1, p * 0.6, p * 0.23);
        ops.push({ l: 'uptime', p: [new Date(dayTs).toISOString().slice(0, 10), day.runs, day.fail] });
      }
    }
    await db.tx(async (tx) => {
      for (const { l, p } of ops) await tx.run(l === 'uptime' ? BUMP_DAY : INSERT[l], [id, ...p]);
    });
    if (pg) {
      const l0 = performance.now();
      const pgId = pgIds[mi];
      await pg.tx(async (tx) => {
        for (const l of Object.keys(LEVELS) as (keyof typeof LEVELS)[]) {
          const rows = ops.filter((o) => o.l === l).map(({ p }) => [pgId, p[0], RUN_STEP, ...p.slice(1)]);
          await insertMany(tx, `INSERT INTO ${LEVELS[l].table} ${ROLLUP_COLUMNS}`, rows);
        }
        await insertMany(tx, 'INSERT INTO daily_uptime (monitor_id, day, runs, failures)', ops.filter((o) => o.l === 'uptime').map(({ p }) => [pgId, ...p]));
      });
      pgLoadMs += performance.now() - l0;
    }
  }
  await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  // Without PostgreSQL this is the time it always was (making the rows and writing them to SQLite).
  const buildS = (performance.now() - t0 - pgLoadMs) / 1000;
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
  if (pg) {
    // As SQLite's checkpoint above: the loaded tables settled (visibility map, planner statistics) before timing.
    const v0 = performance.now();
    await pg.exec('VACUUM (ANALYZE) rollup_minute, rollup_hour, rollup_day, daily_uptime');
    const vacuumS = (performance.now() - v0) / 1000;
    for (const l of Object.keys(LEVELS) as (keyof typeof LEVELS)[]) {
      const n = (await pg.pluck<number>(`SELECT count(*) FROM ${LEVELS[l].table}`))[0];
      if (n !== counts[l]) throw new Error(`PostgreSQL holds ${n} ${l} rows, SQLite ${counts[l]}`);
    }
    const rel = async (t: string) => (await pg.pluck<number>('SELECT pg_total_relation_size(CAST(? AS regclass))', [t]))[0];
    const dbBytes = (await pg.pluck<number>('SELECT pg_database_size(current_database())'))[0];
    console.log(
      `PostgreSQL: the same rows loaded in ${(pgLoadMs / 1000).toFixed(1)} s (multi-row INSERTs of ${PG_CHUNK}), VACUUM ANALYZE ${vacuumS.toFixed(1)} s; ` +
        `rollup tables with their indexes: minute ${mb(await rel('rollup_minute'))}, hour ${mb(await rel('rollup_hour'))}, day ${mb(await rel('rollup_day'))}; database ${mb(dbBytes)}`,
    );
  }

  // ---------- 2. Query timings ----------
  // The same read model over each engine (SQLite first: its figures are the ones printed line by line).
  const histories: History[] = [createHistory(db), ...(pg ? [createHistory(pg)] : [])];
  const history = histories[0];
  if (pg) {
    // The same data: the same answers (a few monitors and ranges).
    for (const k of [keys[0], keys[keys.length - 1]]) {
      for (const r of ['24h', '30d', '1y'] as const) {
        const [a, b] = await Promise.all(histories.map((h) => h.series(k, r, { now: NOW - 1 })));
        if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`the ${r} series of ${k} differs between SQLite and PostgreSQL`);
      }
    }
  }
  const pick = rng(7);
  // Wall time per call, plus the process CPU time per call (less sensitive to other work on a shared machine).
  // With PostgreSQL each key is asked of every engine in turn, which engine first alternating; CPU is
  // this process's only (PostgreSQL's own work runs in its server processes).
  const cpuMs: number[][] = [];
  const timeIt = async (n: number, fn: (key: string, h: History) => Promise<unknown>, label?: string, points?: string) => {
    for (const h of histories) for (let i = 0; i < 5; i++) await fn(keys[i], h);
    const out = histories.map(() => [] as number[]);
    const cpu = histories.map(() => [] as number[]);
    for (let i = 0; i < n; i++) {
      const key = keys[Math.floor(pick() * keys.length)];
      for (let j = 0; j < histories.length; j++) {
        const e = (i + j) % histories.length;
        const c = process.cpuUsage();
        const a = performance.now();
        await fn(key, histories[e]);
        out[e].push(performance.now() - a);
        const d = process.cpuUsage(c);
        cpu[e].push((d.user + d.system) / 1000);
      }
    }
    cpuMs.push(cpu[0]);
    if (label && histories.length > 1) side.push({ label, points, sqlite: { wall: out[0], cpu: cpu[0], p95: true }, postgres: { wall: out[1], cpu: cpu[1], p95: true } });
    return out[0];
  };
  const cpuMedian = () => median(cpuMs[cpuMs.length - 1]).toFixed(2);
  const q24 = await timeIt(200, (k, h) => h.series(k, '24h', { now: NOW - 1 }), 'series **24h**, per minute, one monitor', '1,440');
  const q7 = await timeIt(100, (k, h) => h.series(k, '7d', { now: NOW - 1 }), 'series 7d, hourly', '168');
  const q30 = await timeIt(100, (k, h) => h.series(k, '30d', { now: NOW - 1 }), 'series 30d, hourly', '720');
  const q1y30 = await timeIt(200, (k, h) => h.series(k, '1y', { now: NOW - 1 }), 'series 1y, daily, with the 30 days held', String(DAYS));
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
  if (pg) {
    // The same 335 daily rows per monitor, then fresh statistics for the grown table.
    await pg.tx(async (tx) => {
      for (const id of pgIds) {
        const rows: unknown[][] = [];
        for (let d = DAYS; d < 365; d++) rows.push([id, start - (d - DAYS + 1) * DAY, RUN_STEP, 1440, 3, dayBlobs[d % DAYS].total, dayBlobs[d % DAYS].ttfb, 1, 1, 1, 1, 1]);
        await insertMany(tx, `INSERT INTO rollup_day ${ROLLUP_COLUMNS}`, rows);
      }
    });
    await pg.exec('VACUUM (ANALYZE) rollup_day');
  }
  const q1y = await timeIt(200, (k, h) => h.series(k, '1y', { now: NOW - 1 }), 'series **1y**, daily (365 days held)', '365');
  console.log(`series 1y (365 daily points):    median ${median(q1y).toFixed(2)} ms, p95 ${pct(q1y, 0.95).toFixed(2)} ms, CPU median ${cpuMedian()} ms`);

  // ---------- 3. Page weight ----------
  const appOf = (s: Store) => createApp({ status: s.status, history: s.history, runs: s.runs, title: 'Bench', schedulerAlive: () => true, now: () => NOW - 1 });
  const apps = [appOf(store), ...(pgStore ? [appOf(pgStore)] : [])];
  const app = apps[0];
  // Bytes as served: plain, and with `accept-encoding: gzip` (the compress middleware).
  const bodyOf = async (a: (typeof apps)[number], path: string, gzip = false) => Buffer.from(await (await a.request(path, { headers: gzip ? { 'accept-encoding': 'gzip' } : {} })).arrayBuffer());
  const body = (path: string, gzip = false) => bodyOf(app, path, gzip);
  /** `fn` on every app in turn, which first alternating: the wall times per app (SQLite's first). */
  const interleaved = async (n: number, fn: (a: (typeof apps)[number], i: number) => Promise<unknown>) => {
    const out = apps.map(() => [] as number[]);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < apps.length; j++) {
        const e = (i + j) % apps.length;
        const a = performance.now();
        await fn(apps[e], i);
        out[e].push(performance.now() - a);
      }
    }
    return out;
  };
  const pageAll = await interleaved(30, (a, i) => bodyOf(a, `/monitors/${keys[i % keys.length]}`));
  const pageTimes = pageAll[0];
  if (pgStore) side.push({ label: 'monitor page render (HTML, includes a 24h series and 20 runs)', sqlite: { wall: pageAll[0], p95: true }, postgres: { wall: pageAll[1], p95: true } });
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
  const routeAll = await interleaved(100, async (a, i) => (await a.request(seriesPaths[i % seriesPaths.length])).arrayBuffer());
  const inRoute = routeAll[0];
  if (pgStore) side.push({ label: 'series 24h route with JSON, in process (app.request)', points: '1,440', sqlite: { wall: routeAll[0], p95: true }, postgres: { wall: routeAll[1], p95: true } });
  const listen = (a: (typeof apps)[number]) =>
    new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: a.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
  const server = await listen(app);
  const originOf = (s: ServerType) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  const origin = originOf(server);
  const overHttp = async (connections: number, headers?: Record<string, string>, url = origin) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./http-load.ts', import.meta.url)), JSON.stringify({ url, paths: seriesPaths, connections, seconds: HTTP_SECONDS, headers })], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    if (apps[1]) {
      // The same load on the PostgreSQL store's server, after SQLite's (one server at a time).
      const pgServer = await listen(apps[1]);
      try {
        const pgOne = await overHttp(1, undefined, originOf(pgServer));
        const pgTen = await overHttp(10, undefined, originOf(pgServer));
        for (const r of [pgOne, pgTen]) if (r.non2xx || r.errors) throw new Error(`series over HTTP (PostgreSQL) failed: ${JSON.stringify(r)}`);
        const rps = (a: number, b: number) => `${Math.round(a).toLocaleString('en')} / ${Math.round(b).toLocaleString('en')} req/s`;
        side.push({ label: `series 24h over HTTP, 1 connection (autocannon ${HTTP_SECONDS} s each; ${rps(one.rps, pgOne.rps)})`, points: '1,440', sqlite: { wall: [one.p50] }, postgres: { wall: [pgOne.p50] } });
        side.push({ label: `series 24h over HTTP, 10 connections (${rps(ten.rps, pgTen.rps)})`, points: '1,440', sqlite: { wall: [ten.p50] }, postgres: { wall: [pgTen.p50] } });
      } finally {
        await new Promise((r) => pgServer.close(r));
      }
    }
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
  /** One retention pass with the bench's policy on a store: its batches' times, the pass's time and what it removed. */
  const retentionPass = async (s: Store) => {
    const batchTimes: number[] = [];
    let last = performance.now();
    const retention = s.retention({ runs: 7 * DAY, minute: 47 * HOUR, hourly: 29 * DAY, daily: 730 * DAY }, {
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
    const passMs = performance.now() - r0;
    const e0 = performance.now();
    await s.retention({ runs: 7 * DAY, minute: 47 * HOUR, hourly: 29 * DAY, daily: 730 * DAY }).run(NOW);
    return { batchTimes, passMs, removed, emptyMs: performance.now() - e0 };
  };
  const { batchTimes, passMs, removed, emptyMs } = await retentionPass(store);
  const passS = passMs / 1000;
  console.log(
    `retention pass deleting 1 h of minute rows and 1 day of hourly rows per monitor (${removed.minute} + ${removed.hourly} rows): ${passS.toFixed(1)} s in ${batchTimes.length} batches; batch median ${median(batchTimes).toFixed(2)} ms, p99 ${pct(batchTimes, 0.99).toFixed(2)} ms, max ${Math.max(...batchTimes).toFixed(2)} ms`,
  );
  console.log(`retention pass with nothing to delete: ${emptyMs.toFixed(0)} ms`);
  await store.close();

  // ---------- 7. SQLite and PostgreSQL side by side ----------
  if (pgStore) {
    // The same pass on PostgreSQL (after SQLite's: the job runs once per store).
    const p = await retentionPass(pgStore);
    if (p.removed.minute !== removed.minute || p.removed.hourly !== removed.hourly) throw new Error(`retention removed ${p.removed.minute} + ${p.removed.hourly} rows on PostgreSQL, ${removed.minute} + ${removed.hourly} on SQLite`);
    side.push({ label: `retention pass deleting ${removed.minute + removed.hourly} rows (whole pass)`, sqlite: { wall: [passMs] }, postgres: { wall: [p.passMs] } });
    side.push({ label: `retention batch of 1,000 rows (${batchTimes.length} / ${p.batchTimes.length} batches)`, sqlite: { wall: batchTimes, p95: true }, postgres: { wall: p.batchTimes, p95: true } });
    side.push({ label: 'retention pass with nothing to delete', sqlite: { wall: [emptyMs] }, postgres: { wall: [p.emptyMs] } });

    const ms = (xs: number[]) => (xs.length ? median(xs).toFixed(2) : '—');
    const p95 = (f: Figure) => (f.p95 && f.wall.length ? pct(f.wall, 0.95).toFixed(2) : '—');
    const cpu = (f: Figure) => (f.cpu ? median(f.cpu).toFixed(2) : '—');
    console.log('');
    console.log(`SQLite and PostgreSQL side by side (${MONITORS} monitors, the same rows in each; queries interleaved on the same monitors; PostgreSQL: local cluster on 127.0.0.1, durability off):`);
    console.log('| query | points | SQLite ms (median) | PostgreSQL ms (median) | SQLite p95 | PostgreSQL p95 | CPU ms per call in this process, SQLite / PostgreSQL |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of side) {
      console.log(`| ${r.label} | ${r.points ?? ''} | ${ms(r.sqlite.wall)} | ${ms(r.postgres.wall)} | ${p95(r.sqlite)} | ${p95(r.postgres)} | ${r.sqlite.cpu ? `${cpu(r.sqlite)} / ${cpu(r.postgres)}` : '—'} |`);
    }
    console.log('(over HTTP: the load generator\'s median latency, SQLite then PostgreSQL, one after the other; retention: one pass per engine, SQLite first)');
  }
} finally {
  await pgStore?.close().catch(() => undefined);
  await pgDrop?.().catch(() => undefined);
  cluster?.stop();
  rmSync(tmp, { recursive: true, force: true });
}
