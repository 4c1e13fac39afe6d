/**
 * What became of what halftime tried to export: counts per signal (sent, failed, dropped) for
 * `/metrics` and the log. A collector that is down, slow or answering 500 is logged once, then at
 * most once a minute per signal with the count since, so a long outage does not flood the log.
 */
import type { Logger } from '../log.js';

export type Signal = 'traces' | 'metrics' | 'load';

export type SignalCounts = {
  /** Export requests that succeeded / failed. */
  requests: { ok: number; failed: number };
  /** Items (spans, metric points) that reached the collector / were lost with a failed request / were dropped before sending. */
  items: { exported: number; failed: number; dropped: number };
};

export type ExportHealth = {
  counts(signal: Signal): SignalCounts;
  ok(signal: Signal, items: number): void;
  failed(signal: Signal, items: number, error: unknown): void;
  dropped(signal: Signal, items: number, why: string): void;
  /** The most recent failure, for the admin and /healthz. */
  lastError(): { signal: Signal; message: string; at: number } | undefined;
};

/** An exporter error in one line: the collector's HTTP status and what it said, or the network error. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error ?? 'export failed');
  const { code, data } = error as Error & { code?: unknown; data?: unknown };
  const said = typeof data === 'string' && data.trim() ? `: ${data.trim().slice(0, 200)}` : '';
  return typeof code === 'number' ? `HTTP ${code} ${error.message}${said}` : error.message;
}

export function createExportHealth(opts: { log?: Logger; target?: (s: Signal) => string; now?: () => number; logEveryMs?: number } = {}): ExportHealth {
  const now = opts.now ?? Date.now;
  const every = opts.logEveryMs ?? 60_000;
  const counts = new Map<Signal, SignalCounts>();
  const lastLog = new Map<string, { at: number; suppressed: number }>();
  let last: { signal: Signal; message: string; at: number } | undefined;
  const of = (s: Signal) => {
    let c = counts.get(s);
    if (!c) counts.set(s, (c = { requests: { ok: 0, failed: 0 }, items: { exported: 0, failed: 0, dropped: 0 } }));
    return c;
  };
  /** Logs now, or counts the line as suppressed until the next one is due. */
  const rateLimited = (key: string, write: (suppressed: number) => void) => {
    const t = now();
    const l = lastLog.get(key);
    if (l && t - l.at < every) {
      l.suppressed++;
      return;
    }
    write(l?.suppressed ?? 0);
    lastLog.set(key, { at: t, suppressed: 0 });
  };
  return {
    counts: (s) => of(s),
    ok(s, items) {
      const c = of(s);
      c.requests.ok++;
      c.items.exported += items;
    },
    failed(s, items, error) {
      const c = of(s);
      c.requests.failed++;
      c.items.failed += items;
      const message = describe(error);
      last = { signal: s, message, at: now() };
      rateLimited(`failed:${s}`, (suppressed) =>
        opts.log?.warn(`OTLP ${s} export failed; probes and the writer go on, the data is counted as lost`, {
          target: opts.target?.(s),
          error: message,
          lost: items,
          failedRequests: c.requests.failed,
          ...(suppressed ? { similarSinceLastLog: suppressed } : {}),
        }),
      );
    },
    dropped(s, items, why) {
      const c = of(s);
      c.items.dropped += items;
      rateLimited(`dropped:${s}`, (suppressed) =>
        opts.log?.warn(`OTLP ${s} dropped before sending: ${why}`, { target: opts.target?.(s), dropped: c.items.dropped, ...(suppressed ? { similarSinceLastLog: suppressed } : {}) }),
      );
    },
    lastError: () => last,
  };
}
