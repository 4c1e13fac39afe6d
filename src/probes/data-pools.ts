import type { DataPoolConfig } from '../config/journey-schema.js';
import type { Rng } from './random.js';

/**
 * Data pools (inline lists or CSV rows) shared by every run of a monitor. A run draws from a pool
 * the first time it refers to it and keeps that row for the rest of the run, so
 * `{{ user.email }}` and `{{ user.password }}` come from the same row.
 *   random    any row each run
 *   sequence  row 1, 2, 3, … then from the start again
 *   unique    no row twice until every row has been used (then a fresh shuffle)
 */
export type DataPools = {
  has(name: string): boolean;
  /** A fresh view for one run: each pool is drawn at most once. */
  forRun(rng: Rng): (name: string) => unknown;
};

export function createDataPools(defs: Record<string, DataPoolConfig>): DataPools {
  const state = new Map<string, { values: unknown[]; pick: DataPoolConfig['pick']; next: number; deck: number[] }>();
  for (const [name, def] of Object.entries(defs)) {
    if (!def.values || def.values.length === 0) throw new Error(`data pool "${name}" has no values (was its CSV file loaded?)`);
    state.set(name, { values: def.values, pick: def.pick, next: 0, deck: [] });
  }
  const draw = (name: string, rng: Rng): unknown => {
    const s = state.get(name)!;
    if (s.pick === 'sequence') return s.values[s.next++ % s.values.length];
    if (s.pick === 'random') return s.values[rng.int(0, s.values.length - 1)];
    if (s.deck.length === 0) {
      s.deck = s.values.map((_, i) => i);
      for (let i = s.deck.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [s.deck[i], s.deck[j]] = [s.deck[j], s.deck[i]];
      }
    }
    return s.values[s.deck.pop()!];
  };
  return {
    has: (name) => state.has(name),
    forRun(rng) {
      const drawn = new Map<string, unknown>();
      return (name) => {
        if (!state.has(name)) return undefined;
        if (!drawn.has(name)) drawn.set(name, draw(name, rng));
        return drawn.get(name);
      };
    },
  };
}
