import { describe, expect, it } from 'vitest';
import { percentileOfSorted } from '../../src/lang/percentile.js';
import { binsPercentiles, createSketch, decodeBins, decodeSketch, encodeSketch, nearestRank, RELATIVE_ACCURACY, summarize } from '../../src/store/sketch.js';
import { logNormal, rng } from './history-fixtures.js';

/** The nearest-rank value of the sorted samples: the one definition halftime uses. */
const exact = (sorted: number[], q: number) => percentileOfSorted(sorted, q)!;
const QS = [0.5, 0.9, 0.95, 0.99, 0.999];

describe('sketch codec', () => {
  it('round-trips counts, min, max, sum and quantiles, and stays small', () => {
    const s = createSketch();
    const rand = rng(7);
    for (let i = 0; i < 5000; i++) s.accept(logNormal(rand, 5, 1));
    s.accept(0);
    const back = decodeSketch(encodeSketch(s));
    expect(back.count).toBe(s.count);
    expect(back.zeroCount).toBe(1);
    expect(back.min).toBe(s.min);
    expect(back.max).toBe(s.max);
    expect(back.sum).toBeCloseTo(s.sum, 6);
    for (const q of QS) expect(nearestRank(back, q)).toBe(nearestRank(s, q));

    const one = createSketch();
    one.accept(123.4);
    expect(encodeSketch(one).length).toBeLessThan(40);
    expect(summarize(decodeSketch(encodeSketch(one)))).toMatchObject({ count: 1, min: 123.4, max: 123.4, p50: 123.4, p99: 123.4 });
    const empty = decodeSketch(encodeSketch(createSketch()));
    expect(summarize(empty)).toMatchObject({ count: 0, p50: null, mean: null });
  });

  it('answers nearest-rank percentiles from the stored bins exactly as the sketch does, zeros and single bins included', () => {
    const rand = rng(11);
    for (const n of [1, 2, 3, 10, 100, 1000]) {
      const s = createSketch();
      for (let i = 0; i < n; i++) s.accept(rand() < 0.1 ? 0 : logNormal(rand, 3, 2));
      const qs = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];
      expect(binsPercentiles(decodeBins(encodeSketch(s)), qs)).toEqual(qs.map((q) => nearestRank(s, q)));
    }
    expect(binsPercentiles(decodeBins(encodeSketch(createSketch())), [0.5])).toEqual([null]);
  });

  it('nearestRank: within 1 % of the ⌈p·n⌉-th smallest sample, exact min and max, zeros included', () => {
    const rand = rng(13);
    for (const n of [1, 2, 3, 7, 20, 100, 1000, 20_000]) {
      const s = createSketch();
      const xs: number[] = [];
      for (let i = 0; i < n; i++) {
        const x = rand() < 0.05 ? 0 : logNormal(rand, 5, 1);
        xs.push(x);
        s.accept(x);
      }
      xs.sort((a, b) => a - b);
      const merged = decodeSketch(encodeSketch(s));
      for (const p of [0.001, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1]) {
        const want = xs[Math.max(1, Math.ceil(p * n)) - 1];
        expect(percentileOfSorted(xs, p)).toBe(want);
        const got = nearestRank(merged, p)!;
        expect(Math.abs(got - want)).toBeLessThanOrEqual(RELATIVE_ACCURACY * want + 1e-9);
      }
      expect(nearestRank(merged, 1)).toBe(xs[n - 1]);
      expect(nearestRank(merged, 1 / (2 * n))).toBe(xs[0]);
    }
    expect(nearestRank(createSketch(), 0.5)).toBeNull();
  });

  it('p95 of six samples is the max, not the ⌊q·(n−1)⌋-th sample DDSketch itself answers', () => {
    const six = [70, 72, 75, 80, 84, 784];
    const s = createSketch();
    for (const x of six) s.accept(x);
    expect(nearestRank(s, 0.95)).toBe(784);
    expect(summarize(s)).toMatchObject({ count: 6, p95: 784, p99: 784, max: 784 });
    expect(binsPercentiles(decodeBins(encodeSketch(s)), [0.5, 0.95])).toEqual([nearestRank(s, 0.5), 784]);
    // p50 of six is the third smallest (rank ⌈3⌉ = 3), within the sketch's 1 %.
    expect(Math.abs(nearestRank(s, 0.5)! - 75)).toBeLessThanOrEqual(0.75);
    // The library's own rule would have said 84 ms.
    expect(Math.abs(s.getValueAtQuantile(0.95) - 84)).toBeLessThanOrEqual(0.84);
  });

  it('rejects bytes that are not a sketch', () => {
    expect(() => decodeSketch(Buffer.from('hello, this is not a sketch!!'))).toThrow(/not a halftime sketch/);
    const good = encodeSketch(createSketch());
    const s = createSketch();
    s.accept(10);
    s.accept(1000);
    const enc = encodeSketch(s);
    expect(() => decodeSketch(enc.subarray(0, enc.length - 1))).toThrow(/truncated/);
    expect(good.length).toBeGreaterThan(0);
  });
});

describe('merged sketch accuracy', () => {
  for (const [name, draw, heavyTail] of [
    ['log-normal (mu 4, sigma 1.2)', (r: () => number) => logNormal(r, 4, 1.2), false],
    ['Pareto (alpha 1.5, min 20 ms)', (r: () => number) => 20 / Math.pow(1 - r(), 1 / 1.5), true],
  ] as const) {
    it(`percentiles of minute sketches merged through hours into a day stay within 1 % of exact: ${name}`, () => {
      const rand = rng(42);
      const all: number[] = [];
      // A day of 1440 minutes with 1 to 40 samples each, each minute stored and read back as bytes.
      const hours = Array.from({ length: 24 }, () => createSketch());
      for (let minute = 0; minute < 1440; minute++) {
        const m = createSketch();
        const n = 1 + Math.floor(rand() * 40);
        for (let i = 0; i < n; i++) {
          const v = draw(rand);
          all.push(v);
          m.accept(v);
        }
        hours[Math.floor(minute / 60)].merge(decodeSketch(encodeSketch(m)));
      }
      const day = createSketch();
      for (const h of hours) day.merge(decodeSketch(encodeSketch(h)));
      const merged = decodeSketch(encodeSketch(day));
      all.sort((a, b) => a - b);
      expect(merged.count).toBe(all.length);
      expect(merged.min).toBe(all[0]);
      expect(merged.max).toBe(all[all.length - 1]);
      // The read model answers from the stored bytes in one pass; it must agree with the sketch.
      const fast = binsPercentiles(decodeBins(encodeSketch(day)), QS);
      QS.forEach((q, i) => {
        const want = exact(all, q);
        const got = nearestRank(merged, q)!;
        expect(Math.abs(got - want) / want, `q=${q}: got ${got}, exact ${want}`).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
        expect(fast[i]).toBe(got);
      });
      // Averaging the hourly p99s (what we never do) would be far off on a heavy tail.
      if (heavyTail) {
        const avgOfP99 = hours.reduce((a, h) => a + nearestRank(h, 0.99)!, 0) / hours.length;
        expect(Math.abs(avgOfP99 - exact(all, 0.99)) / exact(all, 0.99)).toBeGreaterThan(RELATIVE_ACCURACY);
      }
    });
  }
});
