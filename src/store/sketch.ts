import { DDSketch } from '@datadog/sketches-js';
import { nearestRank as rankOf } from '../lang/percentile.js';

/**
 * Latency sketches: DDSketch with 1 % relative accuracy. A percentile read from one is within 1 % of
 * the sample that truly sits at that rank, whatever the distribution, and two sketches merge exactly
 * (bin counts add up), so minutes merge into hours and days without ever averaging percentiles.
 *
 * Stored with our own compact sparse encoding rather than the library's protobuf form: the protobuf
 * form writes every allocated bin (at least 128 doubles, ~1 KB even for one sample) and drops
 * min / max / sum. Ours writes only non-empty bins as varint (key delta, count) pairs:
 * ~30 bytes for a one-sample minute, a few hundred for a busy day.
 */
export const RELATIVE_ACCURACY = 0.01;
const FORMAT = 1;

export type Sketch = DDSketch;

export const createSketch = (): Sketch => new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });

function writeVarint(out: number[], n: number) {
  // n is a non-negative integer below 2^53.
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);
const unzigzag = (n: number) => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

/** Serializes a sketch of non-negative values (latencies). */
export function encodeSketch(s: Sketch): Buffer {
  const head = Buffer.alloc(1 + 24);
  head.writeUInt8(FORMAT, 0);
  head.writeDoubleLE(s.count > 0 ? s.min : 0, 1);
  head.writeDoubleLE(s.count > 0 ? s.max : 0, 9);
  head.writeDoubleLE(s.sum, 17);
  const out: number[] = [];
  writeVarint(out, Math.round(s.zeroCount));
  const store = s.store;
  const pairs: number[] = [];
  let bins = 0;
  let prev = 0;
  if (store.count > 0) {
    for (let key = store.minKey; key <= store.maxKey; key++) {
      const c = store.bins[key - store.offset] ?? 0;
      if (c <= 0) continue;
      writeVarint(pairs, zigzag(key - prev));
      writeVarint(pairs, Math.round(c));
      prev = key;
      bins++;
    }
  }
  writeVarint(out, bins);
  return Buffer.concat([head, Buffer.from(out), Buffer.from(pairs)]);
}

/** A stored sketch, parsed but not rebuilt: enough to answer quantiles in one pass or to merge. */
export type Bins = { count: number; zero: number; min: number; max: number; sum: number; keys: number[]; counts: number[] };

/** Parses bytes written by encodeSketch; throws on anything else. */
export function decodeBins(buf: Uint8Array): Bins {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 27 || b.readUInt8(0) !== FORMAT) throw new Error(`not a halftime sketch (format ${b.length > 0 ? b.readUInt8(0) : 'empty'})`);
  let pos = 25;
  const readVarint = () => {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (pos >= b.length) throw new Error('truncated sketch');
      const byte = b[pos++];
      n += (byte & 0x7f) * mul;
      if (byte < 0x80) return n;
      mul *= 0x80;
    }
    throw new Error('corrupt sketch varint');
  };
  const zero = readVarint();
  const n = readVarint();
  const keys: number[] = new Array(n);
  const counts: number[] = new Array(n);
  let key = 0;
  let count = zero;
  for (let i = 0; i < n; i++) {
    key += unzigzag(readVarint());
    keys[i] = key;
    counts[i] = readVarint();
    count += counts[i];
  }
  return { count, zero, min: count > 0 ? b.readDoubleLE(1) : 0, max: count > 0 ? b.readDoubleLE(9) : 0, sum: b.readDoubleLE(17), keys, counts };
}

/** Adds parsed bins into a sketch (a merge without building a second sketch). */
export function addBins(s: Sketch, bins: Bins): Sketch {
  if (bins.count === 0) return s;
  for (let i = 0; i < bins.keys.length; i++) s.store.add(bins.keys[i], bins.counts[i]);
  s.min = s.count > 0 ? Math.min(s.min, bins.min) : bins.min;
  s.max = s.count > 0 ? Math.max(s.max, bins.max) : bins.max;
  s.zeroCount += bins.zero;
  s.count += bins.count;
  s.sum += bins.sum;
  return s;
}

/** Reads a sketch written by encodeSketch; throws on anything else. */
export function decodeSketch(buf: Uint8Array): Sketch {
  return addBins(createSketch(), decodeBins(buf));
}

const mapping = createSketch().mapping;

/**
 * Nearest-rank percentiles (lang/percentile.ts) straight from parsed bins, in one pass: the same
 * answers as `nearestRank` on the sketch the bins came from. `ps` must be ascending. Nulls when empty.
 */
export function binsPercentiles(b: Bins, ps: readonly number[]): (number | null)[] {
  if (b.count === 0) return ps.map(() => null);
  const n = Math.round(b.count);
  const out: (number | null)[] = [];
  let i = 0;
  // Samples in the zero bin and in the bins before keys[i].
  let running = b.zero;
  for (const p of ps) {
    const rank = rankOf(p, n);
    if (rank === n) out.push(b.max);
    else if (rank === 1) out.push(b.min);
    else if (rank <= b.zero) out.push(Math.max(b.min, 0));
    else {
      while (i < b.keys.length - 1 && running + b.counts[i] < rank) running += b.counts[i++];
      const v = b.keys.length > 0 ? mapping.value(b.keys[i]) : 0;
      out.push(Math.min(b.max, Math.max(b.min, v)));
    }
  }
  return out;
}

export type SketchSummary = { count: number; min: number | null; max: number | null; mean: number | null; p50: number | null; p95: number | null; p99: number | null };

/** Count, min, max, mean and the nearest-rank p50/p95/p99 of a sketch. */
export function summarize(s: Sketch): SketchSummary {
  if (s.count === 0) return { count: 0, min: null, max: null, mean: null, p50: null, p95: null, p99: null };
  return { count: s.count, min: s.min, max: s.max, mean: s.sum / s.count, p50: nearestRank(s, 0.5), p95: nearestRank(s, 0.95), p99: nearestRank(s, 0.99) };
}

/**
 * The nearest-rank percentile (lang/percentile.ts: the ⌈p·n⌉-th smallest sample, as the raw-table
 * query answers it) from a sketch: the representative value of the bin holding that sample, clamped
 * to the exact min and max. That sample sits in that bin, so the answer is within RELATIVE_ACCURACY
 * of the exact nearest-rank value; p = 1 gives the exact max and rank 1 the exact min. Null when empty.
 */
export function nearestRank(s: Sketch, p: number): number | null {
  if (s.count === 0) return null;
  const n = Math.round(s.count);
  const rank = rankOf(p, n);
  if (rank === n) return s.max;
  if (rank === 1) return s.min;
  if (rank <= s.zeroCount) return Math.max(s.min, 0);
  const v = s.mapping.value(s.store.keyAtRank(rank - 1 - s.zeroCount));
  return Math.min(s.max, Math.max(s.min, v));
}
