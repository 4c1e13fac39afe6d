/**
 * Pass/fail thresholds for a burst, for CI: `p95<500ms`, `p99<1s`, `errors<1%`, `rps>100`.
 * A step name in front scopes a latency or error threshold to one step: `checkout:p95<800ms`.
 */
import { parseDuration } from '../../config/duration.js';

export type Metric = 'p50' | 'p75' | 'p90' | 'p95' | 'p99' | 'p99.9' | 'max' | 'avg' | 'errors' | 'rps';
export type Op = '<' | '<=' | '>' | '>=';

export type Threshold = { source: string; step?: string; metric: Metric; op: Op; /** ms for latencies, a ratio for errors, per second for rps. */ value: number };

/** What a threshold is evaluated against. Latencies in ms, errorRate as a ratio. */
export type ThresholdInput = {
  rps: number;
  overall: { count: number; errors: number; quantile(q: number): number; max: number; avg: number };
  steps: Map<string, { count: number; errors: number; quantile(q: number): number; max: number; avg: number }>;
};

/** One evaluated threshold, with the actual value kept as evidence. */
export type ThresholdResult = { threshold: string; expected: string; actual: string; pass: boolean };

export class ThresholdError extends Error {}

const QUANTILES: Record<string, number> = { p50: 0.5, p75: 0.75, p90: 0.9, p95: 0.95, p99: 0.99, 'p99.9': 0.999 };
const PATTERN = /^\s*(?:([^:<>=]+?)\s*:\s*)?(p50|p75|p90|p95|p99\.9|p99|max|avg|errors|rps)\s*(<=|>=|<|>)\s*([0-9.]+\s*[a-z%]*)\s*$/i;

export function parseThreshold(source: string): Threshold {
  const m = PATTERN.exec(source);
  if (!m) throw new ThresholdError(`not a threshold: ${JSON.stringify(source)} (use e.g. p95<500ms, p99<1s, errors<1%, rps>100, or step:p95<800ms)`);
  const step = m[1]?.trim() || undefined;
  const metric = m[2].toLowerCase() as Metric;
  const op = m[3] as Op;
  const raw = m[4].replace(/\s+/g, '').toLowerCase();
  let value: number | undefined;
  if (metric === 'errors') {
    if (raw.endsWith('%')) value = Number(raw.slice(0, -1)) / 100;
    else if (/^[0-9.]+$/.test(raw)) value = Number(raw);
    if (value === undefined || !Number.isFinite(value) || value < 0 || value > 1) throw new ThresholdError(`${source}: errors needs a percentage (errors<1%) or a ratio between 0 and 1`);
  } else if (metric === 'rps') {
    if (step) throw new ThresholdError(`${source}: rps is for the whole run, not one step`);
    value = /^[0-9.]+$/.test(raw) ? Number(raw) : undefined;
    if (value === undefined || !Number.isFinite(value)) throw new ThresholdError(`${source}: rps needs a plain number of requests per second (rps>100)`);
  } else {
    value = parseDuration(/^[0-9.]+$/.test(raw) ? `${raw}ms` : raw);
    if (value === undefined) throw new ThresholdError(`${source}: ${metric} needs a duration such as 500ms or 1s`);
  }
  return { source: source.trim(), step, metric, op, value };
}

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
