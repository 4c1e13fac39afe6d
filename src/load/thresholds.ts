/** Evaluates a burst's thresholds (parsed by lang/threshold) against its summary, keeping the actual values as evidence. */
import { QUANTILES, type Op, type Threshold } from '../lang/threshold.js';

export type { Threshold } from '../lang/threshold.js';

/** What a threshold is evaluated against. Latencies in ms, errorRate as a ratio. */
export type ThresholdInput = {
  rps: number;
  overall: { count: number; errors: number; quantile(q: number): number; max: number; avg: number };
  steps: Map<string, { count: number; errors: number; quantile(q: number): number; max: number; avg: number }>;
};

/** One evaluated threshold, with the actual value kept as evidence. */
export type ThresholdResult = { threshold: string; expected: string; actual: string; pass: boolean };

const fmtMs = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(2)} s` : `${+ms.toFixed(1)} ms`);
const fmtPct = (r: number) => `${+(r * 100).toFixed(2)}%`;

function compare(op: Op, actual: number, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
  }
}

export function evaluateThreshold(t: Threshold, input: ThresholdInput): ThresholdResult {
  const scope = t.step ? input.steps.get(t.step) : input.overall;
  const fmt = t.metric === 'errors' ? fmtPct : t.metric === 'rps' ? (v: number) => `${+v.toFixed(1)} req/s` : fmtMs;
  const expected = `${t.op} ${fmt(t.value)}`;
  if (!scope) return { threshold: t.source, expected, actual: `no step named "${t.step}"`, pass: false };
  let actual: number;
  if (t.metric === 'rps') actual = input.rps;
  else if (t.metric === 'errors') actual = scope.count > 0 ? scope.errors / scope.count : 0;
  else if (scope.count === 0) return { threshold: t.source, expected, actual: 'no requests', pass: false };
  else if (t.metric === 'max') actual = scope.max;
  else if (t.metric === 'avg') actual = scope.avg;
  else actual = scope.quantile(QUANTILES[t.metric]);
  return { threshold: t.source, expected, actual: fmt(actual), pass: compare(t.op, actual, t.value) };
}

export function evaluateThresholds(list: Threshold[], input: ThresholdInput): ThresholdResult[] {
  return list.map((t) => evaluateThreshold(t, input));
}
