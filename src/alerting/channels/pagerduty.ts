import { z } from 'zod';
import { evidenceRows, summaryLine } from '../render.js';
import type { AlertEvent } from '../types.js';
import { incidentKey } from './incident-key.js';
import { joinUrl, postToProvider, timeoutFor } from './http.js';
import { apiUrl, secret, timeout } from './options.js';
import { fit } from './text.js';
import { zodChannel } from './zod-validate.js';

const severity = z.enum(['critical', 'error', 'warning', 'info']);

export const pagerdutyOptionsSchema = z.strictObject({
  type: z.literal('pagerduty'),
  routingKey: secret('the integration key (Events API v2) of a PagerDuty service').refine((k) => k.length === 32, 'a PagerDuty integration key is 32 characters'),
  apiUrl: apiUrl('https://events.pagerduty.com').describe('Events API base URL (default https://events.pagerduty.com; EU: https://events.eu.pagerduty.com)'),
  severity: z
    .strictObject({ down: severity.default('critical'), degraded: severity.default('warning') })
    .default({ down: 'critical', degraded: 'warning' })
    .describe('PagerDuty severity per condition'),
  timeout,
});

export type PagerDutyOptions = z.output<typeof pagerdutyOptionsSchema>;

/** Events API v2 `trigger`: the summary, the evidence as custom details, the monitor link. */
export function pagerdutyTrigger(e: AlertEvent, o: Pick<PagerDutyOptions, 'routingKey' | 'severity'>) {
  return {
    routing_key: o.routingKey,
    event_action: 'trigger',
    dedup_key: incidentKey(e),
    payload: {
      summary: fit(summaryLine(e), 1024),
      source: e.monitor.key,
      severity: e.kind === 'test' || !e.condition ? 'info' : e.condition === 'certificate' ? 'warning' : o.severity[e.condition],
      timestamp: new Date(e.at).toISOString(),
      component: e.monitor.name,
      group: 'halftime',
      class: e.condition ?? e.kind,
      custom_details: { ...Object.fromEntries(evidenceRows(e)), 'Event id': e.id },
    },
    client: 'halftime',
    ...(e.monitor.url ? { client_url: e.monitor.url, links: [{ href: e.monitor.url, text: 'Monitor page' }] } : {}),
  };
}

/** Events API v2 `resolve` of the incident's trigger (same dedup_key). */
export function pagerdutyResolve(e: AlertEvent, o: Pick<PagerDutyOptions, 'routingKey'>) {
  return { routing_key: o.routingKey, event_action: 'resolve', dedup_key: incidentKey(e) };
}

/**
 * PagerDuty Events API v2: DOWN/DEGRADED (and reminders) trigger, RECOVERED resolves, all with one
 * dedup_key per incident. A test message triggers an `info` alert and resolves it right away.
 */
export const pagerdutyChannel = zodChannel('pagerduty', pagerdutyOptionsSchema, async (event, o, ctx) => {
  const enqueue = (body: object) =>
    postToProvider({ provider: 'PagerDuty', url: joinUrl(o.apiUrl, '/v2/enqueue'), body, timeoutMs: timeoutFor(o.timeout, ctx), secrets: [o.routingKey] });
  if (event.kind === 'recovered') {
    await enqueue(pagerdutyResolve(event, o));
    return;
  }
  await enqueue(pagerdutyTrigger(event, o));
  if (event.kind === 'test') await enqueue(pagerdutyResolve(event, o));
});
