/** Human wording for alert messages. */
export function fmtLatency(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${+(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

export function fmtSpan(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (min < 120) return `${min} min`;
  const h = ms / 3_600_000;
  if (h < 48) return `${+h.toFixed(1)} h`;
  return `${+(h / 24).toFixed(1)} d`;
}

export function fmtPercentile(p: number): string {
  return p >= 1 ? 'max' : `p${+(p * 100).toFixed(2)}`;
}

export function fmtTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** Link to a monitor on the status page; `publicUrl` comes from server.publicUrl. */
export function monitorLink(publicUrl: string | undefined, key: string): string | null {
  if (!publicUrl) return null;
  return `${publicUrl.replace(/\/+$/, '')}/#monitor-${encodeURIComponent(key)}`;
}
