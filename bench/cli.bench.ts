/**
 * Start-up cost of the command line: `halftime validate` on the embedded example (target < 1 s wall)
 * and what `halftime run` adds to the journey's own time (target < 1 s), for the compiled build that
 * `npx halftime` and `npm start` run, side by side with a bare `node -e 0` (the floor) and with the
 * TypeScript sources through tsx (what ran before, with tsx's cache warm and with it off).
 * Rounds alternate between the cases, so a busy moment hits them all alike. Bounded: ROUNDS × cases.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoApp } from '../examples/demo-app.js';
import { EXAMPLE_CONFIG_PATH } from '../src/config/read.js';
import { tempDir } from '../test/helpers.js';
// @ts-expect-error plain JavaScript module without types
import { buildState } from '../scripts/build-state.mjs';
import { median } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 11);

/** Wall time from spawn to exit, and the child's CPU time (user + system, through /usr/bin/time: less sensitive to a busy machine). */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; cpuMs: number; code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', cmd, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      if (!cpu) return reject(new Error(`no CPU time from /usr/bin/time: ${stderr}`));
      resolve({ ms: performance.now() - t0, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000, code, stdout });
    });
  });
}

/** "PASSED: 8 steps in 42 ms" → 42 (the journey's own time as the run reports it). */
function journeyMs(out: string): number {
  const m = /PASSED: \d+ steps? in ([\d.]+) (ms|s)/.exec(out);
  if (!m) throw new Error(`no PASSED line in:\n${out}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

if (!buildState(ROOT).fresh) {
  console.log('dist/ is stale or missing: building it first (npm run build)');
  await timed(process.execPath, ['scripts/build.mjs']);
}

const demo = await startDemoApp({ port: 0, delays: false });
const tmp = tempDir('halftime-cli-bench-');
const config = join(tmp.dir, 'halftime.yaml');
writeFileSync(config, readFileSync(EXAMPLE_CONFIG_PATH, 'utf8').replaceAll('http://127.0.0.1:3100', demo.url));
const node = process.execPath;
const runArgs = ['run', 'shopper', '--no-think', '--seed', '6', '--config', config];

type Case = { name: string; cmd: string; args: string[]; env?: NodeJS.ProcessEnv; journey?: boolean };
const cases: Case[] = [
  { name: 'node -e 0 (floor)', cmd: node, args: ['-e', '0'] },
  { name: 'validate: node bin/halftime.js (compiled)', cmd: node, args: ['bin/halftime.js', 'validate'] },
  { name: 'validate: npx halftime (compiled)', cmd: 'npx', args: ['halftime', 'validate'] },
  { name: 'validate: sources through tsx, cache warm', cmd: node, args: ['--import', 'tsx', 'src/cli/index.ts', 'validate'] },
  { name: 'validate: sources through tsx, no cache', cmd: node, args: ['--import', 'tsx', 'src/cli/index.ts', 'validate'], env: { TSX_DISABLE_CACHE: '1' } },
  { name: 'run shopper: node bin/halftime.js (compiled)', cmd: node, args: ['bin/halftime.js', ...runArgs], journey: true },
  { name: 'run shopper: sources through tsx, cache warm', cmd: node, args: ['--import', 'tsx', 'src/cli/index.ts', ...runArgs], journey: true },
  { name: 'run shopper: sources through tsx, no cache', cmd: node, args: ['--import', 'tsx', 'src/cli/index.ts', ...runArgs], env: { TSX_DISABLE_CACHE: '1' }, journey: true },
];

const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const cpu = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const added = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const journeys = new Map<string, number[]>(cases.map((c) => [c.name, []]));
try {
  for (const c of cases) await timed(c.cmd, c.args, c.env); // warm-up: disk cache, tsx cache
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const r = await timed(c.cmd, c.args, c.env);
      wall.get(c.name)!.push(r.ms);
      cpu.get(c.name)!.push(r.cpuMs);
      if (c.journey) {
        const j = journeyMs(r.stdout);
        journeys.get(c.name)!.push(j);
        added.get(c.name)!.push(r.ms - j);
      }
    }
  }
} finally {
  await demo.close();
  tmp.cleanup();
}

const f = (ms: number) => `${Math.round(ms)} ms`;
console.log(`\n${ROUNDS} rounds, Node ${process.version}, ${(await import('node:os')).cpus().length} cores, load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
console.log('| command | wall p50 | min | max | CPU p50 | journey p50 | added p50 |');
console.log('|---|---|---|---|---|---|---|');
for (const c of cases) {
  const w = wall.get(c.name)!;
  const j = journeys.get(c.name)!;
  const a = added.get(c.name)!;
  console.log(`| ${c.name} | **${f(median(w))}** | ${f(Math.min(...w))} | ${f(Math.max(...w))} | ${f(median(cpu.get(c.name)!))} | ${j.length ? f(median(j)) : ''} | ${a.length ? `**${f(median(a))}**` : ''} |`);
}
