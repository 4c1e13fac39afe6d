import type { ExpectConfig } from '../config/schema.js';
import type { Evidence } from './types.js';

export type Observed = { status: number; body: string; latencyMs: number };

const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);

/** Checks a response against the step's expectations; every check is kept as evidence. */
export function evaluateExpect(expect: ExpectConfig, seen: Observed): Evidence[] {
  const out: Evidence[] = [];
  if (expect.status) {
    out.push({ what: 'status', expected: expect.status.join(' or '), actual: String(seen.status), pass: expect.status.includes(seen.status) });
  } else {
    out.push({ what: 'status', expected: '2xx or 3xx', actual: String(seen.status), pass: seen.status >= 200 && seen.status < 400 });
  }
  for (const needle of expect.bodyContains ?? []) {
    const found = seen.body.includes(needle);
    out.push({ what: 'body contains', expected: quote(needle), actual: found ? 'found' : 'not found', pass: found });
  }
  for (const needle of expect.bodyNotContains ?? []) {
    const found = seen.body.includes(needle);
    out.push({ what: 'body does not contain', expected: quote(needle), actual: found ? 'found' : 'not found', pass: !found });
  }
  if (expect.maxLatency !== undefined) {
    out.push({ what: 'latency', expected: `<= ${expect.maxLatency} ms`, actual: `${Math.round(seen.latencyMs)} ms`, pass: seen.latencyMs <= expect.maxLatency });
  }
  return out;
}
