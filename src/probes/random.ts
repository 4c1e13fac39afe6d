import { randomInt as cryptoInt } from 'node:crypto';

/** A seeded source of randomness (sfc32), so a `--seed` makes every random choice repeatable. */
export type Rng = {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** Index chosen with probability proportional to its weight (weights ≥ 0, at least one > 0). */
  weighted(weights: readonly number[]): number;
  /** A new generator seeded from this one (for sub-streams such as one run). */
  fork(): Rng;
};

export const randomSeed = (): number => cryptoInt(0, 2 ** 31);

export function createRng(seed: number = randomSeed()): Rng {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const raw = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) raw();
  const rng: Rng = {
    next: raw,
    int(min, max) {
      const lo = Math.ceil(Math.min(min, max));
      const hi = Math.floor(Math.max(min, max));
      return lo + Math.floor(raw() * (hi - lo + 1));
    },
    pick(items) {
      if (items.length === 0) throw new Error('cannot pick from an empty list');
      return items[Math.floor(raw() * items.length)];
    },
    weighted(weights) {
      const total = weights.reduce((s, w) => s + Math.max(0, w), 0);
      if (!(total > 0)) throw new Error('weights must add up to more than 0');
      let r = raw() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= Math.max(0, weights[i]);
        if (r < 0) return i;
      }
      return weights.length - 1;
    },
    fork: () => createRng(Math.floor(raw() * 2 ** 31)),
  };
  return rng;
}
