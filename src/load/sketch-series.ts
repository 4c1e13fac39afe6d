/**
 * Per-second series from latency sketches: one DDSketch per second (overall and per step) that is
 * turned into a point and merged into the run's totals when the second closes. Memory stays bounded
 * by the number of distinct steps, never by the number of requests.
 */
import { createSketch, nearestRank, RELATIVE_ACCURACY, type Sketch } from '../store/sketch.js';

/** Relative accuracy of every percentile we report (1 %). */
export const SKETCH_ACCURACY = RELATIVE_ACCURACY;
/** Distinct step names kept apart; more go to "(other steps)". */
export const MAX_STEPS = 64;
const OTHER = '(other steps)';

export type StepStats = { name: string; poll: boolean; count: number; errors: number; p50: number | null; p95: number | null; p99: number | null; max: number | null };

export type SeriesPoint = {
  /** Seconds since the start (the second this point covers is [t, t+1)). */
  t: number;
  /** Simulated users running at the end of the second. */
  users: number;
  /** Open model: arrival rate planned for this second. */
  rate?: number;
  requests: number;
  errors: number;
  /** Background poll requests (also in `requests`). */
  polls: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  steps: StepStats[];
};

type Acc = { sketch: Sketch; count: number; errors: number; max: number; poll: boolean };

const newAcc = (poll = false): Acc => ({ sketch: createSketch(), count: 0, errors: 0, max: 0, poll });

function accept(a: Acc, ms: number, ok: boolean) {
  a.sketch.accept(Math.max(ms, 0.001));
  a.count++;
  if (!ok) a.errors++;
  if (ms > a.max) a.max = ms;
}

/** The nearest-rank percentile (lang/percentile.ts), as everywhere else in halftime. */
const q = (a: Acc, p: number) => (a.count > 0 ? nearestRank(a.sketch, p) : null);

function stats(name: string, a: Acc): StepStats {
  return { name, poll: a.poll, count: a.count, errors: a.errors, p50: q(a, 0.5), p95: q(a, 0.95), p99: q(a, 0.99), max: a.count ? a.max : null };
}

function merge(into: Acc, from: Acc) {
  if (from.count === 0) return;
  into.sketch.merge(from.sketch);
  into.count += from.count;
  into.errors += from.errors;
  into.max = Math.max(into.max, from.max);
}

export type Totals = {
  overall: StepStats & { sum: number };
  steps: StepStats[];
  polls: number;
  /** Nearest-rank percentile (0 < p ≤ 1) of all requests (overall) or of one step. */
  quantile(p: number, step?: string): number | null;
};

export type Recorder = {
  /** A request finished: `ms` counted from its intended start. */
  record(step: string, ms: number, ok: boolean, poll?: boolean): void;
  /** Closes the current second (call once per second, and once at the end). */
  closeSecond(users: number, rate?: number): SeriesPoint;
  totals(): Totals;
};

export function createRecorder(): Recorder {
  let second = 0;
  let cur = newAcc();
  let curPolls = 0;
  let curSteps = new Map<string, Acc>();
  const total = newAcc();
  let totalSum = 0;
  let totalPolls = 0;
  const totalSteps = new Map<string, Acc>();
  const known = new Set<string>();

  return {
    record(step, ms, ok, poll = false) {
      let name = step;
      if (!known.has(name)) {
        if (known.size >= MAX_STEPS) name = OTHER;
        known.add(name);
      }
      accept(cur, ms, ok);
      totalSum += ms;
      if (poll) curPolls++;
      let s = curSteps.get(name);
      if (!s) curSteps.set(name, (s = newAcc(poll)));
      accept(s, ms, ok);
    },
    closeSecond(users, rate) {
      const point: SeriesPoint = {
        t: second++,
        users,
        rate,
        requests: cur.count,
        errors: cur.errors,
        polls: curPolls,
        p50: q(cur, 0.5),
        p95: q(cur, 0.95),
        p99: q(cur, 0.99),
        max: cur.count ? cur.max : null,
        steps: [...curSteps.entries()].map(([n, a]) => stats(n, a)),
      };
      merge(total, cur);
      totalPolls += curPolls;
      for (const [n, a] of curSteps) {
        let t = totalSteps.get(n);
        if (!t) totalSteps.set(n, (t = newAcc(a.poll)));
        merge(t, a);
      }
      cur = newAcc();
      curPolls = 0;
      curSteps = new Map();
      return point;
    },
    totals() {
      return {
        overall: { ...stats('all requests', total), sum: totalSum },
        steps: [...totalSteps.entries()].map(([n, a]) => stats(n, a)),
        polls: totalPolls,
        quantile(quantile, step) {
          const a = step === undefined ? total : totalSteps.get(step);
          return a ? q(a, quantile) : null;
        },
      };
    },
  };
}
