/**
 * The knee of a burst: the load (users, or arrival rate) where p95 rose clearly above its low-load
 * level, or where throughput stopped growing with the load.
 */

/** One second of the run: the load then, its p95 and the requests completed. */
export type KneePoint = { t: number; load: number; p95: number | null; rps: number; requests: number };

export type Knee = {
  unit: 'users' | 'arrivals/s';
  /** p95 at low load (ms). */
  baselineP95: number | null;
  /** Highest load before p95 climbed; undefined when it never did. */
  latencyKnee?: { load: number; t: number; p95After: number };
  /** Load where throughput stopped growing, and the level it flattened at. */
  throughputKnee?: { load: number; t: number; plateauRps: number };
  maxLoad: number;
  maxRps: number;
  sentence: string;
};

export type KneeOptions = {
  /** p95 counts as climbed when above baseline × this (default 1.5)… */
  ratio?: number;
  /** …and at least this many ms above it (default 5), so a 2 → 4 ms wobble is no knee. */
  minRiseMs?: number;
  /** Seconds with fewer requests are ignored (default 5). */
  minRequests?: number;
};

type Level = { load: number; t: number; p95: number; rps: number };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Seconds grouped by load level (median p95 and rps per level), sorted by load, lightly smoothed. */
function levels(points: KneePoint[], minRequests: number): Level[] {
  const by = new Map<number, KneePoint[]>();
  for (const p of points) {
    if (p.p95 === null || p.requests < minRequests || p.load <= 0) continue;
    const key = Math.round(p.load * 10) / 10;
    const list = by.get(key) ?? [];
    list.push(p);
    by.set(key, list);
  }
  const raw = [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([load, ps]) => ({ load, t: Math.min(...ps.map((p) => p.t)), p95: median(ps.map((p) => p.p95!)), rps: median(ps.map((p) => p.rps)) }));
  // A moving median over three neighbouring levels takes out single-second noise.
  return raw.map((l, i) => {
    const win = raw.slice(Math.max(0, i - 1), i + 2);
    return { ...l, p95: median(win.map((w) => w.p95)), rps: median(win.map((w) => w.rps)) };
  });
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const fmtLoad = (v: number, unit: Knee['unit']) => `${+v.toFixed(1)} ${unit === 'users' ? 'users' : 'arrivals/s'}`;

export function findKnee(points: KneePoint[], unit: Knee['unit'], opts: KneeOptions = {}): Knee {
  const ratio = opts.ratio ?? 1.5;
  const minRise = opts.minRiseMs ?? 5;
  const ls = levels(points, opts.minRequests ?? 5);
  const maxLoad = ls.length ? ls[ls.length - 1].load : 0;
  const maxRps = ls.length ? Math.max(...ls.map((l) => l.rps)) : 0;
  if (ls.length < 3) {
    return { unit, baselineP95: ls.length ? median(ls.map((l) => l.p95)) : null, maxLoad, maxRps, sentence: 'too few load levels to find a knee (run longer or ramp more slowly)' };
  }
  // Low load: the lowest quarter of the levels (at least two).
  const low = ls.slice(0, Math.max(2, Math.ceil(ls.length / 4)));
  const baseline = median(low.map((l) => l.p95));
  const limit = Math.max(baseline * ratio, baseline + minRise);

  // Latency knee: the first level from which p95 stays above the limit for the next level too (or is the last).
  let latencyKnee: Knee['latencyKnee'];
  for (let i = low.length; i < ls.length; i++) {
    const next = ls[i + 1];
    if (ls[i].p95 > limit && (!next || next.p95 > limit)) {
      latencyKnee = { load: ls[i - 1].load, t: ls[i].t, p95After: ls[ls.length - 1].p95 };
      break;
    }
  }

  // Throughput knee: per-load throughput at low load sets the expected slope. Throughput flattened at
  // the first level that is already near the best throughput of the run while a good share of the
  // load (15 % or more) is still to come, and that further load gained under a quarter of what the
  // low-load slope promised.
  const perLoad = median(low.map((l) => l.rps / l.load));
  let throughputKnee: Knee['throughputKnee'];
  for (let i = 1; i < ls.length - 1; i++) {
    if (maxLoad - ls[i].load < 0.15 * maxLoad) break;
    const rest = ls.slice(i + 1);
    const gain = Math.max(...rest.map((l) => l.rps)) - ls[i].rps;
    const promised = perLoad * (maxLoad - ls[i].load);
    if (promised > 0 && gain < 0.25 * promised && ls[i].rps >= 0.9 * maxRps) {
      throughputKnee = { load: ls[i].load, t: ls[i].t, plateauRps: median(ls.slice(i).map((l) => l.rps)) };
      break;
    }
  }

  const parts: string[] = [];
  if (latencyKnee) parts.push(`p95 ≈ ${fmtMs(baseline)} up to ${fmtLoad(latencyKnee.load, unit)}, then climbed (to ${fmtMs(latencyKnee.p95After)} at ${fmtLoad(maxLoad, unit)})`);
  else parts.push(`p95 stayed near ${fmtMs(baseline)} up to ${fmtLoad(maxLoad, unit)}`);
  if (throughputKnee) parts.push(`throughput flattened near ${Math.round(throughputKnee.plateauRps)} req/s from ${fmtLoad(throughputKnee.load, unit)}`);
  else parts.push(`throughput kept growing, to ${Math.round(maxRps)} req/s`);
  if (!latencyKnee && !throughputKnee) parts.push('no knee within this load');
  return { unit, baselineP95: baseline, latencyKnee, throughputKnee, maxLoad, maxRps, sentence: parts.join('; ') };
}
