/** Small display helpers shared by pages. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/**
 * A timing phase: a phase that did not happen (TLS on http, DNS for an IP address, a reused
 * connection) is exactly 0 and shown as absent, not as "<1 ms".
 */
export const fmtPhase = (ms: number | null | undefined): string => (ms === 0 ? 'none' : fmtMs(ms));

/** The timing breakdown of a step, phases that did not happen left out. */
export function fmtTimings(t: { dns: number; connect: number; tls: number; ttfb: number; download: number; total: number }): string {
  const parts: string[] = [];
  if (t.dns > 0) parts.push(`DNS ${fmtMs(t.dns)}`);
  if (t.connect > 0) parts.push(`connect ${fmtMs(t.connect)}`);
  if (t.tls > 0) parts.push(`TLS ${fmtMs(t.tls)}`);
  parts.push(`TTFB ${fmtMs(t.ttfb)}`, `download ${fmtMs(t.download)}`, `total ${fmtMs(t.total)}`);
  return parts.join(' · ');
}

export function fmtPct(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return '–';
  const pct = ratio * 100;
  if (pct === 100) return '100%';
  return `${pct >= 99.99 ? pct.toFixed(3) : pct.toFixed(2)}%`;
}

export function fmtAgo(epochMs: number | null, now = Date.now()): string {
  if (epochMs === null) return 'never';
  const s = Math.max(0, Math.round((now - epochMs) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/**
 * The one way pages write a moment: `2026-11-30 06:50 UTC` (with `seconds`, `06:50:12`). The charts'
 * axes and legends use the same form (static/chart-kit.js).
 */
export function fmtTime(epochMs: number, opts: { seconds?: boolean; zone?: boolean } = {}): string {
  const s = new Date(epochMs).toISOString().replace('T', ' ').slice(0, opts.seconds ? 19 : 16);
  return opts.zone === false ? s : `${s} UTC`;
}

/**
 * A URL as the public sees it: the path only. Hosts, ports and query strings (tokens, campaign ids,
 * search terms) stay on the operator's side.
 */
export function publicPath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split(/[?#]/)[0];
  }
}

/** Free text for the public (failure messages, incident summaries): every absolute URL in it cut to its path. */
export const publicText = (text: string): string => text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi, (u) => publicPath(u.replace(/[.,;:]+$/, '')) + (u.match(/[.,;:]+$/)?.[0] ?? ''));
