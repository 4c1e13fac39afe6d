import { parseDuration } from './duration.js';

/** A latency percentile such as `p95` → 0.95; `max` → 1. */
export function parsePercentile(s: string): number | undefined {
  if (s === 'max') return 1;
  const m = /^p(\d{1,2}(?:\.\d+)?)$/.exec(s);
  if (!m) return undefined;
  const p = Number(m[1]) / 100;
  return p > 0 && p < 1 ? p : undefined;
}

/** Web Vitals a rule may name first (`lcp p75 > 2.5s over 15m`): browser monitors keep each as the series `vital:LCP`. */
export const RULE_VITALS = ['ttfb', 'fcp', 'lcp', 'cls', 'inp', 'tbt'] as const;
export type RuleVital = (typeof RULE_VITALS)[number];

export type RuleShorthand = (
  | { percentile: number; window: number; threshold: number }
  | { percentile: number; window: number; factor: number; baseline: number | 'same-hour-of-week' }
) & {
  /** The Web Vital the rule judges (its series `vital:LCP`), when it names one. */
  vital?: RuleVital;
};

const ABSOLUTE = /^(\S+)\s*>\s*(\S+)\s+over\s+(\S+)$/i;
const RELATIVE = /^(\S+)\s+over\s+(\S+)\s*>\s*(\d+(?:\.\d+)?)\s*x\s+baseline(?:\s+of)?(?:\s+(?:previous|last))?\s+(.+)$/i;

/**
 * Parses the shorthand forms
 *   `p95 > 800ms over 10m`
 *   `p95 over 10m > 2x baseline 7d`  (also `… > 2x baseline of previous 7d`, `… > 2x baseline same hour of week`)
 *   either one after a Web Vital, for browser monitors: `lcp p75 > 2.5s over 15m`, `cls p75 > 0.1 over 15m`,
 *   `inp p75 over 30m > 1.5x baseline 7d`
 * Returns an error message when the text is not one of them.
 */
export function parseRuleShorthand(text: string): RuleShorthand | string {
  let t = text.trim().replace(/\s+/g, ' ');
  const hint = 'expected e.g. "p95 > 800ms over 10m", "p95 over 10m > 2x baseline 7d" or, for a browser monitor, "lcp p75 > 2.5s over 15m"';
  // A leading Web Vital: `lcp p75 > 2.5s over 15m`, `cls p75 > 0.1 over 15m` (CLS is a score, not a time).
  const first = /^([a-z]+) (?=\S)/i.exec(t)?.[1].toLowerCase();
  const vital = RULE_VITALS.find((v) => v === first);
  if (vital) t = t.slice(first!.length + 1);
  const withVital = (r: RuleShorthand | string): RuleShorthand | string => (typeof r === 'string' || !vital ? r : { ...r, vital });
  return withVital(parse(t, text, hint, vital));
}

function parse(t: string, text: string, hint: string, vital: RuleVital | undefined): RuleShorthand | string {
  let m = ABSOLUTE.exec(t);
  if (m) {
    const percentile = parsePercentile(m[1].toLowerCase());
    const threshold = vital === 'cls' ? parseScore(m[2]) : parseDuration(m[2]);
    if (vital === 'cls' && threshold === undefined) return `not a CLS score: "${m[2]}" (CLS has no unit: e.g. 0.1)`;
    const window = parseDuration(m[3]);
    if (percentile === undefined) return `not a percentile: "${m[1]}" (use p50, p95, p99 or max)`;
    if (threshold === undefined) return `not a duration: "${m[2]}"`;
    if (window === undefined || window < 60_000) return `window must be a duration of at least 1m: "${m[3]}"`;
    return { percentile, window, threshold };
  }
  m = RELATIVE.exec(t);
  if (m) {
    const percentile = parsePercentile(m[1].toLowerCase());
    const window = parseDuration(m[2]);
    const factor = Number(m[3]);
    if (percentile === undefined) return `not a percentile: "${m[1]}" (use p50, p95, p99 or max)`;
    if (window === undefined || window < 60_000) return `window must be a duration of at least 1m: "${m[2]}"`;
    if (!(factor > 1)) return `the factor must be greater than 1 (got ${m[3]})`;
    const b = parseBaseline(m[4]);
    if (typeof b === 'string') return b;
    return { percentile, window, factor, baseline: b.baseline };
  }
  return `cannot read rule "${text}": ${hint}`;
}

/** A unitless score (CLS): a plain non-negative number. */
function parseScore(s: string): number | undefined {
  const n = Number(s);
  return /^\d+(\.\d+)?$/.test(s) && Number.isFinite(n) ? n : undefined;
}

/** `7d` (the previous 7 days) or `same hour of week` / `same-hour-of-week`. */
export function parseBaseline(s: string): { baseline: number | 'same-hour-of-week' } | string {
  const t = s.trim().toLowerCase().replace(/[\s_]+/g, '-');
  if (t === 'same-hour-of-week' || t === 'same-hour-of-the-week') return { baseline: 'same-hour-of-week' };
  const d = parseDuration(s.trim());
  if (d === undefined || d < 3_600_000) return `baseline must be a period of at least 1h (e.g. 7d) or "same hour of week" (got "${s}")`;
  if (d > 7 * 86_400_000) return `baseline can reach back at most 7d (got "${s}")`;
  return { baseline: d };
}
