/**
 * The event loop while 200 monitors run and one target answers with a gzip bomb: the real
 * scheduler and journey runner, 200 monitors every BENCH_BOMB_EVERY against the bench target
 * (bench/target-server.ts, its own process) plus one monitor every BENCH_BOMB_EVERY against a
 * target (a child of this file) that sends 10 MB of gzip decoding to 10 GiB, with maxBodyBytes raised
 * to 256 MiB and a body check. Reports the event-loop delay (monitorEventLoopDelay, 10 ms
 * resolution) p50/p99/max, the scheduler's lateness and the runs completed.
 *
 * Env: BENCH_BOMB_SECONDS (20), BENCH_BOMB_MONITORS (200), BENCH_BOMB_EVERY (2000 ms).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { monitorSchema } from '../src/config/schema.js';
import { createJourneyRunner } from '../src/probes/journey.js';
import { warmUp } from '../src/probes/warm-up.js';
import { createScheduler, type Job } from '../src/scheduler/scheduler.js';
import { envNumber, fmt, percentile, startTargetServer } from './support.js';

const SELF = fileURLToPath(import.meta.url);

if (process.argv[2] === 'bomb-target') {
  // 640 gzip members of 16 MiB of zeros each, back to back (a valid multi-member gzip body): about
  // 10 MB on the wire that decode to 10 GiB. Made once, served to every request.
  const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
  const bomb = Buffer.concat(Array.from({ length: 640 }, () => member));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': bomb.length });
    res.end(bomb);
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port, bytes: bomb.length })));
  process.stdin.on('end', () => process.exit(0)).resume();
} else {
  const SECONDS = envNumber('BENCH_BOMB_SECONDS', 20);
  const MONITORS = Math.floor(envNumber('BENCH_BOMB_MONITORS', 200));
  const EVERY = envNumber('BENCH_BOMB_EVERY', 2000);
  process.setSourceMapsEnabled(false);
  const target = await startTargetServer();
  const bombProc = spawn(process.execPath, ['--import', 'tsx', SELF, 'bomb-target'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const bomb = JSON.parse(await new Promise<string>((resolve) => bombProc.stdout!.once('data', (d) => resolve(String(d))))) as { port: number; bytes: number };
  try {
    const monitors = [
      ...Array.from({ length: MONITORS }, (_, i) => monitorSchema.parse({ id: `m${i}`, name: `m${i}`, steps: [{ url: `${target.url}/`, expect: { status: 200, bodyContains: 'Welcome' } }] })),
      monitorSchema.parse({ id: 'bomb', name: 'bomb', steps: [{ url: `http://127.0.0.1:${bomb.port}/`, maxBodyBytes: 256 * 1024 * 1024, timeout: 30_000, expect: { bodyContains: 'never there' } }] }),
    ];
    console.log(`warm-up: ${JSON.stringify(await warmUp(monitors))}`);
    const outcomes = new Map<string, number>();
    const bombRuns: string[] = [];
    const jobs: Job[] = monitors.map((m) => {
      const runner = createJourneyRunner(m);
      return {
        id: m.id!,
        schedule: { every: EVERY },
        run: async (plannedAt, signal) => {
          const r = await runner.run({ plannedAt, signal });
          const key = r.ok ? 'ok' : r.failure!.code;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          if (m.id === 'bomb') bombRuns.push(`${r.failure?.code}: ${r.failure?.message} (${fmt(r.durationMs, 0)} ms)`);
        },
      };
    });
    const lateness: number[] = [];
    const scheduler = createScheduler(jobs, { onStart: (_id, late) => lateness.push(late) });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    scheduler.start();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    await scheduler.stop(35_000);
    delay.disable();
    const ms = (n: number) => fmt(n / 1e6, 1);
    console.log(`${MONITORS} monitors + 1 gzip bomb (${(bomb.bytes / 1e6).toFixed(1)} MB on the wire, maxBodyBytes 256 MiB), every ${EVERY} ms, ${SECONDS} s`);
    console.log(`event-loop delay: p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms`);
    console.log(`scheduler lateness: p50 ${fmt(percentile(lateness, 50), 0)} ms, p99 ${fmt(percentile(lateness, 99), 0)} ms, max ${fmt(Math.max(...lateness), 0)} ms over ${lateness.length} starts`);
    console.log(`runs: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    console.log(`bomb runs: ${bombRuns.slice(0, 3).join('; ')}`);
  } finally {
    bombProc.stdin!.end();
    bombProc.kill();
    await target.close();
  }
}
