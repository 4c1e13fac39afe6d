import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { evidenceRows, subject, textBody } from '../render.js';
import type { AlertEvent, ChannelPlugin } from '../types.js';
import { ChannelError, parseRetryAfter } from './http.js';
import { zodValidate, type ZodChannel } from './zod-validate.js';

export const webhookOptionsSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z.string().refine((s) => {
    try {
      return ['http:', 'https:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, 'not a valid URL (expected http:// or https://)'),
  /** Signs the body: `X-Halftime-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. */
  secret: z.string().min(1).optional(),
  format: z.enum(['json', 'slack', 'discord']).default('json'),
  headers: z.record(z.string(), z.string()).default({}),
  timeout: z.number().int().min(100).max(120_000).default(10_000).describe('request timeout in ms'),
});

export type WebhookOptions = z.output<typeof webhookOptionsSchema>;

export function signBody(body: string, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

const DISCORD_COLOURS = { down: 0xb3261e, degraded: 0xb26a00, recovered: 0x1b7f3b, reminder: 0x555555, test: 0x1f5fae, warning: 0x8a6d00, certificate: 0x8a6d00 } as const;

export function webhookBody(event: AlertEvent, format: WebhookOptions['format']): unknown {
  if (format === 'slack') {
    const fields = evidenceRows(event).map(([k, v]) => `*${k}:* ${v}`).join('\n');
    const link = event.monitor.url ? `\n<${event.monitor.url}|Open the monitor page>` : '';
    return {
      text: subject(event),
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*${subject(event)}*` } },
        { type: 'section', text: { type: 'mrkdwn', text: fields + link } },
      ],
    };
  }
  if (format === 'discord') {
    return {
      content: subject(event).slice(0, 2000),
      embeds: [
        {
          title: subject(event).slice(0, 256),
          url: event.monitor.url ?? undefined,
          color: DISCORD_COLOURS[event.kind === 'reminder' && event.condition ? event.condition : event.kind],
          fields: evidenceRows(event).slice(0, 25).map(([name, value]) => ({ name, value: value.slice(0, 1024) || '–', inline: false })),
          timestamp: new Date(event.at).toISOString(),
        },
      ],
    };
  }
  // Email recipients are the email channel's business, not the webhook receiver's.
  const { recipients: _recipients, ...rest } = event;
  return { ...rest, subject: subject(event), text: textBody(event) };
}

/** A generic HTTP POST with a JSON body, optionally in Slack's or Discord's message format, signed when a secret is set. */
export const webhookChannel: ChannelPlugin<WebhookOptions> & ZodChannel<typeof webhookOptionsSchema> = {
  type: 'webhook',
  validate: zodValidate(webhookOptionsSchema),
  optionsSchema: webhookOptionsSchema,
  async send(event, o) {
    const body = JSON.stringify(webhookBody(event, o.format));
    const headers: Record<string, string> = { ...o.headers, 'content-type': 'application/json', 'user-agent': 'halftime', 'x-halftime-event': event.id };
    if (o.secret) headers['x-halftime-signature'] = signBody(body, o.secret);
    const res = await fetch(o.url, { method: 'POST', body, headers, signal: AbortSignal.timeout(o.timeout), redirect: 'error' });
    // Drain the body so the connection is released.
    await res.arrayBuffer().catch(() => undefined);
    // The status travels with the error, so the outbox can tell a refusal from a hiccup.
    if (!res.ok) throw new ChannelError(`webhook answered HTTP ${res.status}`, { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) });
  },
};
