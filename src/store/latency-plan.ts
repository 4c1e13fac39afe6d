import { LEVELS, type Level } from './rollups.js';

/** Where a piece of a latency range is read from; null: nothing retained holds it any more. */
export type Tier = Level | 'raw';
export type Piece = { tier: Tier | null; from: number; to: number };

/**
 * For each tier, the time from which it is complete: the oldest row kept (retention deletes the
 * oldest rows first, so everything at or after it is still there), or Infinity when the tier holds
 * nothing. Rollup times are bucket starts.
 */
export type Retained = Record<Tier, number>;

/** Coarsest first: each level takes the whole buckets inside what the coarser ones left over. */
const ORDER: readonly Level[] = ['day', 'hour', 'minute'];

const ceilTo = (t: number, ms: number) => Math.ceil(t / ms) * ms;
const floorTo = (t: number, ms: number) => Math.floor(t / ms) * ms;

/**
 * Tiles [from, to) with the coarsest retained rollup buckets: whole days, then whole hours at the
 * ragged ends, then whole minutes, then raw runs for what is left of a minute at either end (or for
 * anything no rollup level still holds). Pieces come out in time order; adjacent, never overlapping.
 * A piece with tier null lies before the oldest raw run and is held by no retained rollup bucket:
 * its samples are gone, and a caller reports only the samples it found.
 */
export function planTiles(from: number, to: number, retained: Retained): Piece[] {
  const out: Piece[] = [];
  const push = (p: Piece) => {
    const last = out[out.length - 1];
    if (last && last.tier === p.tier && last.to === p.from) last.to = p.to;
    else out.push(p);
  };
  const tile = (a: number, b: number, i: number) => {
    if (a >= b) return;
    if (i === ORDER.length) {
      const r = Math.max(a, retained.raw);
      if (r > a) push({ tier: null, from: a, to: Math.min(b, r) });
      if (r < b) push({ tier: 'raw', from: r, to: b });
      return;
    }
    const level = ORDER[i];
    const ms = LEVELS[level].ms;
    // Buckets before the level's oldest kept one are gone (or never held anything): finer levels try them.
    const s = Math.max(ceilTo(a, ms), ceilTo(retained[level], ms));
    const e = floorTo(b, ms);
    if (s >= e) return tile(a, b, i + 1);
    tile(a, s, i + 1);
    push({ tier: level, from: s, to: e });
    tile(e, b, i + 1);
  };
  tile(from, to, 0);
  return out;
}
