/**
 * Rendered responses kept in memory for everyone who asks: the public status page is what everyone
 * opens during an incident, so it is rendered once per change (or refresh interval) and served as
 * bytes, gzipped once, with an ETag and Last-Modified for 304s and a Cache-Control that lets a CDN
 * or reverse proxy hold it too.
 *
 * - `invalidate()` marks entries stale (new runs were written); a stale entry is still served until
 *   it is `minAgeMs` old, so a steady stream of writes cannot force a render per request.
 * - Renders are single-flight: while one is in progress, every other request for the same key waits
 *   for it instead of starting its own.
 * - A ttl of 0 disables keeping (every request renders), for tests that want fresh pages.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Context } from 'hono';

export type CachedPage = {
  body: Buffer;
  gzip: Buffer;
  etag: string;
  /** Epoch ms of the render. */
  at: number;
  type: string;
};

export function cachedPage(body: string | Buffer, type: string, at: number): CachedPage {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const etag = `"${createHash('sha1').update(bytes).digest('base64url').slice(0, 22)}"`;
  return { body: bytes, gzip: gzipSync(bytes, { level: 6 }), etag, at, type };
}

export type PageCacheOptions = {
  ttlMs: number;
  minAgeMs?: number;
  now?: () => number;
  maxEntries?: number;
  /** Most bytes kept (bodies and their gzip copies); the oldest entries go first. Default 64 MiB. */
  maxBytes?: number;
};

export type PageCache = {
  get(key: string, render: () => string | Promise<string>, type?: string): Promise<CachedPage>;
  /** Marks entries stale: all, or those whose key starts with `prefix`. */
  invalidate(prefix?: string): void;
  readonly size: number;
  readonly bytes: number;
};

export function createPageCache(opts: PageCacheOptions): PageCache {
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 256;
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  let bytes = 0;
  const sizeOf = (p: CachedPage) => p.body.length + p.gzip.length;
  const drop = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    bytes -= sizeOf(e.page);
    entries.delete(key);
  };
  const minAge = Math.min(opts.minAgeMs ?? 1000, opts.ttlMs);
  const entries = new Map<string, { page: CachedPage; stale: boolean }>();
  const inFlight = new Map<string, Promise<CachedPage>>();

  const fresh = (e: { page: CachedPage; stale: boolean } | undefined, t: number) =>
    !!e && (t - e.page.at < minAge || (!e.stale && t - e.page.at < opts.ttlMs));

  return {
    async get(key, render, type = 'text/html; charset=UTF-8') {
      const t = now();
      const hit = entries.get(key);
      if (opts.ttlMs > 0 && fresh(hit, t)) return hit!.page;
      const running = inFlight.get(key);
      if (running) return running;
      const p = (async () => {
        try {
          const page = cachedPage(await render(), type, t);
          if (opts.ttlMs > 0) {
            drop(key);
            // Oldest first (a Map keeps insertion order; a re-render moves the key to the end).
            while (entries.size > 0 && (entries.size >= max || bytes + sizeOf(page) > maxBytes)) drop(entries.keys().next().value!);
            entries.set(key, { page, stale: false });
            bytes += sizeOf(page);
          }
          return page;
        } finally {
          inFlight.delete(key);
        }
      })();
      inFlight.set(key, p);
      return p;
    },
    invalidate(prefix) {
      for (const [k, e] of entries) if (prefix === undefined || k.startsWith(prefix)) e.stale = true;
    },
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
  };
}

const view = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);

/**
 * Sends a cached page: 304 when the client (or a proxy) already holds this version, gzip when it
 * accepts it. `maxAge` (seconds) lets shared caches keep it briefly; they revalidate with the ETag.
 */
export function sendCached(c: Context, page: CachedPage, opts: { maxAge?: number; private?: boolean } = {}): Response {
  const headers: Record<string, string> = {
    'content-type': page.type,
    vary: 'accept-encoding',
    etag: page.etag,
    'last-modified': new Date(page.at).toUTCString(),
    'cache-control': opts.private ? 'private, no-cache' : `public, max-age=${opts.maxAge ?? 5}, stale-while-revalidate=30`,
  };
  const inm = c.req.header('if-none-match');
  if (inm && inm.split(',').some((t) => t.trim() === page.etag || t.trim() === `W/${page.etag}`)) return c.body(null, 304, headers);
  if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '') && page.body.length > 1024) {
    headers['content-encoding'] = 'gzip';
    return c.body(view(page.gzip), 200, headers);
  }
  return c.body(view(page.body), 200, headers);
}
