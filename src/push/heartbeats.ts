/**
 * Heartbeat (push) monitors: a job that runs on its own pings halftime's secret URL; each ping
 * becomes a stored run, and a ping that does not come within `every + grace` becomes a failed run
 * (code `missed`) at its deadline, so history, state, incidents and alerts work as for any monitor.
 *
 * The deadlines are kept here, on the main thread, not in the measuring thread's scheduler: the pings
 * arrive here (web) and the last ones are read from the store here, so the deadline lives where it
 * changes — no message per ping to another thread, and no race between a ping on its way there and
 * a deadline firing there. A missed deadline is not a latency measurement, so the main loop's few
 * milliseconds of lag cannot distort any figure (which is what the measuring thread guards against).
 */
import { checkStep, oneStepRun } from '../probes/checks/one-step.js';
import type { Evidence, RunResult } from '../probes/types.js';

export type HeartbeatMonitor = { key: string; every: number; grace: number };

export type PingInput = { ok: boolean; message?: string; durationMs?: number };

export type HeartbeatOptions = {
  monitors: HeartbeatMonitor[];
  /** Each run made from a ping or a missed deadline (write it and judge it, like a probe's run). */
  onRun(run: RunResult): void;
  now?: () => number;
  /** The last ping of each monitor before a restart (from the store). */
  lastPings?: Map<string, number>;
  /** Timers (default setTimeout); tests drive `check(now)` themselves instead. */
  timers?: boolean;
  /**
   * The newest ping of each monitor as the store has it, read before each deadline is judged: with
   * several nodes a ping may have arrived at another one.
   */
  refresh?: () => Promise<Map<string, number>>;
  /** A failed `refresh` (deadlines are then judged on the pings this node saw). */
  onRefreshError?: (err: unknown) => void;
};

export type Heartbeats = {
  /** A ping arrived for `key` (a heartbeat monitor): stores its run, moves the deadline. Returns the run. */
  ping(key: string, input: PingInput, at?: number): RunResult | undefined;
  /** Records every deadline passed by `at` as a missed run (the timer calls it; tests call it with their own clock). */
  check(at?: number): RunResult[];
  /** Takes in pings seen elsewhere (newest per monitor): a newer one moves the deadline. */
  sync(lastPings: Map<string, number>): void;
  /** When the next ping of `key` is due (epoch ms). */
  due(key: string): number | undefined;
  has(key: string): boolean;
  start(): void;
  stop(): void;
};

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

function span(ms: number): string {
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1_000, 's']];
  for (const [u, n] of units) if (ms >= u && ms % u === 0) return `${ms / u}${n}`;
  return `${ms} ms`;
}

/** Longest single timer: setTimeout cannot wait more than about 24.8 days, and a clock jump is caught sooner. */
const MAX_WAIT = 3_600_000;

export function createHeartbeats(opts: HeartbeatOptions): Heartbeats {
  const now = opts.now ?? Date.now;
  const byKey = new Map(opts.monitors.map((m) => [m.key, m]));
  const state = new Map<string, { due: number; last: number | null }>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;

  // After a restart a job is due by its last ping + every + grace, but never before `grace` has passed
  // since the start (pings sent while halftime was down were lost, not missed); a job that never
  // pinged gets a whole interval.
  const t0 = now();
  for (const m of opts.monitors) {
    const last = opts.lastPings?.get(m.key) ?? null;
    state.set(m.key, { due: last === null ? t0 + m.every + m.grace : Math.max(last + m.every + m.grace, t0 + m.grace), last });
  }

  const arm = () => {
    if (!running) return;
    if (timer) clearTimeout(timer);
    let next = Infinity;
    for (const s of state.values()) next = Math.min(next, s.due);
    if (next === Infinity) return;
    timer = setTimeout(() => void judge(), Math.min(MAX_WAIT, Math.max(0, next - now())));
    timer.unref();
  };

  function missed(m: HeartbeatMonitor, due: number, last: number | null): RunResult {
    const message = `no ping within ${span(m.every)} + ${span(m.grace)} grace (due ${iso(due)}; ${last === null ? 'no ping yet' : `last ping ${iso(last)}`})`;
    const evidence: Evidence[] = [{ what: 'ping', expected: `by ${iso(due)}`, actual: last === null ? 'none yet' : `last at ${iso(last)}`, pass: false }];
    return oneStepRun(m.key, due, checkStep({ name: 'ping', method: 'PUSH', url: 'push', startedAt: due, evidence, failure: { code: 'missed', message } }), 0);
  }

  function sync(lastPings: Map<string, number>) {
    for (const [key, at] of lastPings) {
      const m = byKey.get(key);
      const s = state.get(key);
      if (!m || !s || (s.last !== null && s.last >= at)) continue;
      s.last = at;
      s.due = Math.max(s.due, at + m.every + m.grace);
    }
  }

  async function judge() {
    if (opts.refresh) {
      try {
        sync(await opts.refresh());
      } catch (err) {
        opts.onRefreshError?.(err);
      }
    }
    if (!running) return;
    check();
    arm();
  }

  function check(at = now()): RunResult[] {
    const out: RunResult[] = [];
    for (const [key, s] of state) {
      if (s.due > at) continue;
      const m = byKey.get(key)!;
      out.push(missed(m, s.due, s.last));
      // One failed run per missed interval; after a long pause (a suspended machine) one stands for them all.
      s.due += m.every;
      if (s.due <= at) s.due = at + m.every;
    }
    for (const r of out) opts.onRun(r);
    return out;
  }

  return {
    ping(key, input, at = now()) {
      const m = byKey.get(key);
      const s = state.get(key);
      if (!m || !s) return undefined;
      const late = at > s.due;
      const evidence: Evidence[] = [{ what: 'ping', expected: `by ${iso(s.due)}`, actual: `at ${iso(at)}${late ? ' (late)' : ''}`, pass: true }];
      if (!input.ok) evidence.push({ what: 'job status', expected: 'ok', actual: input.message ? `fail: ${input.message}` : 'fail', pass: false });
      const failure = input.ok ? undefined : ({ code: 'reported', message: input.message ? `the job reported a failure: ${input.message}` : 'the job reported a failure' } as const);
      const duration = input.durationMs ?? 0;
      const step = checkStep({ name: 'ping', method: 'PUSH', url: 'push', startedAt: at, evidence, timings: { total: duration }, ...(failure ? { failure } : {}) });
      const run = oneStepRun(key, at, step, duration);
      s.last = at;
      s.due = at + m.every + m.grace;
      opts.onRun(run);
      arm();
      return run;
    },
    check,
    sync(lastPings) {
      sync(lastPings);
      arm();
    },
    due: (key) => state.get(key)?.due,
    has: (key) => byKey.has(key),
    start() {
      if (running || opts.timers === false) return;
      running = true;
      arm();
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
    },
  };
}
