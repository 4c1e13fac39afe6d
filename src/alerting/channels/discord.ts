import { z } from 'zod';
import { evidenceRows, summaryLine, toneColour } from '../render.js';
import type { AlertEvent } from '../types.js';
import { postToProvider, timeoutFor, urlSecrets } from './http.js';
import { httpUrl, timeout } from './options.js';
import { escapeMarkdown, fit } from './text.js';
import { zodChannel } from './zod-validate.js';

export const discordOptionsSchema = z.strictObject({
  type: z.literal('discord'),
  url: httpUrl.describe('webhook URL (https://discord.com/api/webhooks/<id>/<token>); a secret: use ${env:NAME}'),
  username: z.string().min(1).max(80).optional().describe("overrides the webhook's name"),
  avatarUrl: httpUrl.optional().describe("overrides the webhook's avatar"),
  timeout,
});

export type DiscordOptions = z.output<typeof discordOptionsSchema>;

/** An execute-webhook body with one embed; mentions are switched off, so no text in it can ping anyone. */
export function discordMessage(e: AlertEvent, o: Pick<DiscordOptions, 'username' | 'avatarUrl'> = {}) {
  // Embed limits: title 256, 25 fields of name 256 / value 1024, 6000 characters in all.
  const fields = evidenceRows(e)
    .slice(0, 25)
    .map(([name, value]) => {
      const v = fit(value, 300, escapeMarkdown) || '–';
      return { name: fit(name, 256), value: v, inline: v.length <= 40 };
    });
  return {
    ...(o.username ? { username: o.username } : {}),
    ...(o.avatarUrl ? { avatar_url: o.avatarUrl } : {}),
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: fit(summaryLine(e), 256, escapeMarkdown),
        ...(e.monitor.url ? { url: e.monitor.url } : {}),
        color: parseInt(toneColour(e).slice(1), 16),
        fields,
        footer: { text: `halftime · event ${e.id}` },
        timestamp: new Date(e.at).toISOString(),
      },
    ],
  };
}

/** Discord webhook with an embed. */
export const discordChannel = zodChannel('discord', discordOptionsSchema, async (event, o, ctx) => {
  await postToProvider({ provider: 'Discord', url: o.url, body: discordMessage(event, o), timeoutMs: timeoutFor(o.timeout, ctx), secrets: urlSecrets(o.url) });
});
