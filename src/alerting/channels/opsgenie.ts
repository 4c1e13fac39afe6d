import { z } from 'zod';
import { evidenceRows, summaryLine } from '../render.js';
import type { AlertEvent } from '../types.js';
import { incidentKey } from './incident-key.js';
import { joinUrl, postToProvider, timeoutFor } from './http.js';
import { apiUrl, secret, timeout } from './options.js';
import { fit, rowsWithin } from './text.js';
import { zodChannel } from './zod-validate.js';

const priority = z.enum(['P1', 'P2', 'P3', 'P4', 'P5']);

export const opsgenieOptionsSchema = z.strictObject({
  type: z.literal('opsgenie'),
  apiKey: secret('the API key of an Opsgenie API integration'),
  apiUrl: apiUrl('https://api.opsgenie.com').describe('Alert API base URL (default https://api.opsgenie.com; EU: https://api.eu.opsgenie.com)'),
  priority: z
    .strictObject({ down: priority.default('P1'), degraded: priority.default('P3') })
    .default({ down: 'P1', degraded: 'P3' })
    .describe('Opsgenie priority per condition'),
  tags: z.array(z.string().min(1).max(50)).max(16).default([]).describe('extra tags on every alert'),
  timeout,
});

export type OpsgenieOptions = z.output<typeof opsgenieOptionsSchema>;

/** Create-alert body: the alias is the incident key, so the recovery closes exactly this alert. */
export function opsgenieAlert(e: AlertEvent, o: Pick<OpsgenieOptions, 'priority' | 'tags'>) {
  const rows = evidenceRows(e);
  return {
    message: fit(summaryLine(e), 130),
    alias: incidentKey(e),
    description: rowsWithin(rows, 14_000, (k, v) => `${k}: ${v}`) + (e.monitor.url ? `\n\nMonitor page: ${e.monitor.url}` : ''),
    tags: [...new Set(['halftime', e.condition ?? e.kind, ...o.tags])].slice(0, 20),
    details: Object.fromEntries([...rows.map(([k, v]): [string, string] => [k, fit(v, 400)]), ['Event id', e.id], ...(e.monitor.url ? [['Monitor page', e.monitor.url]] : [])]),
    entity: e.monitor.key,
    source: 'halftime',
    priority: e.kind === 'test' || !e.condition ? 'P5' : e.condition === 'certificate' ? 'P4' : o.priority[e.condition],
  };
}

/**
 * Opsgenie Alert API: DOWN/DEGRADED (and reminders, which Opsgenie counts on the open alert)
 * create an alert, RECOVERED closes it by alias. A test message creates a P5 alert and closes it.
 */
export const opsgenieChannel = zodChannel('opsgenie', opsgenieOptionsSchema, async (event, o, ctx) => {
  const post = (path: string, body: object) =>
    postToProvider({
      provider: 'Opsgenie',
      url: joinUrl(o.apiUrl, path),
      headers: { authorization: `GenieKey ${o.apiKey}` },
      body,
      timeoutMs: timeoutFor(o.timeout, ctx),
      secrets: [o.apiKey],
    });
  const close = () => post(`/v2/alerts/${encodeURIComponent(incidentKey(event))}/close?identifierType=alias`, { source: 'halftime', note: fit(summaryLine(event), 25_000) });
  if (event.kind === 'recovered') {
    await close();
    return;
  }
  await post('/v2/alerts', opsgenieAlert(event, o));
  if (event.kind === 'test') await close();
});
