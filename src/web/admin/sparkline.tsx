import { fmtMs } from '../format.js';

/** 24 hourly points as an inline SVG line (gaps where an hour had no runs, red ticks where runs failed). */
export function Sparkline(props: { points: (number | null)[]; failures?: number[]; width?: number; height?: number }) {
  const w = props.width ?? 120;
  const h = props.height ?? 28;
  const n = props.points.length;
  const values = props.points.filter((p): p is number => p !== null);
  const max = Math.max(1, ...values);
  const x = (i: number) => (n <= 1 ? w / 2 : (i / (n - 1)) * (w - 2) + 1);
  const y = (v: number) => h - 4 - (v / max) * (h - 8);
  let d = '';
  let pen = false;
  props.points.forEach((p, i) => {
    if (p === null) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(p).toFixed(1)}`;
    pen = true;
  });
  const label = values.length === 0 ? 'No runs in the last 24 hours' : `Hourly p95 latency, last 24 hours: up to ${fmtMs(Math.max(...values))}`;
  return (
    <svg class="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      <title>{label}</title>
      {d ? <path d={d} class="spark-line" /> : <line x1="0" x2={w} y1={h - 4} y2={h - 4} class="spark-empty" />}
      {props.points.map((p, i) => (p !== null && (props.points[i - 1] ?? null) === null && (props.points[i + 1] ?? null) === null ? <circle cx={x(i)} cy={y(p)} r="1.5" class="spark-dot" /> : null))}
      {(props.failures ?? []).map((f, i) => (f > 0 ? <rect x={x(i) - 1} y={h - 3} width="2" height="3" class="spark-fail" /> : null))}
    </svg>
  );
}
