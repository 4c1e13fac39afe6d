import { DDSketch } from '@datadog/sketches-js';

/**
 * Latency sketches: DDSketch with 1 % relative accuracy. Any quantile it returns is within 1 % of a
 * value that truly sits at that rank, whatever the distribution, and two sketches merge exactly
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

/** Reads a sketch written by encodeSketch; throws on anything else. */
export function decodeSketch(buf: Uint8Array): Sketch {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
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
  const s = createSketch();
  const zero = readVarint();
  const bins = readVarint();
  let key = 0;
  let count = zero;
  for (let i = 0; i < bins; i++) {
    key += unzigzag(readVarint());
    const c = readVarint();
    s.store.add(key, c);
    count += c;
  }
  s.zeroCount = zero;
  s.count = count;
  if (count > 0) {
    s.min = b.readDoubleLE(1);
    s.max = b.readDoubleLE(9);
  }
  s.sum = b.readDoubleLE(17);
  return s;
}

/** The quantile, clamped to the exact min and max the sketch saw; null when empty. */
export function quantile(s: Sketch, q: number): number | null {
  if (s.count === 0) return null;
  if (q <= 0) return s.min;
  if (q >= 1) return s.max;
  const v = s.getValueAtQuantile(q);
  return Math.min(s.max, Math.max(s.min, v));
}

export type SketchSummary = { count: number; min: number | null; max: number | null; mean: number | null; p50: number | null; p95: number | null; p99: number | null };

export function summarize(s: Sketch): SketchSummary {
  if (s.count === 0) return { count: 0, min: null, max: null, mean: null, p50: null, p95: null, p99: null };
  return { count: s.count, min: s.min, max: s.max, mean: s.sum / s.count, p50: quantile(s, 0.5), p95: quantile(s, 0.95), p99: quantile(s, 0.99) };
}
