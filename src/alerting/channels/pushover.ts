import { z } from 'zod';
import { evidenceRows, summaryLine, tone } from '../render.js';
import type { AlertEvent } from '../types.js';
import { joinUrl, postToProvider, timeoutFor } from './http.js';
import { apiUrl, secret, timeout } from './options.js';
import { escapeHtml, fit, rowsWithin } from './text.js';
import { zodChannel } from './zod-validate.js';

const key = (what: string) => secret(what).regex(/^[A-Za-z0-9]{30}$/, 'a Pushover key is 30 letters and digits');
const level = z.number().int().min(-2).max(2);

export const pushoverOptionsSchema = z.strictObject({
  type: z.literal('pushover'),
  token: key("your application's API token"),
  user: key('the user or group key to notify'),
  device: z.string().regex(/^[A-Za-z0-9_-]{1,25}(,[A-Za-z0-9_-]{1,25})*$/, 'device names are up to 25 letters, digits, - or _ (comma-separated)').optional(),
  sound: z.string().min(1).optional(),
  priority: z
    .strictObject({ down: level.default(1), degraded: level.default(0), recovered: level.default(0) })
    .default({ down: 1, degraded: 0, recovered: 0 })
    .describe('Pushover priority (-2 lowest … 2 emergency) per kind of message'),
  retry: z.number().int().min(30).default(60).describe('emergency priority (2): seconds between repeats'),
  expire: z.number().int().min(30).max(10_800).default(3600).describe('emergency priority (2): seconds until repeating stops'),
  apiUrl: apiUrl('https://api.pushover.net'),
  timeout,
});

export type PushoverOptions = z.output<typeof pushoverOptionsSchema>;

/** The messages API form: title, HTML message (escaped, at most 1024 characters), link, priority. */
export function pushoverForm(e: AlertEvent, o: Omit<PushoverOptions, 'type' | 'apiUrl' | 'timeout'>): URLSearchParams {
  const t = tone(e);
  const priority = t === 'down' || t === 'degraded' || t === 'recovered' ? o.priority[t] : 0;
  const form = new URLSearchParams({
    token: o.token,
    user: o.user,
    title: fit(summaryLine(e), 250),
    message: rowsWithin(evidenceRows(e), 1024, (k, v) => `<b>${escapeHtml(k)}:</b> ${escapeHtml(v)}`),
    html: '1',
    priority: String(priority),
    timestamp: String(Math.floor(e.at / 1000)),
  });
  if (e.monitor.url && e.monitor.url.length <= 512) {
    form.set('url', e.monitor.url);
    form.set('url_title', 'Open the monitor page');
  }
  if (priority === 2) {
    form.set('retry', String(o.retry));
    form.set('expire', String(o.expire));
  }
  if (o.device) form.set('device', o.device);
  if (o.sound) form.set('sound', o.sound);
  return form;
}

/** Pushover messages API. */
export const pushoverChannel = zodChannel('pushover', pushoverOptionsSchema, async (event, o, ctx) => {
  await postToProvider({
    provider: 'Pushover',
    url: joinUrl(o.apiUrl, '/1/messages.json'),
    body: pushoverForm(event, o),
    timeoutMs: timeoutFor(o.timeout, ctx),
    secrets: [o.token, o.user],
  });
});
