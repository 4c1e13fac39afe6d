import { performance } from 'node:perf_hooks';
import type { CheerioAPI } from 'cheerio';
import type { AssetsConfig } from '../config/step-schema.js';
import type { Cookies } from './cookies.js';
import { exchange, splitUrl } from './exchange.js';
import { DEFAULT_HEADERS } from './http-step.js';
import type { Session } from './session.js';
import type { AssetSummary } from './types.js';

/**
 * Fetches the CSS, JS, images and fonts a page references, as a browser would: same origin by
 * default, at most `perOrigin` at a time per origin, with the visitor's cookies, plus the fonts and
 * images the fetched stylesheets point at. Each asset is timed on its own (they run in parallel,
 * so the page's phase breakdown is not touched); the summary goes on the page's step.
 */
export type AssetOptions = {
  session: Session;
  cookies?: Cookies;
  signal?: AbortSignal;
  timeoutMs: number;
  /** The visitor's browser cache: assets fetched earlier with a fresh, cacheable response are not fetched again. */
  cache?: AssetCache;
  /** Clock for freshness (epoch ms; default Date.now). */
  now?: () => number;
  /** More request headers for every asset (the page step's `traceparent`). */
  headers?: Record<string, string>;
};

/** Asset URL → epoch ms until which the visitor reuses it without asking again. */
export type AssetCache = Map<string, number>;

const YEAR = 365 * 86_400_000;

/** How long a browser would reuse this response without asking again (0: not at all). */
function freshFor(cc: string | undefined): number {
  const v = String(cc ?? '').toLowerCase();
  if (/no-store|no-cache/.test(v)) return 0;
  const maxAge = /max-age=(\d+)/.exec(v);
  if (maxAge) return Number(maxAge[1]) * 1000;
  return /immutable/.test(v) ? YEAR : 0;
}

type Settings = { origins: string[]; max: number; perOrigin: number };

export const assetSettings = (cfg: AssetsConfig | undefined): Settings | undefined =>
  !cfg ? undefined : cfg === true ? { origins: [], max: 100, perOrigin: 6 } : { origins: cfg.origins, max: cfg.max, perOrigin: cfg.perOrigin };

/** URLs of the assets an HTML document references, resolved against its URL. */
export function findAssets($: CheerioAPI, pageUrl: string): string[] {
  const out: string[] = [];
  // A <base href> changes what relative references point at, as in a browser.
  let base = pageUrl;
  try {
    const href = $('base[href]').first().attr('href');
    if (href) base = new URL(href, pageUrl).toString();
  } catch {
    /* keep the page URL */
  }
  const add = (v: string | undefined) => {
    if (!v || v.startsWith('data:') || v.startsWith('#')) return;
    try {
      out.push(new URL(v.trim(), base).toString().replace(/#.*$/, ''));
    } catch {
      /* not a URL: a browser would skip it too */
    }
  };
  $('link[href]').each((_, el) => {
    const rel = ($(el).attr('rel') ?? '').toLowerCase().split(/\s+/);
    const as = ($(el).attr('as') ?? '').toLowerCase();
    if (rel.includes('stylesheet') || rel.includes('icon') || rel.includes('modulepreload') || (rel.includes('preload') && ['style', 'script', 'font', 'image'].includes(as)))
      add($(el).attr('href'));
  });
  $('script[src]').each((_, el) => add($(el).attr('src')));
  $('img[src], input[type="image"][src], source[src]').each((_, el) => add($(el).attr('src')));
  $('img[srcset], source[srcset]').each((_, el) => add($(el).attr('srcset')?.split(',')[0]?.trim().split(/\s+/)[0]));
  $('video[poster]').each((_, el) => add($(el).attr('poster')));
  return out;
}

const CSS_URL = /url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3/g;

/** url(…) and @import references in a stylesheet (fonts, background images, more CSS). */
export function findCssRefs(css: string, cssUrl: string): string[] {
  const out: string[] = [];
  for (const m of css.matchAll(CSS_URL)) {
    const ref = m[2] ?? m[4];
    if (!ref || ref.startsWith('data:')) continue;
    try {
      out.push(new URL(ref, cssUrl).toString().replace(/#.*$/, ''));
    } catch {
      /* skip */
    }
    if (out.length >= 200) break;
  }
  return out;
}

/** Stylesheets up to this size are read for the fonts and images they point at. */
const CSS_LIMIT = 2_000_000;

export async function fetchAssets($: CheerioAPI, pageUrl: string, cfg: Settings, opts: AssetOptions): Promise<AssetSummary> {
  const now = opts.now ?? Date.now;
  const t0 = performance.now();
  const startedAt = Date.now();
  const pageOrigin = new URL(pageUrl).origin;
  const allowed = (u: string) => {
    const o = new URL(u).origin;
    return o === pageOrigin || cfg.origins.includes('*') || cfg.origins.some((x) => x.replace(/\/+$/, '') === o);
  };
  const seen = new Set<string>();
  const items: AssetSummary['items'] = [];
  const queues = new Map<string, { waiting: string[]; active: number }>();
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
  let resolveAll!: () => void;
  const done = new Promise<void>((r) => (resolveAll = r));
  let inFlight = 0;

  let cached = 0;
  const enqueue = (u: string) => {
    if (seen.has(u) || seen.size >= cfg.max || !allowed(u)) return;
    seen.add(u);
    if ((opts.cache?.get(u) ?? 0) > now()) {
      cached++;
      return;
    }
    const origin = new URL(u).origin;
    let q = queues.get(origin);
    if (!q) queues.set(origin, (q = { waiting: [], active: 0 }));
    q.waiting.push(u);
    pump(q);
  };
  const pump = (q: { waiting: string[]; active: number }) => {
    while (q.active < cfg.perOrigin && q.waiting.length > 0) {
      const u = q.waiting.shift()!;
      q.active++;
      inFlight++;
      void fetchOne(u).finally(() => {
        q.active--;
        inFlight--;
        pump(q);
        if (inFlight === 0) resolveAll();
      });
    }
  };
  const fetchOne = async (u: string) => {
    const start = performance.now();
    const item: AssetSummary['items'][number] = { url: u, bytes: 0, ms: 0, at: start - t0 };
    items.push(item);
    try {
      const headers: Record<string, string> = { ...DEFAULT_HEADERS, ...opts.headers, referer: pageUrl };
      const cookie = opts.cookies?.header(u);
      if (cookie) headers.cookie = cookie;
      const { origin, path } = splitUrl(u);
      let stop: (() => void) | undefined;
      const x = await exchange(opts.session.dispatcher, { origin, path, method: 'GET', headers, maxBodyBytes: Number.MAX_SAFE_INTEGER, keepBodyBytes: CSS_LIMIT }, (ex) => {
        stop = () => ex.abort(signal.reason as Error);
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      });
      signal.removeEventListener('abort', stop!);
      item.bytes = x.bytes;
      if (x.error !== undefined) throw x.error;
      item.status = x.status;
      const { headers: h, setCookie } = x.headers();
      if (setCookie.length) opts.cookies?.store(u, setCookie);
      const isCss = /text\/css/i.test(h['content-type'] ?? '') && !h['content-encoding'];
      if (x.status >= 400) item.error = `status ${x.status}`;
      else {
        const fresh = opts.cache ? freshFor(h['cache-control']) : 0;
        if (fresh > 0) opts.cache!.set(u, now() + fresh);
        if (isCss && x.bytes <= CSS_LIMIT) for (const ref of findCssRefs(x.body().toString('utf8'), u)) enqueue(ref);
      }
    } catch (err) {
      item.error = signal.aborted ? 'timed out' : ((err as { code?: string }).code ?? (err as Error).message);
    } finally {
      item.ms = performance.now() - start;
    }
  };

  for (const u of findAssets($, pageUrl)) enqueue(u);
  if (inFlight > 0) await done;
  const slowest = items.reduce<(typeof items)[number] | undefined>((a, b) => (!a || b.ms > a.ms ? b : a), undefined);
  return {
    count: items.length,
    cached,
    failed: items.filter((i) => i.error).length,
    bytes: items.reduce((s, i) => s + i.bytes, 0),
    totalMs: performance.now() - t0,
    slowest: slowest ? { url: slowest.url, ms: slowest.ms } : undefined,
    startedAt,
    items,
  };
}
