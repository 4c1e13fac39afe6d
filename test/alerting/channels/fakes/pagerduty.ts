/**
 * PagerDuty Events API v2: POST JSON to /v2/enqueue, the routing key in the body; 202 with the
 * dedup_key. Keeps the alerts it was told about, so a test can see a resolve close its trigger.
 */
import { z } from 'zod';
import { mediaType, problemsOf, startFakeProvider } from '../fake-provider.js';

export const PD_ROUTING_KEY = 'R0ut1ngK3yF0rH4lft1m3T3st5erv1ce';

const payload = z.object({
  summary: z.string().min(1).max(1024),
  source: z.string().min(1),
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  timestamp: z.iso.datetime().optional(),
  component: z.string().optional(),
  group: z.string().optional(),
  class: z.string().optional(),
  custom_details: z.record(z.string(), z.unknown()).optional(),
});

const event = z.discriminatedUnion('event_action', [
  z.object({
    routing_key: z.string().length(32, "Length of 'routing_key' is incorrect (should be 32 characters)"),
    event_action: z.literal('trigger'),
    dedup_key: z.string().min(1).max(255).optional(),
    payload,
    client: z.string().optional(),
    client_url: z.url().optional(),
    links: z.array(z.object({ href: z.url(), text: z.string().optional() })).optional(),
    images: z.array(z.object({ src: z.url() })).optional(),
  }).strict(),
  z.object({ routing_key: z.string().length(32), event_action: z.enum(['acknowledge', 'resolve']), dedup_key: z.string().min(1).max(255) }).strict(),
]);

export type PagerDutyAlert = { dedupKey: string; status: 'triggered' | 'resolved'; triggers: number; summary: string; severity: string };

export async function startFakePagerDuty() {
  const alerts = new Map<string, PagerDutyAlert>();
  let n = 0;
  const invalid = (errors: string[]) => ({ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } });
  const fake = await startFakeProvider((r, reject) => {
    if (r.path !== '/v2/enqueue') return { status: 404, body: { status: 'not found', message: 'Not found' } };
    if (mediaType(r) !== 'application/json' || r.json === undefined) {
      reject([`content-type ${mediaType(r)}`]);
      return { status: 400, body: { status: 'invalid request', message: 'Invalid JSON', errors: ['Could not parse the request body as JSON'] } };
    }
    const problems = problemsOf(event, r.json);
    if (problems.length) {
      reject(problems);
      return invalid(problems);
    }
    const e = r.json;
    if (e.routing_key !== PD_ROUTING_KEY) return invalid(['Invalid routing key']);
    const key: string = e.dedup_key ?? `generated-${++n}`;
    const known = alerts.get(key);
    if (e.event_action === 'trigger') {
      if (known && known.status === 'triggered') known.triggers++;
      else alerts.set(key, { dedupKey: key, status: 'triggered', triggers: 1, summary: e.payload.summary, severity: e.payload.severity });
    } else if (e.event_action === 'resolve' && known) known.status = 'resolved';
    // An acknowledge or resolve for an unknown key is accepted and dropped, as PagerDuty does.
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } };
  });
  return Object.assign(fake, { alerts });
}

export const pagerdutyRateLimit = { status: 429, body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly.  Please retry later.' } };
