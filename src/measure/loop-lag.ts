/**
 * How late this thread's event loop runs callbacks: a timer every `intervalMs` notes how far past
 * its due time it fired. A run's probe callbacks wait exactly that long when the loop is busy, so
 * the largest lag seen while a run was in flight is how much of its latency may be our own.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export type LoopLag = {
  /** Largest lag (ms) of the samples taken from `from` until `to` plus one interval (performance.now() times). */
  maxBetween(from: number, to: number): number;
  /** Largest lag (ms) of the samples taken in the last `windowMs`. */
  recent(windowMs: number): number;
  /** Event-loop delay percentiles (ms) since the last call. */
  take(): { p50: number; p99: number; max: number };
  readonly intervalMs: number;
  stop(): void;
};

export function createLoopLag(opts: { intervalMs?: number; keepMs?: number } = {}): LoopLag {
  const intervalMs = opts.intervalMs ?? 10;
  const size = Math.ceil((opts.keepMs ?? 120_000) / intervalMs);
  const at = new Float64Array(size);
  const lag = new Float64Array(size);
  let head = 0;
  let count = 0;
  let due = performance.now() + intervalMs;
  const timer = setInterval(() => {
    const t = performance.now();
    at[head] = t;
    lag[head] = Math.max(0, t - due);
    head = (head + 1) % size;
    if (count < size) count++;
    due = t + intervalMs;
  }, intervalMs);
  timer.unref();
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return {
    intervalMs,
    maxBetween(from, to) {
      let max = 0;
      const until = to + intervalMs;
      // Newest first; stop at the first sample older than the window.
      for (let i = 0, j = (head - 1 + size) % size; i < count; i++, j = (j - 1 + size) % size) {
        if (at[j] < from) break;
        if (at[j] <= until && lag[j] > max) max = lag[j];
      }
      return max;
    },
    recent(windowMs) {
      const t = performance.now();
      // The sample that is overdue right now counts too: a loop stuck at this moment has not sampled yet.
      return Math.max(this.maxBetween(t - windowMs, t), Math.max(0, t - due));
    },
    take() {
      const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
      const out = { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
      histogram.reset();
      return out;
    },
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
