import { gzipSync } from 'node:zlib';

export type Rendered = { body: Buffer; gzip(): Buffer };

function rendered(html: string): Rendered {
  const body = Buffer.from(html, 'utf8');
  let gz: Buffer | undefined;
  return { body, gzip: () => (gz ??= gzipSync(body, { level: 6 })) };
}

/**
 * Keeps rendered pages for a short time (the public status page is what everyone opens during an incident),
 * as bytes, with a gzip copy made once on first demand. `invalidate()` marks everything stale, e.g. when new
 * runs are written; a stale page is still served until it is `minAgeMs` old, so a steady stream of writes
 * cannot force a render per request. A ttl of 0 disables caching.
 */
export function createRenderCache(opts: { ttlMs: number; minAgeMs?: number; now?: () => number; maxEntries?: number }) {
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 32;
  const minAge = Math.min(opts.minAgeMs ?? 1000, opts.ttlMs);
  const entries = new Map<string, { at: number; stale: boolean; page: Rendered }>();
  return {
    get(key: string, render: () => string): Rendered {
      if (opts.ttlMs <= 0) return rendered(render());
      const t = now();
      const hit = entries.get(key);
      if (hit && (t - hit.at < minAge || (!hit.stale && t - hit.at < opts.ttlMs))) return hit.page;
      const page = rendered(render());
      if (entries.size >= max) entries.clear();
      entries.set(key, { at: t, stale: false, page });
      return page;
    },
    invalidate() {
      for (const e of entries.values()) e.stale = true;
    },
  };
}

export type RenderCache = ReturnType<typeof createRenderCache>;
