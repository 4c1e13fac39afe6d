/**
 * The incident rush: `halftime serve` (the command users run, in its own process) checks
 * BENCH_RUSH_MONITORS monitors (1,000, 5,000 and 10,000 in turn) every 60 s against a local target,
 * all on the public status page. After a warm-up minute it measures BENCH_RUSH_SECONDS (60) quiet,
 * then as long again with 200 autocannon clients on `/` (gzip) and 50 on a series endpoint, side by
 * side in one run.
 *
 * Reports, for the quiet and the rush window: scheduler lateness p50/p99/max and the latency the
 * probes recorded (p50/p99, from the stored runs planned in each window), skipped slots (from
 * /metrics), failed runs (the target never fails: each is a false failure), the status page's and the
 * series' req/s and p99 (autocannon), 503s from admission control, and the server's peak RSS.
 *
 *   npm run bench -- rush
 *   BENCH_RUSH_MONITORS=1000 BENCH_RUSH_SECONDS=20 npm run bench -- rush     # a quick look
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { envNumber, fmt, median, percentile, startServeOn, startTargetServer } from './support.js';

const SIZES = (process.env.BENCH_RUSH_MONITORS ?? '1000,5000,10000').split(',').map((s) => Math.floor(Number(s))).filter((n) => n > 0);
const SECONDS = envNumber('BENCH_RUSH_SECONDS', 60);
const WARM_SECONDS = envNumber('BENCH_RUSH_WARM', 70);
const PAGE_CLIENTS = 200;
const SERIES_CLIENTS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}

type Blast = { rps: number; p99: number; ok: number; shed: number; errors: number };

type AutocannonResult = { '2xx': number; errors: number; timeouts: number; latency: { p99: number }; statusCodeStats?: Record<string, { count: number }> };
const lib = 'autocannon'; // untyped CommonJS; imported by name so the type checker leaves it alone
const { default: autocannon } = (await import(lib)) as { default: (o: object) => Promise<AutocannonResult> };

async function blast(url: string, connections: number, seconds: number): Promise<Blast> {
  const r = await autocannon({ url, connections, duration: seconds, headers: { 'accept-encoding': 'gzip' } });
  const shed = r.statusCodeStats?.['503']?.count ?? 0;
  return { rps: r['2xx'] / seconds, p99: r.latency.p99, ok: r['2xx'], shed, errors: r.errors + r.timeouts };
}

type Window = { from: number; to: number };
type WindowFigures = { runs: number; failed: number; lateP50: number; lateP99: number; lateMax: number; durP50: number; durP99: number };

function windowFigures(db: Database.Database, w: Window): WindowFigures {
  const rows = db.prepare('SELECT planned_at AS p, started_at AS s, duration_ms AS d, ok FROM runs WHERE planned_at >= ? AND planned_at < ?').all(w.from, w.to) as { p: number; s: number; d: number; ok: number }[];
  const late = rows.map((r) => r.s - r.p);
  const dur = rows.filter((r) => r.ok === 1).map((r) => r.d);
  return {
    runs: rows.length,
    failed: rows.filter((r) => r.ok !== 1).length,
    lateP50: median(late),
    lateP99: percentile(late, 99),
    lateMax: Math.max(...late),
    durP50: median(dur),
    durP99: percentile(dur, 99),
  };
}

async function scenario(monitors: number, targetUrl: string) {
  const dir = mkdtempSync(join(tmpdir(), 'halftime-rush-'));
  const lines = ['server: { title: Rush }', 'monitors:'];
  for (let i = 0; i < monitors; i++) lines.push(`  - { id: m${i}, name: "Monitor ${i}", public: true, every: 60s, steps: [{ url: "${targetUrl}/page/${i}" }] }`);
  const serve = await startServeOn(dir, lines.join('\n') + '\n');
  const base = serve.url;
  let peakRss = 0;
  const rssTimer = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, rssKb(serve.pid));
    } catch {
      // exited: the last sample stands
    }
  }, 500);
  try {
    await sleep(WARM_SECONDS * 1000);
    const skipped0 = await metric(base, 'halftime_scheduler_skipped_total');
    const quiet: Window = { from: Date.now(), to: Date.now() + SECONDS * 1000 };
    await sleep(SECONDS * 1000);
    const skipped1 = await metric(base, 'halftime_scheduler_skipped_total');
    const rushFrom = Date.now();
    const [page, series] = await Promise.all([blast(`${base}/`, PAGE_CLIENTS, SECONDS), blast(`${base}/api/monitors/m1/series?range=24h`, SERIES_CLIENTS, SECONDS)]);
    const rush: Window = { from: rushFrom, to: Date.now() };
    const skipped2 = await metric(base, 'halftime_scheduler_skipped_total');
    // Runs planned in the rush window: let the last of them finish and be written.
    await sleep(3_000);
    await serve.stop();
    const sqlite = new Database(serve.db, { readonly: true });
    const q = windowFigures(sqlite, quiet);
    const r = windowFigures(sqlite, rush);
    sqlite.close();
    return { monitors, q, r, skippedQuiet: skipped1 - skipped0, skippedRush: skipped2 - skipped1, page, series, peakRssMb: peakRss / 1024 };
  } finally {
    clearInterval(rssTimer);
    await serve.kill9();
    rmSync(dir, { recursive: true, force: true });
  }
}

const target = await startTargetServer();
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`load average at start: ${load()}; Node ${process.version}; ${SECONDS} s quiet then ${SECONDS} s rush per size, after ${WARM_SECONDS} s of warm-up`);
const results = [];
try {
  for (const n of SIZES) results.push(await scenario(n, target.url));
} finally {
  await target.close();
}
console.log(`load average at the end: ${load()}`);
console.log('');
console.log('| monitors | window | runs | lateness p50 / p99 / max (ms) | probe latency p50 / p99 (ms) | skipped | failed | `/` req/s (p99 ms) | series req/s (p99 ms, 503s) | peak RSS |');
console.log('|---:|---|---:|---|---|---:|---:|---|---|---:|');
for (const x of results) {
  const row = (name: string, w: WindowFigures, skipped: number, extra: string) =>
    console.log(`| ${x.monitors.toLocaleString('en')} | ${name} | ${w.runs} | ${fmt(w.lateP50, 0)} / ${fmt(w.lateP99, 0)} / ${fmt(w.lateMax, 0)} | ${fmt(w.durP50, 2)} / ${fmt(w.durP99, 2)} | ${skipped} | ${w.failed} | ${extra} |`);
  row('quiet', x.q, x.skippedQuiet, '– | – | –');
  row('rush', x.r, x.skippedRush, `${fmt(x.page.rps, 0)} (${x.page.p99}) | ${fmt(x.series.rps, 0)} (${x.series.p99}, ${x.series.shed}) | ${fmt(x.peakRssMb, 0)} MB`);
  if (x.page.errors + x.series.errors > 0) console.log(`(client errors or timeouts: / ${x.page.errors}, series ${x.series.errors})`);
}
