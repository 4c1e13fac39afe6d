/**
 * A control for timer lateness: an otherwise idle Node process that runs a 10 ms timer and records
 * how late each tick fires. Started next to a benchmark (see `startCanary` in bench/support.ts), it
 * shows how much lateness the machine itself causes (other processes holding the CPUs), so the
 * benchmark's own figures can be read against it. Reports over IPC when asked; exits with its parent.
 */
const TICK_MS = 10;
const late: number[] = [];
let expected = performance.now() + TICK_MS;

const timer = setInterval(() => {
  const now = performance.now();
  // Bounded: a sample per tick, kept for at most the first hour.
  if (late.length < 360_000) late.push(Math.max(0, now - expected));
  expected = now + TICK_MS;
}, TICK_MS);

process.on('message', (msg: { type?: string }) => {
  if (msg?.type !== 'stats') return;
  const sorted = [...late].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
  process.send?.({ type: 'stats', ticks: sorted.length, p50: at(50), p99: at(99), max: sorted.at(-1) ?? NaN });
});
process.on('disconnect', () => {
  clearInterval(timer);
  process.exit(0);
});
process.send?.({ type: 'ready' });
