import { isDeepStrictEqual } from 'node:util';
import type { ExpectConfig } from '../config/schema.js';
import { queryJson } from '../lang/json-path.js';
import type { Evidence } from './types.js';

export type Observed = {
  status: number;
  body: string;
  latencyMs: number;
  headers?: Record<string, string>;
  bytes?: number;
  /** bodyContains/bodyNotContains strings already looked for while the body streamed in (body.ts). */
  found?: ReadonlyMap<string, boolean>;
};

type Quote = { quote(s: string): string; show(v: unknown): string };

/** Evidence quotes are cut to 80 characters — after secrets are hidden, so a cut never splits one. */
function quoting(redact: (s: string) => string): Quote {
  const quote = (raw: string) => {
    const s = redact(raw);
    return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
  };
  return { quote, show: (v) => (v === undefined ? 'missing' : quote(typeof v === 'string' ? v : JSON.stringify(v))) };
}

/** Whether the body contains `needle`: as found while it streamed, or in its text. */
const bodyHas = (seen: Observed, needle: string) => seen.found?.get(needle) ?? seen.body.includes(needle);

/**
 * Checks a response against the step's expectations; every check is kept as evidence. `redact`
 * hides secrets in what the evidence quotes (a token echoed in a header or body) before it is cut.
 */
export function evaluateExpect(expect: ExpectConfig, seen: Observed, redact: (s: string) => string = (s) => s): Evidence[] {
  const q = quoting(redact);
  const { quote } = q;
  const out: Evidence[] = [];
  if (expect.status) {
    out.push({ what: 'status', expected: expect.status.join(' or '), actual: String(seen.status), pass: expect.status.includes(seen.status) });
  } else {
    out.push({ what: 'status', expected: '2xx or 3xx', actual: String(seen.status), pass: seen.status >= 200 && seen.status < 400 });
  }
  for (const needle of expect.bodyContains ?? []) {
    const found = bodyHas(seen, needle);
    out.push({ what: 'body contains', expected: quote(needle), actual: found ? 'found' : 'not found', pass: found });
  }
  for (const needle of expect.bodyNotContains ?? []) {
    const found = bodyHas(seen, needle);
    out.push({ what: 'body does not contain', expected: quote(needle), actual: found ? 'found' : 'not found', pass: !found });
  }
  for (const pattern of expect.bodyMatches ?? []) {
    const m = new RegExp(pattern).exec(seen.body);
    out.push({ what: 'body matches', expected: `/${pattern}/`, actual: m ? `matched ${quote(m[0])}` : 'no match', pass: !!m });
  }
  if (expect.json) out.push(...jsonChecks(expect.json, seen.body, q));
  for (const [name, check] of Object.entries(expect.headers ?? {})) out.push(headerCheck(name, check, seen.headers ?? {}, q));
  if (expect.maxBytes !== undefined && seen.bytes !== undefined) {
    out.push({ what: 'response size', expected: `<= ${expect.maxBytes} bytes`, actual: `${seen.bytes} bytes`, pass: seen.bytes <= expect.maxBytes });
  }
  if (expect.minBytes !== undefined && seen.bytes !== undefined) {
    out.push({ what: 'response size', expected: `>= ${expect.minBytes} bytes`, actual: `${seen.bytes} bytes`, pass: seen.bytes >= expect.minBytes });
  }
  if (expect.maxLatency !== undefined) {
    out.push({ what: 'latency', expected: `<= ${expect.maxLatency} ms`, actual: `${Math.round(seen.latencyMs)} ms`, pass: seen.latencyMs <= expect.maxLatency });
  }
  return out;
}

function jsonChecks(checks: NonNullable<ExpectConfig['json']>, body: string, { quote, show }: Quote): Evidence[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return checks.map((c) => ({ what: `json ${c.path}`, expected: 'a JSON body', actual: 'not JSON', pass: false }));
  }
  const out: Evidence[] = [];
  for (const c of checks) {
    const values = queryJson(doc, c.path);
    const value = values.length > 1 ? values : values[0];
    const what = `json ${c.path}`;
    const hasOther = c.equals !== undefined || c.contains !== undefined || [c.gt, c.gte, c.lt, c.lte].some((n) => n !== undefined);
    if (c.exists !== undefined || !hasOther) {
      const want = c.exists ?? true;
      out.push({ what, expected: want ? 'exists' : 'absent', actual: values.length ? `exists (${show(value)})` : 'absent', pass: (values.length > 0) === want });
    }
    if (c.equals !== undefined) out.push({ what, expected: `equals ${show(c.equals)}`, actual: show(value), pass: isDeepStrictEqual(value, c.equals) || (typeof c.equals === 'string' && typeof value === 'number' && String(value) === c.equals) });
    if (c.contains !== undefined) {
      const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
      out.push({ what, expected: `contains ${quote(c.contains)}`, actual: show(value), pass: value !== undefined && text.includes(c.contains) });
    }
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Array.isArray(value) ? value.length : NaN;
    const cmp: [string, number | undefined, (a: number, b: number) => boolean][] = [
      ['>', c.gt, (a, b) => a > b],
      ['>=', c.gte, (a, b) => a >= b],
      ['<', c.lt, (a, b) => a < b],
      ['<=', c.lte, (a, b) => a <= b],
    ];
    for (const [op, limit, ok] of cmp) {
      if (limit === undefined) continue;
      out.push({ what, expected: `${op} ${limit}`, actual: Number.isFinite(n) ? String(n) : show(value), pass: Number.isFinite(n) && ok(n, limit) });
    }
  }
  return out;
}

type HeaderCheck = NonNullable<ExpectConfig['headers']>[string];

function headerCheck(name: string, check: HeaderCheck, headers: Record<string, string>, { quote }: Quote): Evidence {
  const actual = headers[name.toLowerCase()];
  const what = `header ${name.toLowerCase()}`;
  const shown = actual === undefined ? 'missing' : quote(actual);
  if (typeof check === 'string') return { what, expected: `contains ${quote(check)}`, actual: shown, pass: actual !== undefined && actual.includes(check) };
  if (check.exists !== undefined) return { what, expected: check.exists ? 'present' : 'absent', actual: shown, pass: (actual !== undefined) === check.exists };
  if (check.equals !== undefined) return { what, expected: `equals ${quote(check.equals)}`, actual: shown, pass: actual === check.equals };
  if (check.matches !== undefined) return { what, expected: `matches /${check.matches}/`, actual: shown, pass: actual !== undefined && new RegExp(check.matches).test(actual) };
  if (check.contains !== undefined) return { what, expected: `contains ${quote(check.contains)}`, actual: shown, pass: actual !== undefined && actual.includes(check.contains) };
  return { what, expected: 'present', actual: shown, pass: actual !== undefined };
}
