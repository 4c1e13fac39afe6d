/**
 * Browser monitors beside HTTP monitors, as `halftime serve` runs them (its own process, the default
 * browser pool): BENCH_HTTP_MONITORS (200) HTTP monitors every 10 s against a local target, first
 * alone, then with BENCH_BROWSER_MONITORS (12) browser monitors every 2 s on the demo shop's
 * `/lab/ok` — more than the pool can run, so the browser runs stored per minute are the pool's
 * throughput. Each phase: BENCH_LATENESS_WARM (20 s) of warm-up, then BENCH_LATENESS_SECONDS (60).
 *
 * Reports the HTTP monitors' lateness p50/p99/max and recorded latency p50/p99 in each phase (from the
 * stored runs), browser runs per minute, and the serve process's peak RSS with its browsers.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startDemoApp } from '../examples/demo-app.js';
import { envNumber, fmt, median, percentile, startServeOn, startTargetServer } from './support.js';

const HTTP_MONITORS = Math.floor(envNumber('BENCH_HTTP_MONITORS', 200));
const BROWSER_MONITORS = Math.floor(envNumber('BENCH_BROWSER_MONITORS', 12));
const WARM = envNumber('BENCH_LATENESS_WARM', 20);
const SECONDS = envNumber('BENCH_LATENESS_SECONDS', 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS (kB) of a process and all its descendants (the browsers), from /proc. */
function treeRssKb(root: number): number {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const inTree = (pid: number): boolean => pid === root || (parent.has(pid) && pid !== 1 && inTree(parent.get(pid)!));
  let kb = 0;
  for (const pid of parent.keys()) {
    if (!inTree(pid)) continue;
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb;
}

async function phase(name: string, withBrowsers: boolean, targetUrl: string, demoUrl: string) {
  const dir = mkdtempSync(join(tmpdir(), 'halftime-blate-'));
  const lines = ['monitors:'];
  for (let i = 0; i < HTTP_MONITORS; i++) lines.push(`  - { id: h${i}, name: "HTTP ${i}", every: 10s, steps: [{ url: "${targetUrl}/page/${i}" }] }`);
  if (withBrowsers) for (let i = 0; i < BROWSER_MONITORS; i++) lines.push(`  - { id: b${i}, name: "Browser ${i}", browser: true, every: 2s, steps: [{ goto: "${demoUrl}/lab/ok" }, { expect: { title: Lab } }] }`);
  const serve = await startServeOn(dir, lines.join('\n') + '\n', 60_000);
  let peakKb = 0;
  const timer = setInterval(() => (peakKb = Math.max(peakKb, treeRssKb(serve.pid))), 1_000);
  try {
    await sleep(WARM * 1000);
    const from = Date.now();
    await sleep(SECONDS * 1000);
    const to = Date.now();
    await sleep(3_000);
    await serve.stop();
    const sqlite = new Database(serve.db, { readonly: true });
    type Row = { key: string; p: number; s: number; d: number; ok: number };
    const rows = sqlite.prepare('SELECT m.key, r.planned_at AS p, r.started_at AS s, r.duration_ms AS d, r.ok FROM runs r JOIN monitors m ON m.id = r.monitor_id WHERE r.planned_at >= ? AND r.planned_at < ?').all(from, to) as Row[];
    sqlite.close();
    const http = rows.filter((r) => r.key.startsWith('h'));
    const browser = rows.filter((r) => r.key.startsWith('b'));
    const late = http.map((r) => r.s - r.p);
    const dur = http.filter((r) => r.ok === 1).map((r) => r.d);
    return {
      name,
      http: http.length,
      httpFailed: http.filter((r) => r.ok !== 1).length,
      lateP50: median(late),
      lateP99: percentile(late, 99),
      lateMax: Math.max(...late),
      durP50: median(dur),
      durP99: percentile(dur, 99),
      browserPerMin: (browser.length / SECONDS) * 60,
      browserFailed: browser.filter((r) => r.ok !== 1).length,
      browserWall: median(browser.filter((r) => r.ok === 1).map((r) => r.d)),
      peakMb: peakKb / 1024,
    };
  } finally {
    clearInterval(timer);
    await serve.kill9();
    rmSync(dir, { recursive: true, force: true });
  }
}

const target = await startTargetServer();
const demo = await startDemoApp({ port: 0 });
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`load average at start: ${load()}; ${HTTP_MONITORS} HTTP monitors every 10 s; ${BROWSER_MONITORS} browser monitors every 2 s in the second phase; ${SECONDS} s measured after ${WARM} s`);
const out = [];
try {
  out.push(await phase('HTTP monitors alone', false, target.url, demo.url));
  out.push(await phase('with browser monitors', true, target.url, demo.url));
} finally {
  await demo.close();
  await target.close();
}
console.log(`load average at the end: ${load()}`);
console.log('');
console.log('| phase | HTTP runs (failed) | HTTP lateness p50 / p99 / max (ms) | HTTP latency p50 / p99 (ms) | browser runs per minute (failed) | browser run wall, median | peak RSS, serve + browsers |');
console.log('|---|---:|---|---|---:|---:|---:|');
for (const x of out)
  console.log(`| ${x.name} | ${x.http} (${x.httpFailed}) | ${fmt(x.lateP50, 0)} / ${fmt(x.lateP99, 0)} / ${fmt(x.lateMax, 0)} | ${fmt(x.durP50, 2)} / ${fmt(x.durP99, 2)} | ${x.browserPerMin ? `${fmt(x.browserPerMin, 0)} (${x.browserFailed})` : '–'} | ${x.browserWall ? `${fmt(x.browserWall, 0)} ms` : '–'} | ${fmt(x.peakMb, 0)} MB |`);
