import { fmtMs } from './format.js';

/**
 * The one 24-hour p95 sparkline (status page cards, the operator's dashboard and monitor page):
 * inline SVG, no script. It fits the data it has: with three hours of data it spans those three
 * hours (and says so), so a new monitor shows a line rather than a dot at the right-hand edge.
 * The vertical scale starts at 0, like the charts.
 */
export type SparklineProps = {
  /** Hourly p95, oldest first; the last value is the current hour; null for an hour without runs. */
  values: (number | null)[];
  /** Failed runs per hour (same length): a red tick under each hour with failures. */
  failures?: number[];
  width?: number;
  height?: number;
  /** Also write the latest value beside the line (the status page does; the dashboard has its own column). */
  caption?: boolean;
};

type Point = { x: number; y: number };

/** Where the data starts (the first hour with a value or a failure); null when there is none. */
function firstIndex(values: (number | null)[], failures: number[]): number | null {
  for (let i = 0; i < values.length; i++) if (values[i] !== null || (failures[i] ?? 0) > 0) return i;
  return null;
}

/**
 * The line's geometry: x spans the hours from the first with data to now, y from 0 to the largest
 * value (2 px of air at the top and bottom). Segments break where an hour had no runs.
 */
export function sparklineGeometry(values: (number | null)[], failures: number[] = [], width = 120, height = 28) {
  const start = firstIndex(values, failures);
  if (start === null) return { start: null, segments: [] as Point[][], dots: [] as Point[], ticks: [] as number[], hours: 0 };
  const n = values.length - start;
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  const pad = 2;
  const x = (i: number) => (n <= 1 ? width / 2 : pad + ((i - start) / (n - 1)) * (width - 2 * pad));
  const y = (v: number) => (max > 0 ? height - pad - (v / max) * (height - 2 * pad) : height - pad);
  const segments: Point[][] = [];
  let cur: Point[] = [];
  for (let i = start; i < values.length; i++) {
    const v = values[i];
    if (v === null) {
      if (cur.length) segments.push(cur);
      cur = [];
    } else cur.push({ x: x(i), y: y(v) });
  }
  if (cur.length) segments.push(cur);
  // One hour of data: the line spans that hour (it is the hour's p95), not a dot at the edge.
  if (n === 1 && segments.length === 1) segments[0] = [{ x: pad, y: segments[0][0].y }, { x: width - pad, y: segments[0][0].y }];
  // A lone hour (no neighbour to draw a line to) is a dot, so it cannot vanish.
  const dots = segments.filter((s) => s.length === 1).map((s) => s[0]);
  const ticks: number[] = [];
  for (let i = start; i < values.length; i++) if ((failures[i] ?? 0) > 0) ticks.push(x(i));
  return { start, segments: segments.filter((s) => s.length > 1), dots, ticks, hours: n };
}

const fmt = (n: number) => n.toFixed(1).replace(/\.0$/, '');

export function Sparkline(props: SparklineProps) {
  const w = props.width ?? 120;
  const h = props.height ?? 28;
  const failures = props.failures ?? [];
  const g = sparklineGeometry(props.values, failures, w, h);
  const shown = props.values.filter((v): v is number => v !== null);
  const latest = [...props.values].reverse().find((v) => v !== null) ?? null;
  const peak = shown.length ? Math.max(...shown) : null;
  const failed = failures.reduce((a, b) => a + b, 0);
  const span = g.hours >= props.values.length ? 'last 24 hours' : g.hours > 0 ? `last ${g.hours} hour${g.hours === 1 ? '' : 's'} (all the data so far)` : 'last 24 hours';
  const label =
    latest === null
      ? `p95 latency, ${span}: no data${failed ? `, ${failed} failed runs` : ''}`
      : `p95 latency, ${span}: now ${fmtMs(latest)}, peak ${fmtMs(peak)}${failed ? `, ${failed} failed runs` : ''}`;
  const short = g.hours > 0 && g.hours < props.values.length ? ` · ${g.hours} h` : '';
  return (
    <span class="spark">
      <svg class="sparkline" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={label}>
        <title>{label}</title>
        <line class="spark-base" x1="0" y1={h - 0.5} x2={w} y2={h - 0.5} />
        {g.segments.map((s) => (
          <polyline class="spark-line" points={s.map((p) => `${fmt(p.x)},${fmt(p.y)}`).join(' ')} />
        ))}
        {g.dots.map((p) => (
          <circle class="spark-dot" cx={fmt(p.x)} cy={fmt(p.y)} r="2" />
        ))}
        {g.ticks.map((x) => (
          <rect class="spark-fail" x={fmt(x - 1)} y={h - 4} width="2" height="4" />
        ))}
      </svg>
      {props.caption ? <span class="spark-label">{latest === null ? 'p95: –' : `p95 ${fmtMs(latest)}${short}`}</span> : null}
    </span>
  );
}
