import { z } from 'zod';
import { evidenceRows, summaryLine, tone } from '../render.js';
import type { AlertEvent } from '../types.js';
import { joinUrl, postToProvider, timeoutFor } from './http.js';
import { apiUrl, secret, timeout } from './options.js';
import { fit, rowsWithin } from './text.js';
import { zodChannel } from './zod-validate.js';

const level = z.number().int().min(1).max(5);

export const ntfyOptionsSchema = z
  .strictObject({
    type: z.literal('ntfy'),
    url: apiUrl('https://ntfy.sh').describe('ntfy server (default https://ntfy.sh; your own for a self-hosted one)'),
    topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, 'a topic is 1 to 64 letters, digits, - or _'),
    token: secret('an access token (tk_…)').optional(),
    user: z.string().min(1).optional(),
    password: secret('the password for user').optional(),
    priority: z
      .strictObject({ down: level.default(5), degraded: level.default(4), recovered: level.default(3) })
      .default({ down: 5, degraded: 4, recovered: 3 })
      .describe('ntfy priority (1 min … 5 max) per kind of message'),
    tags: z.array(z.string().regex(/^[^,\r\n]+$/, 'a tag has no commas or line breaks')).default([]).describe('extra tags (emoji short codes show as emoji)'),
    timeout,
  })
  .refine((o) => !(o.token && o.user), { message: 'give either token or user and password, not both', path: ['token'] })
  .refine((o) => (o.user === undefined) === (o.password === undefined), { message: 'give both user and password, or neither', path: ['password'] });

export type NtfyOptions = z.output<typeof ntfyOptionsSchema>;

const TAG = { down: 'rotating_light', degraded: 'warning', recovered: 'white_check_mark', reminder: 'rotating_light', test: 'test_tube', warning: 'lock' } as const;

/** HTTP header values are ASCII; ntfy decodes RFC 2047 encoded-words for anything else. */
function headerText(s: string): string {
  const flat = s.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

/** The publish request: the evidence as the plain-text body, title, priority, tags and click-through link as headers. */
export function ntfyRequest(e: AlertEvent, o: Pick<NtfyOptions, 'priority' | 'tags' | 'token' | 'user' | 'password'>) {
  const t = tone(e);
  const priority = t === 'down' || t === 'degraded' || t === 'recovered' ? o.priority[t] : 3;
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    title: headerText(fit(summaryLine(e), 250)),
    priority: String(priority),
    tags: headerText([TAG[e.kind], 'halftime', ...o.tags].join(',')),
  };
  if (e.monitor.url) headers.click = e.monitor.url;
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  else if (o.user) headers.authorization = `Basic ${Buffer.from(`${o.user}:${o.password}`).toString('base64')}`;
  // Messages over 4096 bytes become attachments: stay well below.
  const body = rowsWithin(evidenceRows(e), 3000, (k, v) => `${k}: ${v}`) + `\n\nevent ${e.id}`;
  return { headers, body };
}

/** ntfy publish (ntfy.sh or self-hosted), with an optional access token or login. */
export const ntfyChannel = zodChannel('ntfy', ntfyOptionsSchema, async (event, o, ctx) => {
  const { headers, body } = ntfyRequest(event, o);
  await postToProvider({ provider: 'ntfy', url: joinUrl(o.url, encodeURIComponent(o.topic)), headers, body, timeoutMs: timeoutFor(o.timeout, ctx), secrets: [o.token, o.password] });
});
