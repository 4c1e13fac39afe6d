import type { AlertEvent } from '../types.js';

/**
 * One key per incident, the same on the first message, every reminder and the recovery: the monitor,
 * the condition and when the episode started. PagerDuty's `dedup_key`, Opsgenie's `alias` and
 * Google Chat's thread key, so a resolve finds its trigger. Only letters, digits, `-` and `_`
 * (monitor ids are made of those), safe in a URL path. A test message gets a key of its own.
 */
export function incidentKey(e: AlertEvent): string {
  if (e.kind === 'test' || e.condition === null || e.since === null) return `halftime-test-${e.id}`;
  return `halftime-${e.monitor.key}-${e.condition}-${e.since}`;
}
