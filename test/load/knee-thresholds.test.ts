import { describe, expect, it } from 'vitest';
import { findKnee, kneeOfSeries, kneePoints, type KneePoint, type SeriesRowLike } from '../../src/load/knee.js';
import { parseThreshold, ThresholdError } from '../../src/lang/threshold.js';
import { evaluateThresholds, type ThresholdInput } from '../../src/load/thresholds.js';

/** A ramp of 2 users per second to `maxUsers`, with p95 and throughput given as functions of users. */
function curve(maxUsers: number, p95: (u: number) => number, rps: (u: number) => number, noise = 0): KneePoint[] {
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2 * noise;
  const out: KneePoint[] = [];
  for (let t = 0; t * 2 + 2 <= maxUsers; t++) {
    const u = t * 2 + 2;
    const r = rps(u) * (1 + rnd());
    out.push({ t, load: u, p95: p95(u) * (1 + rnd()), requests: Math.round(r) });
  }
  return out;
}

describe('knee detection', () => {
  it('finds where p95 climbs and where throughput flattens (the example in the docs)', () => {
    const pts = curve(
      200,
      (u) => (u <= 70 ? 120 : 120 + (u - 70) * 6),
      (u) => Math.min(u * 4.4, 310),
      0.03,
    );
    const k = findKnee(pts, 'users');
    expect(k.baselineP95).toBeGreaterThan(110);
    expect(k.baselineP95).toBeLessThan(130);
    expect(k.latencyKnee!.load).toBeGreaterThanOrEqual(70);
    expect(k.latencyKnee!.load).toBeLessThanOrEqual(84);
    expect(k.throughputKnee!.load).toBeGreaterThanOrEqual(64);
    expect(k.throughputKnee!.load).toBeLessThanOrEqual(80);
    expect(k.throughputKnee!.plateauRps).toBeGreaterThan(295);
    expect(k.throughputKnee!.plateauRps).toBeLessThan(325);
    expect(k.sentence).toMatch(/^p95 ≈ 1[12]\d ms up to \d+ users, then climbed .*; throughput flattened near 3\d\d req\/s from \d+ users$/);
  });

  it('reports no knee on a system that scales linearly with flat latency', () => {
    const k = findKnee(curve(100, () => 40, (u) => u * 5, 0.05), 'users');
    expect(k.latencyKnee).toBeUndefined();
    expect(k.throughputKnee).toBeUndefined();
    expect(k.sentence).toContain('no knee within this load');
    expect(k.sentence).toContain('p95 stayed near 40 ms up to 100 users');
  });

  it('ignores a single slow second (noise), but not a sustained climb', () => {
    const pts = curve(100, () => 20, (u) => u * 5);
    pts[20].p95 = 400;
    expect(findKnee(pts, 'users').latencyKnee).toBeUndefined();
    const climbing = curve(100, (u) => (u < 60 ? 20 : 20 + (u - 60) * 3), (u) => u * 5);
    expect(findKnee(climbing, 'users').latencyKnee!.load).toBeGreaterThanOrEqual(60);
  });

  it('finds a throughput plateau even when latency stays flat (server sheds load)', () => {
    const k = findKnee(curve(120, () => 15, (u) => Math.min(u * 10, 500)), 'users');
    expect(k.latencyKnee).toBeUndefined();
    expect(k.throughputKnee!.load).toBeGreaterThanOrEqual(46);
    expect(k.throughputKnee!.load).toBeLessThanOrEqual(56);
    expect(Math.round(k.throughputKnee!.plateauRps)).toBe(500);
  });

  it('works with arrival rates, and says when there is too little data', () => {
    const pts: KneePoint[] = [10, 20, 30, 40, 50, 60, 70, 80].map((r, t) => ({ t, load: r, p95: r <= 50 ? 8 : 8 + (r - 50) * 4, requests: r }));
    const k = findKnee(pts, 'arrivals/s');
    expect(k.latencyKnee!.load).toBe(50);
    expect(k.sentence).toMatch(/up to 50 arrivals\/s, then climbed/);
    expect(findKnee(pts.slice(0, 2), 'users').sentence).toMatch(/too few load levels/);
  });

  it('a run whose series reached 30 users at 46 ms says so (not "stayed near 22 ms"), with the series\' own req/s', () => {
    // Ramp seconds at 10 and 20 users, then 28 s at 30 users, then two wind-down seconds after the plan's end.
    const rows: SeriesRowLike[] = [
      { t: 0, users: 10, requests: 24, p95: 21 },
      { t: 1, users: 20, requests: 48, p95: 23 },
      ...Array.from({ length: 28 }, (_, i) => ({ t: 2 + i, users: 30, requests: 70 + (i % 5), p95: 44 + (i % 5) })),
      { t: 30, users: 30, requests: 19, p95: 12 },
      { t: 31, users: 30, requests: 6, p95: 900 },
    ];
    const k = kneeOfSeries(rows, { model: 'closed', duration: 30_000 });
    expect(k.sentence).toBe('p95 ≈ 22 ms up to 20 users, then climbed (to 46 ms at 30 users); throughput kept growing, to 72 req/s at 30 users');
    expect(k.maxRps).toBe(72);
    // The wind-down seconds after the plan's end are no load level.
    expect(kneePoints(rows, { model: 'closed', duration: 30_000 }).map((p) => p.t)).toEqual(rows.slice(0, 30).map((r) => r.t));
  });

  it('one load level: too few load levels to find a knee, with that level\'s figures', () => {
    const rows: SeriesRowLike[] = Array.from({ length: 10 }, (_, t) => ({ t, users: 30, requests: 20 + t, p95: 40 + t }));
    const k = kneeOfSeries(rows, { model: 'closed', duration: 10_000 });
    expect(k.sentence).toBe('too few load levels to find a knee (30 users: p95 45 ms, 25 req/s); ramp more slowly or run longer');
    expect(k.latencyKnee).toBeUndefined();
  });
});

const sample = (values: number[], errors = 0) => {
  const s = [...values].sort((a, b) => a - b);
  return {
    count: s.length,
    errors,
    max: s[s.length - 1],
    avg: s.reduce((a, b) => a + b, 0) / s.length,
    quantile: (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)],
  };
};

describe('thresholds', () => {
  it('parses latencies, error rates, request rates and step scopes', () => {
    expect(parseThreshold('p95<500ms')).toMatchObject({ metric: 'p95', op: '<', value: 500 });
    expect(parseThreshold(' p99 < 1s ')).toMatchObject({ metric: 'p99', op: '<', value: 1000 });
    expect(parseThreshold('p99.9<=2s')).toMatchObject({ metric: 'p99.9', op: '<=', value: 2000 });
    expect(parseThreshold('errors<1%')).toMatchObject({ metric: 'errors', value: 0.01 });
    expect(parseThreshold('errors<0.05')).toMatchObject({ metric: 'errors', value: 0.05 });
    expect(parseThreshold('rps>100')).toMatchObject({ metric: 'rps', op: '>', value: 100 });
    expect(parseThreshold('max<250')).toMatchObject({ metric: 'max', value: 250 });
    expect(parseThreshold('check out:p95<800ms')).toMatchObject({ step: 'check out', metric: 'p95', value: 800 });
  });

  it('rejects bad thresholds with a message that shows the input and the expected forms', () => {
    expect(() => parseThreshold('p95 fast')).toThrow(/not a threshold: "p95 fast" \(use e\.g\. p95<500ms/);
    expect(() => parseThreshold('p95<soon')).toThrow(ThresholdError);
    expect(() => parseThreshold('errors<150%')).toThrow(/errors needs a percentage/);
    expect(() => parseThreshold('rps>10ms')).toThrow(/rps needs a plain number/);
    expect(() => parseThreshold('home:rps>10')).toThrow(/whole run/);
  });

  it('evaluates against the run, keeping the actual value as evidence', () => {
    const overall = sample([...Array(100).keys()].map((i) => i + 1), 3);
    const input: ThresholdInput = { rps: 120, overall, steps: new Map([['home', sample([10, 20, 30, 900])]]) };
    const res = evaluateThresholds(['p95<500ms', 'p95<90', 'errors<1%', 'errors<5%', 'rps>100', 'rps>=200', 'home:p95<800ms', 'nope:p95<1s'].map(parseThreshold), input);
    expect(res.map((r) => r.pass)).toEqual([true, false, false, true, true, false, false, false]);
    expect(res[1]).toEqual({ threshold: 'p95<90', expected: '< 90 ms', actual: '95 ms', pass: false });
    expect(res[2].actual).toBe('3%');
    expect(res[6].actual).toBe('900 ms');
    expect(res[7].actual).toBe('no step named "nope"');
  });
});
