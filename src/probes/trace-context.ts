/**
 * W3C Trace Context for probe requests: a run gets a trace id and its own span id, each step a span
 * id, and every request of the step carries `traceparent: 00-<trace>-<step span>-01` (plus the
 * configured `tracestate`), so the backend's traces of those requests join the run's trace.
 *
 * Ids come from a pooled block of random bytes (one `randomFillSync` per 4 KiB, ~100 runs), so a
 * traced step costs a slice of hex and a short string, not a system call.
 */
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.alloc(4096);
let offset = POOL.length;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const hex = POOL.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** A new trace id: 32 lowercase hex digits, never all zeros (invalid in W3C Trace Context). */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE) id = randomHex(16);
  return id;
}

/** A new span id: 16 lowercase hex digits, never all zeros. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN) id = randomHex(8);
  return id;
}

/**
 * The `traceparent` value: version 00, the trace, the calling span, flags 01 (sampled), so a backend
 * with a parent-based sampler keeps the traces of synthetic runs and the run's trace link finds them.
 */
export const traceparent = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;

/** Tracing settings of a journey runner: off, or on with an optional `tracestate` to send along. */
export type TraceSettings = false | { tracestate?: string };
