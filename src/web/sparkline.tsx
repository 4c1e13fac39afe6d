import { fmtMs } from './format.js';

const W = 120;
const H = 28;

/** Polyline segments (SVG `points` strings), broken where a value is missing; scaled from 0 to the largest value. */
export function sparklinePaths(values: (number | null)[], width = W, height = H): string[] {
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  if (max === 0 && values.every((v) => v === null)) return [];
  const dx = values.length > 1 ? width / (values.length - 1) : 0;
  const y = (v: number) => (max > 0 ? height - 1 - (v / max) * (height - 2) : height - 1);
  const segments: string[] = [];
  let cur: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (cur.length) segments.push(cur.join(' '));
      cur = [];
      return;
    }
    cur.push(`${(i * dx).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (cur.length) segments.push(cur.join(' '));
  // A lone point still shows: draw it as a short flat line.
  return segments.map((s) => (s.includes(' ') ? s : `${s} ${s.replace(/^([\d.]+)/, (x) => String(Math.min(width, Number(x) + 2)))}`));
}

/** The small 24-hour p95 line on the status page: inline SVG, no script. */
export function P95Sparkline(props: { values: (number | null)[] }) {
  const paths = sparklinePaths(props.values);
  const latest = [...props.values].reverse().find((v) => v !== null) ?? null;
  const peak = Math.max(0, ...props.values.filter((v): v is number => v !== null));
  const label = latest === null ? 'p95 latency, last 24 hours: no data' : `p95 latency, last 24 hours: now ${fmtMs(latest)}, peak ${fmtMs(peak)}`;
  return (
    <div class="spark">
      <svg class="sparkline" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label}>
        <title>{label}</title>
        <line class="spark-base" x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} />
        {paths.map((p) => (
          <polyline class="spark-line" points={p} />
        ))}
      </svg>
      <span class="spark-label">{latest === null ? 'p95 24 h: –' : `p95 ${fmtMs(latest)}`}</span>
    </div>
  );
}
