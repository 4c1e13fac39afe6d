export type LoginLimiter = {
  /** Milliseconds until this key may try again, or 0 when it may try now. */
  retryAfter(key: string, now?: number): number;
  fail(key: string, now?: number): void;
  succeed(key: string): void;
};

/**
 * Failed logins per client address in a fixed window: after `max` failures the address must wait for the
 * window to end. Kept in memory (a restart forgets it); at most `maxKeys` addresses are tracked.
 */
export function createLoginLimiter(opts: { max?: number; windowMs?: number; maxKeys?: number } = {}): LoginLimiter {
  const max = opts.max ?? 5;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  const maxKeys = opts.maxKeys ?? 10_000;
  const entries = new Map<string, { count: number; resetAt: number }>();

  const prune = (now: number) => {
    for (const [k, e] of entries) if (e.resetAt <= now) entries.delete(k);
    // Still full: forget the oldest entries (Map keeps insertion order).
    for (const k of entries.keys()) {
      if (entries.size < maxKeys) break;
      entries.delete(k);
    }
  };

  return {
    retryAfter(key, now = Date.now()) {
      const e = entries.get(key);
      if (!e || e.resetAt <= now) return 0;
      return e.count >= max ? e.resetAt - now : 0;
    },
    fail(key, now = Date.now()) {
      let e = entries.get(key);
      if (!e || e.resetAt <= now) {
        if (entries.size >= maxKeys) prune(now);
        e = { count: 0, resetAt: now + windowMs };
        entries.set(key, e);
      }
      e.count++;
    },
    succeed(key) {
      entries.delete(key);
    },
  };
}
