/**
 * The one percentile definition halftime uses everywhere: charts and their summaries, the JSON API,
 * alert rules, burst results and thresholds. It is the nearest rank: pQ of n samples is the
 * ⌈Q/100 · n⌉-th smallest sample (at least the first). It is always a value that was measured, and
 * with few samples it is the max: p95 of 20 or fewer samples, p99 of 100 or fewer.
 *
 * Sketches (DDSketch, see store/sketch.ts) answer this same rank within their 1 % accuracy.
 */

/** The 1-based rank of percentile `p` (0 < p ≤ 1) among `n` samples; 0 when there are none. */
export function nearestRank(p: number, n: number): number {
  if (n <= 0) return 0;
  return Math.min(n, Math.max(1, Math.ceil(p * n - 1e-9)));
}

/** The nearest-rank percentile of an ascending list; null when it is empty. */
export function percentileOfSorted(sorted: readonly number[], p: number): number | null {
  return sorted.length === 0 ? null : sorted[nearestRank(p, sorted.length) - 1];
}

/** The nearest-rank percentile of any list (sorted here). */
export function percentileOf(values: readonly number[], p: number): number | null {
  return percentileOfSorted([...values].sort((a, b) => a - b), p);
}

/**
 * Below this many samples a percentile is shown with its sample count: under 100 samples p99 is
 * the max, under 21 p95 is, and the reader should know.
 */
export const FEW_SAMPLES = 100;

/** ` (6 samples)` when a percentile rests on few samples, else ''. */
export function samplesNote(n: number | null | undefined): string {
  if (n === null || n === undefined || n >= FEW_SAMPLES) return '';
  return ` (${n} sample${n === 1 ? '' : 's'})`;
}
