import { z } from 'zod';
import { evidenceRows, summaryLine, toneColour } from '../render.js';
import type { AlertEvent } from '../types.js';
import { postToProvider, timeoutFor, urlSecrets } from './http.js';
import { httpUrl, timeout } from './options.js';
import { escapeMarkdown, fit } from './text.js';
import { zodChannel } from './zod-validate.js';

export const mattermostOptionsSchema = z.strictObject({
  type: z.literal('mattermost'),
  url: httpUrl.describe('incoming webhook URL of your server (https://chat.example.com/hooks/<key>); a secret: use ${env:NAME}'),
  channel: z.string().min(1).optional().describe("channel name to post in instead of the webhook's (when the server allows overrides)"),
  username: z.string().min(1).optional().describe('display name (when the server allows overrides)'),
  iconUrl: httpUrl.optional().describe('profile picture URL (when the server allows overrides)'),
  timeout,
});

export type MattermostOptions = z.output<typeof mattermostOptionsSchema>;

/** An incoming-webhook body with one Slack-compatible attachment: colour bar, title link, evidence fields. */
export function mattermostMessage(e: AlertEvent, o: Pick<MattermostOptions, 'channel' | 'username' | 'iconUrl'> = {}) {
  const title = summaryLine(e);
  return {
    ...(o.channel ? { channel: o.channel } : {}),
    ...(o.username ? { username: o.username } : {}),
    ...(o.iconUrl ? { icon_url: o.iconUrl } : {}),
    attachments: [
      {
        // Shown in notifications and clients without formatting.
        fallback: fit(title, 1000),
        color: toneColour(e),
        title: fit(title, 500, escapeMarkdown),
        ...(e.monitor.url ? { title_link: e.monitor.url } : {}),
        fields: evidenceRows(e).map(([k, v]) => {
          const value = fit(v, 1000, escapeMarkdown) || '–';
          return { short: value.length <= 40, title: k, value };
        }),
        footer: `halftime · event ${e.id}`,
      },
    ],
  };
}

/** Mattermost incoming webhook (self-hosted: the URL is your server's). */
export const mattermostChannel = zodChannel('mattermost', mattermostOptionsSchema, async (event, o, ctx) => {
  await postToProvider({ provider: 'Mattermost', url: o.url, body: mattermostMessage(event, o), timeoutMs: timeoutFor(o.timeout, ctx), secrets: urlSecrets(o.url) });
});
