/**
 * Hiding secret values. Redaction works on values, never on serialized text: `value()` walks a plain
 * object (a run result, an alert event, log fields) and rewrites only its string leaves, so numbers,
 * booleans and the JSON around them are never touched, and a secret is replaced before anything is
 * serialized, cut short or escaped. Callers that cut text (evidence quotes) redact first, then cut.
 *
 * A secret is found in a string as written, URL-encoded (`%2F`, and `+` for spaces as forms send it)
 * and as it appears inside a JSON string (`\"`, `\\`), so an echo of it in any of those forms is hidden.
 */

/** Shortest value treated as a secret: shorter ones would hide ordinary text everywhere they occur. */
export const MIN_SECRET_LENGTH = 4;

export type Redactor = {
  /** The text with every secret replaced by its label (`[secret:NAME]`). */
  (text: string): string;
  /** A copy of a plain value with every string leaf redacted; numbers, booleans and keys stay as they are. */
  value<T>(v: T): T;
  /** False when there is nothing to hide (both calls return their input). */
  readonly active: boolean;
};

/** The forms a secret can take in text a target, a URL or a JSON document gives back. */
function formsOf(value: string): string[] {
  const encoded = encodeURIComponent(value);
  return [...new Set([value, encoded, encoded.replace(/%20/g, '+'), JSON.stringify(value).slice(1, -1)])];
}

/**
 * A redactor for `secrets` (name → value). `label(name)` is what replaces a value (default
 * `[secret:NAME]`). Values shorter than `minLength` (default MIN_SECRET_LENGTH) are refused: config
 * reading reports them; values a journey extracts as secret are hidden whatever their length.
 */
export function createRedactor(
  secrets: Iterable<readonly [string, string]>,
  opts: { label?: (name: string) => string; minLength?: number } = {},
): Redactor {
  const label = opts.label ?? ((n: string) => `[secret:${n}]`);
  const min = opts.minLength ?? MIN_SECRET_LENGTH;
  const pairs: [string, string][] = [];
  for (const [name, value] of secrets) {
    if (value.length === 0) continue;
    if (value.length < min) throw new Error(`secret ${name} is shorter than ${min} characters`);
    for (const form of formsOf(value)) pairs.push([form, label(name)]);
  }
  if (pairs.length === 0) return NO_REDACTION;
  // Longest first, so a secret that contains another is replaced whole.
  pairs.sort((a, b) => b[0].length - a[0].length);
  return withValue((text) => {
    let out = text;
    for (const [form, replacement] of pairs) if (out.includes(form)) out = out.split(form).join(replacement);
    return out;
  }, true);
}

/** A redactor from a text function (e.g. one whose secrets grow during a run). */
export const redactorFrom = (text: (s: string) => string): Redactor => withValue(text, true);

function withValue(text: (s: string) => string, active: boolean): Redactor {
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object' || depth > 64) return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (v instanceof Error) return Object.assign(new Error(text(v.message)), { name: v.name });
    const proto = Object.getPrototypeOf(v);
    // Only plain data is walked (results, events, log fields); other objects are passed as they are.
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = walk((v as Record<string, unknown>)[k], depth + 1);
    return out;
  };
  const r = ((s: string) => text(s)) as Redactor;
  Object.defineProperties(r, {
    value: { value: <T>(v: T): T => (active ? (walk(v, 0) as T) : v) },
    active: { value: active },
  });
  return r;
}

/** Hides nothing. */
export const NO_REDACTION: Redactor = withValue((s) => s, false);
