/** `halftime load <monitor>`: a burst load check on demand, with a live progress line and CI exit codes. */
import { ConfigError, EXAMPLE_CONFIG_PATH } from '../config/read.js';
import { loadConfigFile } from '../configure.js';
import { acquireBurstLock, BurstLocked, type BurstLock } from '../load/lock.js';
import { runBurstAndStore } from '../load/run.js';
import { BurstConfigError, resolveBurst, type BurstOverrides } from '../load/from-config.js';
import { BurstRefused } from '../load/safety.js';
import { describePlan } from '../load/shapes.js';
import type { SeriesPoint } from '../load/sketch-series.js';
import type { BurstSummary } from '../load/types.js';
import { samplesNote } from '../lang/percentile.js';
import type { DemoApp } from '../../examples/demo-app.js';
import { openStore } from '../store/index.js';
import { EXIT } from './exit-codes.js';

export type LoadCliOptions = {
  config?: string;
  demo?: boolean;
  db?: string;
  store: boolean;
  json?: boolean;
  model?: string;
  users?: string;
  spawnRate?: string;
  duration?: string;
  shape?: string;
  stepUsers?: string;
  stepEvery?: string;
  spikeUsers?: string;
  spikeAt?: string;
  spikeFor?: string;
  arrivalRate?: string;
  rampTo?: string;
  maxUsers?: string;
  think?: string;
  pollUrl?: string;
  pollEvery?: string;
  threshold?: string[];
  abortOnErrors?: string;
};

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

/** Command-line values as raw config input; the schema validates them (and names the flag on error). */
export function overridesFrom(o: LoadCliOptions): BurstOverrides {
  const think = o.think === undefined ? undefined : o.think.includes('-') ? { min: o.think.split('-')[0], max: o.think.split('-')[1] } : o.think;
  return {
    model: o.model,
    users: num(o.users),
    spawnRate: num(o.spawnRate),
    duration: o.duration,
    shape: o.shape,
    step: o.stepUsers !== undefined || o.stepEvery !== undefined ? { users: num(o.stepUsers), every: o.stepEvery } : undefined,
    spike: o.spikeUsers !== undefined || o.spikeAt !== undefined || o.spikeFor !== undefined ? { users: num(o.spikeUsers), at: o.spikeAt ?? 0, for: o.spikeFor } : undefined,
    arrivalRate: num(o.arrivalRate),
    rampTo: num(o.rampTo),
    maxUsers: num(o.maxUsers),
    thinkTime: think,
    poll: o.pollUrl !== undefined ? { url: o.pollUrl, every: o.pollEvery ?? '5s' } : undefined,
    thresholds: o.threshold?.length ? o.threshold : undefined,
    abortOnErrorRate: o.abortOnErrors,
  };
}

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
const pct = (n: number, d: number) => (d === 0 ? '0%' : `${+((n / d) * 100).toFixed(2)}%`);

/** `2 iterations (2 requests in flight, not counted)`. */
export function cutOffText(c: BurstSummary['cutOff']): string {
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  return `${n(c.iterations, 'iteration')} (${n(c.requests, 'request')} in flight, not counted)`;
}

export function progressLine(p: SeriesPoint): string {
  return `${String(p.t + 1).padStart(4)} s  users ${String(p.users).padStart(5)}  ${String(p.requests).padStart(6)} req/s  p50 ${ms(p.p50).padStart(7)}  p95 ${ms(p.p95).padStart(7)}  p99 ${ms(p.p99).padStart(7)}  errors ${pct(p.errors, p.requests)}`;
}

export function formatSummary(name: string, s: BurstSummary): string {
  const lines = [
    `halftime load ${name} — ${describePlan(s.plan)}`,
    `  ${s.stopReason === 'completed' ? 'completed' : `STOPPED: ${s.stopMessage}`} after ${(s.durationMs / 1000).toFixed(1)} s; peak ${s.peakUsers} users`,
    `  ${s.requests} requests${s.polls ? ` (${s.polls} background polls)` : ''}, ${s.rps.toFixed(1)} req/s, ${s.iterations} iterations, errors ${pct(s.errors, s.requests)} (${s.errors})${s.dropped ? `, ${s.dropped} arrivals dropped (no free user)` : ''}`,
    ...(s.cutOff?.iterations || s.cutOff?.requests ? [`  cut off by the end: ${cutOffText(s.cutOff)}`] : []),
    ...(s.userSteps ? [`  users: ${s.userSteps.setup} set up (${s.userSteps.setupFailed} failed), ${s.userSteps.teardown} torn down (${s.userSteps.teardownFailed} failed)`] : []),
    `  p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  max ${ms(s.max)}${samplesNote(s.requests)}   (generator lag p99 ${ms(s.generatorLag.p99)})`,
    `  knee: ${s.knee.sentence}`,
    '',
    `  ${'step'.padEnd(28)} ${'requests'.padStart(9)} ${'errors'.padStart(8)} ${'p50'.padStart(9)} ${'p95'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)}`,
    ...s.steps.map(
      (x) =>
        `  ${(x.name + (x.poll ? ' (poll)' : '')).slice(0, 28).padEnd(28)} ${String(x.count).padStart(9)} ${pct(x.errors, x.count).padStart(8)} ${ms(x.p50).padStart(9)} ${ms(x.p95).padStart(9)} ${ms(x.p99).padStart(9)} ${ms(x.max).padStart(9)}`,
    ),
  ];
  if (s.failures.length) lines.push('', '  failures:', ...s.failures.slice(0, 5).map((f) => `    ${f.count} × ${f.message}`));
  if (s.thresholds.length) lines.push('', '  thresholds:', ...s.thresholds.map((t) => `    ${t.pass ? 'pass' : 'FAIL'}  ${t.threshold.padEnd(20)} actual ${t.actual} (want ${t.expected})`));
  return lines.join('\n') + '\n';
}

export async function loadCommand(target: string, o: LoadCliOptions) {
  const configPath = o.config ?? EXAMPLE_CONFIG_PATH;
  let loaded;
  let resolved;
  try {
    loaded = loadConfigFile(configPath);
    resolved = resolveBurst(loaded.config, target, overridesFrom(o), configPath);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof BurstRefused || err instanceof BurstConfigError) {
      process.stderr.write(`halftime load: ${err.message}\n`);
      process.exit(EXIT.usage);
    }
    throw err;
  }
  // One burst at a time per database: a server (or another `halftime load`) on it may be running one.
  let lock: BurstLock;
  try {
    lock = acquireBurstLock(o.db ?? loaded.config.storage.path, `halftime load ${resolved.name}`);
  } catch (err) {
    if (!(err instanceof BurstLocked)) throw err;
    process.stderr.write(`halftime load: ${err.message}\n`);
    process.exit(EXIT.usage);
  }
  let demo: DemoApp | undefined;
  if (o.demo ?? !o.config) {
    // The embedded example points at the demo shop; start it unless it is already running.
    const { startDemoApp } = await import('../../examples/demo-app.js');
    demo = await startDemoApp({ port: 3100 }).catch(() => undefined);
  }
  // Load runs only: the monitor list belongs to the server (if one runs on this database).
  const store = o.store ? await openStore(o.db ?? loaded.config.storage.path, null) : undefined;
  const loadRuns = store?.loadRuns;
  const tty = process.stderr.isTTY;
  process.stderr.write(`halftime load ${resolved.name}: ${describePlan(resolved.plan)}\n`);
  const ctl = new AbortController();
  const onSignal = () => {
    process.stderr.write('\nstopping the burst…\n');
    ctl.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result;
  try {
    result = await runBurstAndStore(resolved, {
      loadRuns,
      trigger: 'cli',
      signal: ctl.signal,
      redact: loaded.redact,
      onPoint: (p) => {
        if (tty) process.stderr.write(`\r\x1b[2K${progressLine(p)}`);
        else if ((p.t + 1) % 5 === 0) process.stderr.write(progressLine(p) + '\n');
      },
      onStoreError: (err) => process.stderr.write(`\nhalftime load: could not store the run: ${(err as Error).message}\n`),
    });
  } catch (err) {
    process.stderr.write(`\nhalftime load: the burst failed: ${loaded.redact((err as Error).message)}\n`);
    process.exitCode = EXIT.failed;
    return;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lock.release();
    await store?.close();
    await demo?.close();
  }
  if (tty) process.stderr.write('\n');
  const { summary, runId } = result;
  if (o.json) process.stdout.write(JSON.stringify({ runId, ...summary }) + '\n');
  else process.stdout.write(formatSummary(resolved.name, summary) + (runId !== undefined ? `\n  stored as load run #${runId} (/admin/load-runs/${runId})\n` : ''));
  const failed = summary.stopReason === 'errors' || summary.thresholds.some((t) => !t.pass);
  process.exitCode = failed ? EXIT.failed : EXIT.ok;
}
