/**
 * Keeps rendered pages for a short time (the public status page is what everyone opens during an incident).
 * `invalidate()` drops everything, e.g. when new runs are written. A ttl of 0 disables caching.
 */
export function createRenderCache(opts: { ttlMs: number; now?: () => number; maxEntries?: number }) {
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 32;
  const entries = new Map<string, { at: number; body: string }>();
  return {
    get(key: string, render: () => string): string {
      if (opts.ttlMs <= 0) return render();
      const t = now();
      const hit = entries.get(key);
      if (hit && t - hit.at < opts.ttlMs) return hit.body;
      const body = render();
      if (entries.size >= max) entries.clear();
      entries.set(key, { at: t, body });
      return body;
    },
    invalidate() {
      entries.clear();
    },
  };
}

export type RenderCache = ReturnType<typeof createRenderCache>;
