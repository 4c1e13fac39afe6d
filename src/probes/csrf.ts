import type { CheerioAPI } from 'cheerio';
import type { CsrfConfig } from '../config/step-schema.js';
import type { Cookies } from './cookies.js';

/**
 * CSRF tokens without regexes. The token comes from the last HTML page (a hidden form field, or a
 * <meta> tag) or from a cookie, and goes back the way the framework expects:
 *   Django   csrfmiddlewaretoken field / csrftoken cookie  → field, or X-CSRFToken header
 *   Rails    authenticity_token field / csrf-token meta     → field, or X-CSRF-Token header
 *   Laravel  _token field / csrf-token meta / XSRF-TOKEN    → field, X-CSRF-TOKEN or X-XSRF-TOKEN
 *   SPA double-submit: XSRF-TOKEN (or csrf_token…) cookie  → X-XSRF-TOKEN (or X-CSRF-Token) header
 */

/** Known hidden-field names, most specific first, and the header the same framework reads. */
export const CSRF_FIELDS: Record<string, string> = {
  csrfmiddlewaretoken: 'x-csrftoken',
  authenticity_token: 'x-csrf-token',
  _token: 'x-csrf-token',
  _csrf: 'x-csrf-token',
  csrf_token: 'x-csrftoken',
  __RequestVerificationToken: 'requestverificationtoken',
  _csrf_token: 'x-csrf-token',
  csrf: 'x-csrf-token',
};

/** Known token cookies and the header that echoes them. */
export const CSRF_COOKIES: Record<string, string> = {
  csrftoken: 'x-csrftoken',
  'XSRF-TOKEN': 'x-xsrf-token',
  'CSRF-TOKEN': 'x-csrf-token',
  csrf_token: 'x-csrf-token',
};

export type CsrfPage = { url: string; html: () => CheerioAPI };

export type CsrfPlan = {
  token: string;
  /** Add this field to the form body. */
  field?: string;
  /** Or send this header. */
  header?: string;
  /** Where the token came from, for evidence (never the value). */
  from: string;
};

type Found = { token: string; from: string; field?: string; header: string };

function fromForms(page: CsrfPage | undefined, target: string, only?: string): Found | undefined {
  if (!page) return undefined;
  const $ = page.html();
  const forms = $('form').toArray().reverse();
  const names = only ? [only] : Object.keys(CSRF_FIELDS);
  let targetPath = '';
  try {
    targetPath = new URL(target).pathname;
  } catch {
    /* keep '' */
  }
  // Prefer the form that posts to the step's URL, else the last form holding a token.
  const ordered = [...forms.filter((f) => actionPath($(f).attr('action'), page.url) === targetPath), ...forms];
  for (const form of ordered) {
    for (const name of names) {
      const value = $(form).find(`input[name="${name}"]`).attr('value');
      if (value) return { token: value, from: `form field ${name}`, field: name, header: CSRF_FIELDS[name] ?? 'x-csrf-token' };
    }
  }
  return undefined;
}

function actionPath(action: string | undefined, base: string): string {
  try {
    return new URL(action ?? '', base).pathname;
  } catch {
    return '';
  }
}

function fromMeta(page: CsrfPage | undefined, only?: string): Found | undefined {
  if (!page) return undefined;
  const $ = page.html();
  for (const name of only ? [only] : ['csrf-token', '_csrf', 'csrf_token', 'xsrf-token']) {
    const token = $(`meta[name="${name}"]`).attr('content');
    if (!token) continue;
    const header = $('meta[name="_csrf_header"]').attr('content')?.toLowerCase() ?? 'x-csrf-token';
    const field = $('meta[name="csrf-param"]').attr('content');
    return { token, from: `meta ${name}`, field, header };
  }
  return undefined;
}

function fromCookie(cookies: Cookies, url: string, only?: string): Found | undefined {
  for (const name of only ? [only] : Object.keys(CSRF_COOKIES)) {
    const raw = cookies.get(url, name);
    if (!raw) continue;
    let token = raw;
    try {
      token = decodeURIComponent(raw);
    } catch {
      /* keep raw */
    }
    return { token, from: `cookie ${name}`, header: CSRF_COOKIES[name] ?? 'x-csrf-token' };
  }
  return undefined;
}

/**
 * Decides how to send a CSRF token with a request to `url`. Returns undefined when no token is to
 * be had (the caller decides whether that is a failure).
 */
export function planCsrf(cfg: Exclude<CsrfConfig, false>, req: { url: string; hasForm: boolean }, page: CsrfPage | undefined, cookies: Cookies): CsrfPlan | undefined {
  if (cfg === 'auto') {
    if (req.hasForm) {
      const f = fromForms(page, req.url) ?? fromMeta(page);
      if (f?.field) return { token: f.token, field: f.field, from: f.from };
      const c = fromCookie(cookies, req.url) ?? f;
      return c ? { token: c.token, header: c.header, from: c.from } : undefined;
    }
    const f = fromCookie(cookies, req.url) ?? fromMeta(page) ?? fromForms(page, req.url);
    return f ? { token: f.token, header: f.header, from: f.from } : undefined;
  }
  const f =
    (cfg.field !== undefined ? fromForms(page, req.url, cfg.field) : undefined) ??
    (cfg.meta !== undefined ? fromMeta(page, cfg.meta) : undefined) ??
    (cfg.cookie !== undefined ? fromCookie(cookies, req.url, cfg.cookie) : undefined) ??
    (cfg.field === undefined && cfg.meta === undefined && cfg.cookie === undefined ? (fromForms(page, req.url) ?? fromMeta(page) ?? fromCookie(cookies, req.url)) : undefined);
  if (!f) return undefined;
  if (cfg.header) return { token: f.token, header: cfg.header.toLowerCase(), from: f.from };
  const field = cfg.field ?? f.field;
  if (req.hasForm && field) return { token: f.token, field, from: f.from };
  return { token: f.token, header: f.header, from: f.from };
}

/** Where a plan looked, for the failure message when nothing was found. */
export function csrfLookedFor(cfg: Exclude<CsrfConfig, false>): string {
  if (cfg === 'auto') return `a hidden form field (${Object.keys(CSRF_FIELDS).join(', ')}), a csrf-token <meta> or a cookie (${Object.keys(CSRF_COOKIES).join(', ')})`;
  return [cfg.field && `form field ${cfg.field}`, cfg.meta && `meta ${cfg.meta}`, cfg.cookie && `cookie ${cfg.cookie}`].filter(Boolean).join(', ') || 'a token';
}
