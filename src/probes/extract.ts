import type { CheerioAPI } from 'cheerio';
import type { ExtractConfig } from '../config/step-schema.js';
import type { Cookies } from './cookies.js';
import { queryJson } from '../lang/json-path.js';
import type { Rng } from './random.js';

/** What a response offers to extract from. `html` parses the body once, on demand. */
export type Extractable = {
  status: number;
  body: string;
  headers: Record<string, string>;
  url: string;
  cookies?: Cookies;
  html: () => CheerioAPI;
};

export type ExtractOutcome = {
  values: Record<string, unknown>;
  /** One message per extraction that found nothing (and was not optional). */
  failures: string[];
  /** Names whose values must never be shown. */
  secret: string[];
};

function describe(e: ExtractConfig): string {
  if (e.json !== undefined) return `JSON path ${e.json}`;
  if (e.regex !== undefined) return `regex /${e.regex}/${e.group !== undefined ? ` group ${e.group}` : ''}`;
  if (e.css !== undefined) return `CSS ${e.css}${e.attr ? ` @${e.attr}` : ''}`;
  if (e.header !== undefined) return `header ${e.header}`;
  if (e.cookie !== undefined) return `cookie ${e.cookie}`;
  return 'status';
}

function matches(e: ExtractConfig, r: Extractable): unknown[] {
  if (e.status) return [r.status];
  if (e.header !== undefined) {
    const v = r.headers[e.header.toLowerCase()];
    return v === undefined ? [] : [v];
  }
  if (e.cookie !== undefined) {
    const v = r.cookies?.get(r.url, e.cookie);
    return v === undefined ? [] : [v];
  }
  if (e.json !== undefined) {
    let doc: unknown;
    try {
      doc = JSON.parse(r.body);
    } catch {
      throw new Error('the body is not JSON');
    }
    return queryJson(doc, e.json);
  }
  if (e.regex !== undefined) {
    const re = new RegExp(e.regex, 'g');
    const out: string[] = [];
    for (const m of r.body.matchAll(re)) {
      const group = e.group ?? (m.length > 1 ? 1 : 0);
      const v = typeof group === 'string' ? m.groups?.[group] : m[group];
      if (v !== undefined) out.push(v);
      if (out.length >= 10_000) break;
    }
    return out;
  }
  const $ = r.html();
  const out: string[] = [];
  $(e.css!).each((_, el) => {
    const v = e.attr ? $(el).attr(e.attr) : $(el).text().trim();
    if (v !== undefined) out.push(v);
  });
  return out;
}

function fallBack(name: string, e: ExtractConfig, out: ExtractOutcome): boolean {
  if (e.default !== undefined) out.values[name] = e.default;
  else if (e.optional) out.values[name] = '';
  else return false;
  return true;
}

/** Runs a step's extractions. A missing value is a failure naming the variable and where it looked. */
export function extractAll(defs: Record<string, ExtractConfig>, r: Extractable, rng: Rng): ExtractOutcome {
  const out: ExtractOutcome = { values: {}, failures: [], secret: [] };
  for (const [name, e] of Object.entries(defs)) {
    if (e.secret) out.secret.push(name);
    let found: unknown[];
    try {
      found = matches(e, r);
    } catch (err) {
      if (!fallBack(name, e, out)) out.failures.push(`extract ${name}: ${describe(e)}: ${(err as Error).message}`);
      continue;
    }
    if (found.length === 0) {
      if (!fallBack(name, e, out)) out.failures.push(`extract ${name}: nothing matched ${describe(e)}`);
      continue;
    }
    out.values[name] = e.pick === 'all' ? found : e.pick === 'last' ? found.at(-1) : e.pick === 'random' ? rng.pick(found) : found[0];
  }
  return out;
}
