/**
 * The knee of a burst: the load (users, or arrival rate) where p95 rose clearly above its low-load
 * level, or where throughput stopped growing with the load.
 *
 * It reads exactly the per-second series that is stored and charted (load_series, one row a second:
 * users or planned rate, requests, p95) and nothing else, and every figure its sentence gives is a
 * median of that series' values, so a reader can check it against the chart: p95 figures are the
 * median p95 of the seconds at that load, req/s figures the median request count of those seconds.
 * Seconds after the plan's end (the wind-down, when users finish or are cut off) are no load level.
 */

/** One second of the stored series: the load then, its p95 and the requests completed in it. */
export type KneePoint = { t: number; load: number; p95: number | null; requests: number };

export type Knee = {
  unit: 'users' | 'arrivals/s';
  /** Median p95 of the seconds at low load (ms). */
  baselineP95: number | null;
  /** Highest load before p95 climbed (and the median p95 at the highest load); undefined when it never did. */
  latencyKnee?: { load: number; t: number; p95After: number };
  /** Load where throughput stopped growing, and the median req/s of the seconds from there on. */
  throughputKnee?: { load: number; t: number; plateauRps: number };
  maxLoad: number;
  /** Median req/s of the seconds at the highest load. */
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

/** A load level: the seconds spent at one load, their median p95 and median requests. */
export type KneeLevel = { load: number; t: number; seconds: number; p95: number; rps: number };

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The series rows a stored run keeps, and the plan they ran under. */
export type SeriesRowLike = { t: number; users: number | null; rate?: number | null; requests: number; p95: number | null };

/**
 * The knee's input from a stored (or just emitted) per-second series: the load of each second (users,
 * or the planned arrival rate) and only the seconds wholly inside the plan.
 */
export function kneePoints(rows: readonly SeriesRowLike[], plan: { model: 'closed' | 'open'; duration: number }): KneePoint[] {
  const seconds = Math.floor(plan.duration / 1000);
  return rows
    .filter((r) => r.t < seconds)
    .map((r) => ({ t: r.t, load: (plan.model === 'open' ? r.rate : r.users) ?? 0, p95: r.p95, requests: r.requests }));
}

/** Seconds grouped by load level (median p95 and requests per level), sorted by load. */
export function kneeLevels(points: readonly KneePoint[], minRequests = 5): KneeLevel[] {
  const by = new Map<number, KneePoint[]>();
  for (const p of points) {
    if (p.p95 === null || p.requests < minRequests || p.load <= 0) continue;
    const key = Math.round(p.load * 10) / 10;
    const list = by.get(key) ?? [];
    list.push(p);
    by.set(key, list);
  }
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([load, ps]) => ({ load, t: Math.min(...ps.map((p) => p.t)), seconds: ps.length, p95: median(ps.map((p) => p.p95!)), rps: median(ps.map((p) => p.requests)) }));
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const fmtLoad = (v: number, unit: Knee['unit']) => `${+v.toFixed(1)} ${unit === 'users' ? 'users' : 'arrivals/s'}`;
const fmtRps = (v: number) => `${Math.round(v)} req/s`;

export function findKnee(points: readonly KneePoint[], unit: Knee['unit'], opts: KneeOptions = {}): Knee {
  const ratio = opts.ratio ?? 1.5;
  const minRise = opts.minRiseMs ?? 5;
  const minRequests = opts.minRequests ?? 5;
  const ls = kneeLevels(points, minRequests);
  const top = ls[ls.length - 1];
  const maxLoad = top?.load ?? 0;
  const maxRps = top?.rps ?? 0;
  const kept = (from: number) => points.filter((p) => p.p95 !== null && p.requests >= minRequests && p.load > 0 && Math.round(p.load * 10) / 10 >= from);
  if (ls.length < 3) {
    const all = kept(-Infinity);
    const where =
      ls.length === 0
        ? `no second had ${minRequests} or more requests`
        : ls.map((l) => `${fmtLoad(l.load, unit)}: p95 ${fmtMs(l.p95)}, ${fmtRps(l.rps)}`).join('; ');
    return {
      unit,
      baselineP95: all.length ? median(all.map((p) => p.p95!)) : null,
      maxLoad,
      maxRps,
      sentence: `too few load levels to find a knee (${where}); ramp more slowly or run longer`,
    };
  }
  // Low load: the lowest quarter of the levels (at least two); its seconds set the baseline.
  const low = ls.slice(0, Math.max(2, Math.ceil(ls.length / 4)));
  const lowTop = low[low.length - 1].load;
  const baseline = median(kept(-Infinity).filter((p) => Math.round(p.load * 10) / 10 <= lowTop).map((p) => p.p95!));
  const limit = Math.max(baseline * ratio, baseline + minRise);

  // Latency knee: the first level above the limit from which p95 stays mostly above it (the median of
  // that level and every higher one is above the limit), so one slow second is no knee, but the last
  // level alone is.
  let latencyKnee: Knee['latencyKnee'];
  for (let i = low.length; i < ls.length; i++) {
    if (ls[i].p95 > limit && median(ls.slice(i).map((l) => l.p95)) > limit) {
      latencyKnee = { load: ls[i - 1].load, t: ls[i].t, p95After: top.p95 };
      break;
    }
  }

  // Throughput knee: per-load throughput at low load sets the expected slope. Throughput flattened at
  // the first level that is already near the best throughput of the run while a good share of the
  // load (15 % or more) is still to come, and that further load gained under a quarter of what the
  // low-load slope promised.
  const perLoad = median(low.map((l) => l.rps / l.load));
  const bestRps = Math.max(...ls.map((l) => l.rps));
  let throughputKnee: Knee['throughputKnee'];
  for (let i = 1; i < ls.length - 1; i++) {
    if (maxLoad - ls[i].load < 0.15 * maxLoad) break;
    const rest = ls.slice(i + 1);
    const gain = Math.max(...rest.map((l) => l.rps)) - ls[i].rps;
    const promised = perLoad * (maxLoad - ls[i].load);
    if (promised > 0 && gain < 0.25 * promised && ls[i].rps >= 0.9 * bestRps) {
      throughputKnee = { load: ls[i].load, t: ls[i].t, plateauRps: median(kept(ls[i].load).map((p) => p.requests)) };
      break;
    }
  }

  const parts: string[] = [];
  if (latencyKnee) parts.push(`p95 ≈ ${fmtMs(baseline)} up to ${fmtLoad(latencyKnee.load, unit)}, then climbed (to ${fmtMs(top.p95)} at ${fmtLoad(maxLoad, unit)})`);
  else parts.push(`p95 stayed near ${fmtMs(baseline)} up to ${fmtLoad(maxLoad, unit)} (${fmtMs(top.p95)} at ${fmtLoad(maxLoad, unit)})`);
  if (throughputKnee) parts.push(`throughput flattened near ${fmtRps(throughputKnee.plateauRps)} from ${fmtLoad(throughputKnee.load, unit)}`);
  else parts.push(`throughput kept growing, to ${fmtRps(maxRps)} at ${fmtLoad(maxLoad, unit)}`);
  if (!latencyKnee && !throughputKnee) parts.push('no knee within this load');
  return { unit, baselineP95: baseline, latencyKnee, throughputKnee, maxLoad, maxRps, sentence: parts.join('; ') };
}

/** The knee of a stored (or just emitted) per-second series under its plan. */
export function kneeOfSeries(rows: readonly SeriesRowLike[], plan: { model: 'closed' | 'open'; duration: number }, opts?: KneeOptions): Knee {
  return findKnee(kneePoints(rows, plan), plan.model === 'open' ? 'arrivals/s' : 'users', opts);
}
