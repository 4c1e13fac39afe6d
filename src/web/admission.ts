/**
 * Admission control for the expensive endpoints (monitor pages, series, the API): during an incident
 * rush a request that cannot be served soon gets a quick 503 with Retry-After instead of joining a
 * queue that only grows. Two signals shed load: too many of these requests in flight at once (they
 * await the database), and a main event loop that is already running late (work done synchronously
 * queues in the loop, where no counter sees it).
 */
import type { MiddlewareHandler } from 'hono';

export type AdmissionOptions = {
  /** Most expensive requests in flight at once (default 32). */
  maxInFlight?: number;
  /** Shed while the main loop's recent delay is above this (ms, default 500). */
  maxLagMs?: number;
  /** The main event loop's delay over the last second (ms). */
  lag?: () => number;
  /** Seconds a shed client is asked to wait (default 2). */
  retryAfterS?: number;
};

export type Admission = { middleware: MiddlewareHandler; stats(): { inFlight: number; shed: number } };

export function createAdmission(opts: AdmissionOptions = {}): Admission {
  const max = opts.maxInFlight ?? 32;
  const maxLag = opts.maxLagMs ?? 500;
  let inFlight = 0;
  let shed = 0;
  return {
    middleware: async (c, next) => {
      if (inFlight >= max || (opts.lag?.() ?? 0) > maxLag) {
        shed++;
        return c.text('halftime is busy; try again in a moment', 503, { 'retry-after': String(opts.retryAfterS ?? 2), 'cache-control': 'no-store' });
      }
      inFlight++;
      try {
        await next();
      } finally {
        inFlight--;
      }
    },
    stats: () => ({ inFlight, shed }),
  };
}
