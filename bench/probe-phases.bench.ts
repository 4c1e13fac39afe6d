/**
 * Connect, TTFB and total of a fresh-connection request, as halftime reports them, side by side
 * with bare undici (its own diagnostics-channel timings), a bare net.connect and curl, against the
 * same local target (bench/target-server.ts, in its own process). Figures go to bench/README.md.
 *
 * Two ways of running halftime, both measured:
 *   compiled  the TypeScript built with tsc into a temp folder, run by plain node (no source maps),
 *             as the Docker image runs it;
 *   tsx       `node --import tsx`, source maps on, as `npm start` runs it without a build.
 * Each round runs one child process per way (bench/probe-phases-child.ts; the order alternates)
 * and BENCH_PHASES_CURL curl requests; the figures are medians per round, then the median over
 * rounds.
 *
 * A second target sends its status line at once and the rest of its headers 47 ms later: there
 * TTFB must be the first byte, as curl's starttransfer − pretransfer is.
 *
 * Env: BENCH_PHASES_ROUNDS (5), BENCH_PHASES_REQUESTS (300 per side per child), BENCH_PHASES_WARMUP
 * (100), BENCH_PHASES_CURL (100 per round), BENCH_PHASES_COMPILED (1; 0 skips the build).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envNumber, fmt, median, startTargetServer } from './support.js';

const ROUNDS = Math.floor(envNumber('BENCH_PHASES_ROUNDS', 5));
const REQUESTS = Math.floor(envNumber('BENCH_PHASES_REQUESTS', 300));
const WARMUP = Math.floor(envNumber('BENCH_PHASES_WARMUP', 100));
const CURLS = Math.floor(envNumber('BENCH_PHASES_CURL', 100));
const COMPILED = process.env.BENCH_PHASES_COMPILED !== '0';
const TARGET_RATIO = 1.2;
const root = fileURLToPath(new URL('..', import.meta.url));

type Figures = { connect: number; ttfb: number; total: number; wall: number };
type ChildResult = { sourceMaps: boolean; warmUpMs: number; halftime: Figures; undici: Figures; net: { connect: number }; split: { halftime: number; undici: number }; failures: number };

/** Builds src and the child with tsc into a temp folder (no source maps), as the production build does. */
function buildCompiled(): { dir: string; child: string } {
  const dir = mkdtempSync(join(tmpdir(), 'halftime-probe-bench-'));
  const tsconfig = join(dir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { rootDir: root, outDir: join(dir, 'out'), sourceMap: false, noEmit: false, typeRoots: [join(root, 'node_modules/@types')], noCheck: true },
      include: [join(root, 'src'), join(root, 'bench/probe-phases-child.ts')],
    }),
  );
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { stdio: 'inherit' });
    // The compiled files import packages by name: resolve them from the repository's node_modules.
    symlinkSync(join(root, 'node_modules'), join(dir, 'out', 'node_modules'));
    writeFileSync(join(dir, 'out', 'package.json'), JSON.stringify({ type: 'module' }));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, child: join(dir, 'out', 'bench', 'probe-phases-child.js') };
}

function runChild(args: string[]): ChildResult {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000, cwd: root });
  if (r.status !== 0) throw new Error(`child failed (${args.join(' ')}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

function curlRound(url: string, count = CURLS): { connect: number; ttfb: number; total: number } {
  const c: number[] = [];
  const t: number[] = [];
  const all: number[] = [];
  for (let i = 0; i < count; i++) {
    const out = execFileSync('curl', ['-s', '-o', '/dev/null', '-H', 'accept-encoding: gzip, deflate, br', '-w', '%{time_namelookup} %{time_connect} %{time_pretransfer} %{time_starttransfer} %{time_total}', url], { encoding: 'utf8' });
    const [lookup, connect, pre, start, total] = out.trim().split(' ').map((x) => Number(x) * 1000);
    c.push(connect - lookup);
    t.push(start - pre);
    all.push(total);
  }
  return { connect: median(c), ttfb: median(t), total: median(all) };
}

const hasCurl = spawnSync('curl', ['--version']).status === 0;
const server = await startTargetServer();
const url = `${server.url}/`;
// The split-header target, in a process of its own (this one waits in spawnSync meanwhile).
const splitProc = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/probe-phases-child.ts'), 'serve-split'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
const splitUrl = `http://127.0.0.1:${await new Promise<string>((resolve) => splitProc.stdout!.once('data', (d) => resolve(String(d).trim())))}/`;
const build = COMPILED ? buildCompiled() : undefined;
const childArgs = [url, splitUrl, String(REQUESTS), String(WARMUP)];
const modes: { name: string; args: string[] }[] = [
  ...(build ? [{ name: 'compiled (node, no source maps)', args: [build.child, ...childArgs] }] : []),
  { name: 'tsx (source maps on, as npm start)', args: ['--import', 'tsx', join(root, 'bench/probe-phases-child.ts'), ...childArgs] },
];
const results: Record<string, ChildResult[]> = {};
const curls: { connect: number; ttfb: number; total: number }[] = [];
const curlSplit: number[] = [];
try {
  console.log(`target ${url} (pid ${server.pid}); ${ROUNDS} rounds; per child ${REQUESTS} fresh-connection requests per side after ${WARMUP} warm-up; curl ${CURLS} per round`);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? modes : [...modes].reverse();
    for (const m of order) {
      const res = runChild(m.args);
      (results[m.name] ??= []).push(res);
      console.log(`round ${r + 1} ${m.name}: halftime connect ${fmt(res.halftime.connect)} ttfb ${fmt(res.halftime.ttfb)} wall ${fmt(res.halftime.wall)} | undici connect ${fmt(res.undici.connect)} ttfb ${fmt(res.undici.ttfb)} wall ${fmt(res.undici.wall)} | net.connect ${fmt(res.net.connect)}${res.failures ? ` | ${res.failures} FAILED` : ''}`);
    }
    if (hasCurl) {
      const c = curlRound(url);
      curls.push(c);
      const split = curlRound(splitUrl, Math.max(5, Math.floor(CURLS / 10)));
      curlSplit.push(split.ttfb);
      console.log(`round ${r + 1} curl: connect ${fmt(c.connect)} ttfb ${fmt(c.ttfb)} total ${fmt(c.total)}; split-header target ttfb ${fmt(split.ttfb)}`);
    }
  }

  const med = (xs: number[]) => median(xs);
  console.log(`\nmedians over rounds, ms per request (fresh connection each); target: halftime ≤ ${TARGET_RATIO}× bare undici`);
  console.log('| run as | figure | halftime | bare undici | halftime ÷ undici | net.connect | curl | target |');
  console.log('|---|---|---:|---:|---:|---:|---:|---|');
  const c = hasCurl ? { connect: med(curls.map((x) => x.connect)), ttfb: med(curls.map((x) => x.ttfb)), total: med(curls.map((x) => x.total)) } : undefined;
  let failed = 0;
  for (const [name, list] of Object.entries(results)) {
    const h = (k: keyof Figures) => med(list.map((x) => x.halftime[k]));
    const u = (k: keyof Figures) => med(list.map((x) => x.undici[k]));
    const rows: [string, number, number, string, string][] = [
      ['connect', h('connect'), u('connect'), fmt(med(list.map((x) => x.net.connect))), c ? fmt(c.connect) : '–'],
      ['TTFB', h('ttfb'), u('ttfb'), '–', c ? fmt(c.ttfb) : '–'],
      ['total (request started to last byte)', h('total'), u('total'), '–', c ? fmt(c.total) : '–'],
      ['wall per fresh request (session/Agent made and closed)', h('wall'), u('wall'), '–', '–'],
    ];
    for (const [figure, hv, uv, net, curl] of rows) {
      const ratio = hv / uv;
      const ok = ratio <= TARGET_RATIO;
      if (!ok) failed++;
      console.log(`| ${name} | ${figure} | ${fmt(hv)} | ${fmt(uv)} | ${fmt(ratio, 2)}× | ${net} | ${curl} | ${ok ? 'met' : 'MISSED'} |`);
    }
    const fails = list.reduce((a, x) => a + x.failures, 0);
    if (fails) {
      console.error(`${name}: ${fails} requests failed: the figures are not valid`);
      process.exitCode = 1;
    }
  }
  if (failed) console.log(`${failed} figure(s) above the ${TARGET_RATIO}× target`);
  console.log('\nsplit-header target (status line at once, the rest of the headers 47 ms later): TTFB, ms');
  console.log('| run as | halftime TTFB (first byte) | bare undici (request written → headers parsed) | curl starttransfer − pretransfer |');
  console.log('|---|---:|---:|---:|');
  for (const [name, list] of Object.entries(results))
    console.log(`| ${name} | ${fmt(med(list.map((x) => x.split.halftime)))} | ${fmt(med(list.map((x) => x.split.undici)))} | ${curlSplit.length ? fmt(med(curlSplit)) : '–'} |`);
} finally {
  splitProc.stdin!.end();
  splitProc.kill();
  await server.close();
  if (build) rmSync(build.dir, { recursive: true, force: true });
}
