import { z } from 'zod';
import { evidenceRows, summaryLine } from '../render.js';
import type { AlertEvent } from '../types.js';
import { incidentKey } from './incident-key.js';
import { postToProvider, timeoutFor, urlSecrets } from './http.js';
import { httpUrl, timeout } from './options.js';
import { escapeHtml, fit, rowsWithin } from './text.js';
import { zodChannel } from './zod-validate.js';

export const googleChatOptionsSchema = z.strictObject({
  type: z.literal('google-chat'),
  url: httpUrl.describe('space webhook URL (https://chat.googleapis.com/v1/spaces/…/messages?key=…&token=…); a secret: use ${env:NAME}'),
  format: z.enum(['cards', 'text']).default('cards').describe('cards: a card with the evidence (cardsV2); text: a plain message'),
  thread: z.boolean().default(true).describe("true: an incident's messages (down, reminders, recovery) share one thread"),
  timeout,
});

export type GoogleChatOptions = z.output<typeof googleChatOptionsSchema>;

/** A space message: a cardsV2 card (HTML-escaped text) or plain text, threaded per incident. */
export function googleChatMessage(e: AlertEvent, o: Pick<GoogleChatOptions, 'format' | 'thread'> = { format: 'cards', thread: true }) {
  const title = summaryLine(e);
  const thread = o.thread ? { thread: { threadKey: incidentKey(e) } } : {};
  if (o.format === 'text') {
    const link = e.monitor.url ? `\n<${e.monitor.url}|Open the monitor page>` : '';
    return { text: `*${fit(title, 500)}*\n` + rowsWithin(evidenceRows(e), 3500, (k, v) => `*${k}:* ${v}`) + link, ...thread };
  }
  const widgets: unknown[] = evidenceRows(e).map(([k, v]) => ({ decoratedText: { topLabel: k, text: fit(v, 1000, escapeHtml) || '–', wrapText: true } }));
  if (e.monitor.url) widgets.push({ buttonList: { buttons: [{ text: 'Open the monitor page', onClick: { openLink: { url: e.monitor.url } } }] } });
  return {
    // Shown where the card cannot be (notifications).
    fallbackText: fit(title, 500),
    cardsV2: [
      {
        cardId: 'halftime-alert',
        card: {
          header: { title: fit(title, 200), subtitle: fit(`halftime · ${e.monitor.name}`, 200) },
          sections: [{ widgets }, { widgets: [{ textParagraph: { text: `<font color="#777777">event ${escapeHtml(e.id)}</font>` } }] }],
        },
      },
    ],
    ...thread,
  };
}

/** Google Chat space webhook. */
export const googleChatChannel = zodChannel('google-chat', googleChatOptionsSchema, async (event, o, ctx) => {
  const url = new URL(o.url);
  // Reply in the incident's thread, or start it.
  if (o.thread) url.searchParams.set('messageReplyOption', 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
  await postToProvider({
    provider: 'Google Chat',
    url: url.toString(),
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: googleChatMessage(event, o),
    timeoutMs: timeoutFor(o.timeout, ctx),
    secrets: urlSecrets(o.url),
  });
});
