/** Shared pieces of the benchmarks: helper processes (target server, canary) and plain statistics. */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServeChild, type ServeChild } from '../test/faults/ops-serve-child.js';

export type ServerStats = { requests: number; connections: number; cpuUserMs: number; cpuSystemMs: number };

export type TargetServer = {
  url: string;
  pid: number;
  stats(): Promise<ServerStats>;
  close(): Promise<void>;
};

const serverFile = fileURLToPath(new URL('./target-server.ts', import.meta.url));
const canaryFile = fileURLToPath(new URL('./canary.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Forks a bench helper script under tsx and waits for its `ready` message. */
async function forkHelper(file: string, timeoutMs: number): Promise<{ child: ChildProcess; ready: { port?: number } }> {
  const child: ChildProcess = fork(file, [], { cwd: repoRoot, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<{ port?: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${file} did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited early (code ${code})`));
    });
    child.on('message', function onReady(msg: { type?: string; port?: number }) {
      if (msg?.type !== 'ready') return;
      clearTimeout(timer);
      child.off('message', onReady);
      child.removeAllListeners('exit');
      resolve(msg);
    });
  });
  return { child, ready };
}

/** Asks a helper for its `stats` message. */
function askStats<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer a stats request`)), 5_000);
    child.on('message', function onStats(msg: { type?: string }) {
      if (msg?.type !== 'stats') return;
      clearTimeout(timer);
      child.off('message', onStats);
      resolve(msg as T);
    });
    child.send({ type: 'stats' });
  });
}

/** Lets a helper exit (it exits when its IPC channel closes); kills it if it has not after 5 s. */
function closeHelper(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.disconnect();
  });
}

/** Starts bench/target-server.ts in its own Node process and waits until it listens. */
export async function startTargetServer(timeoutMs = 15_000): Promise<TargetServer> {
  const { child, ready } = await forkHelper(serverFile, timeoutMs);
  if (typeof ready.port !== 'number') {
    await closeHelper(child);
    throw new Error('target server did not report its port');
  }
  return {
    url: `http://127.0.0.1:${ready.port}`,
    pid: child.pid!,
    stats: () => askStats<ServerStats>(child, 'target server'),
    close: () => closeHelper(child),
  };
}

export type CanaryStats = { ticks: number; p50: number; p99: number; max: number };

/** Starts bench/canary.ts: an idle process measuring its own 10 ms timer lateness (the machine's share). */
export async function startCanary(timeoutMs = 15_000): Promise<{ stats(): Promise<CanaryStats>; close(): Promise<void> }> {
  const { child } = await forkHelper(canaryFile, timeoutMs);
  return { stats: () => askStats<CanaryStats>(child, 'canary'), close: () => closeHelper(child) };
}

/** Exact percentile (nearest rank) of unsorted values; `p` in [0, 100]. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const fmt = (n: number, digits = 3) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Reads a positive number from the environment, or the default; rejects nonsense clearly. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${JSON.stringify(raw)})`);
  return n;
}

export const gc = () => (globalThis as { gc?: () => void }).gc?.();

/**
 * Milliseconds this process's main thread has spent runnable but waiting for a CPU (Linux
 * /proc/self/schedstat, second field); undefined elsewhere. On a busy machine this is the part of
 * any lateness that comes from other processes, not from our own work.
 */
export function runQueueWaitMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/);
    const ns = Number(fields[1]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `halftime serve`, as users run it, in its own process: `yaml` as its config and a fresh SQLite file,
 * both in `dir`, on a free port; resolves once it prints its start line (a big config takes a while).
 */
export async function startServeOn(dir: string, yaml: string, timeoutMs = 120_000): Promise<ServeChild & { url: string; db: string }> {
  const config = join(dir, 'halftime.yaml');
  const db = join(dir, 'halftime.db');
  writeFileSync(config, yaml);
  const serve = await startServeChild(['--config', config, '--db', db, '--port', '0'], { cwd: dir, env: { HALFTIME_ADMIN_PASSWORD: 'bench password, long enough' }, timeoutMs });
  if (!serve.url) throw new Error(`serve exited before it started: ${serve.stderr()}`);
  return Object.assign(serve, { url: serve.url, db });
}
