/**
 * Pass/fail thresholds for a burst, for CI: `p95<500ms`, `p99<1s`, `errors<1%`, `rps>100`.
 * A step name in front scopes a latency or error threshold to one step: `checkout:p95<800ms`.
 */
import { parseDuration } from './duration.js';

export type Metric = 'p50' | 'p75' | 'p90' | 'p95' | 'p99' | 'p99.9' | 'max' | 'avg' | 'errors' | 'rps';
export type Op = '<' | '<=' | '>' | '>=';

export type Threshold = { source: string; step?: string; metric: Metric; op: Op; /** ms for latencies, a ratio for errors, per second for rps. */ value: number };

export class ThresholdError extends Error {}

export const QUANTILES: Record<string, number> = { p50: 0.5, p75: 0.75, p90: 0.9, p95: 0.95, p99: 0.99, 'p99.9': 0.999 };
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

