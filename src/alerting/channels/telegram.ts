import { z } from 'zod';
import { evidenceRows, summaryLine } from '../render.js';
import type { AlertEvent } from '../types.js';
import { joinUrl, postToProvider, timeoutFor } from './http.js';
import { apiUrl, secret, timeout } from './options.js';
import { escapeHtml, fit, rowsWithin } from './text.js';
import { zodChannel } from './zod-validate.js';

export const telegramOptionsSchema = z.strictObject({
  type: z.literal('telegram'),
  botToken: secret('the bot token from @BotFather').regex(/^\d+:[A-Za-z0-9_-]+$/, 'a bot token looks like 123456789:AAH…'),
  chatId: z
    .union([z.number().int(), z.string().regex(/^(-?\d+|@[A-Za-z0-9_]{4,})$/, 'a chat id is a number (-100… for groups and channels) or @channelname')])
    .describe('chat, group or channel to post in'),
  messageThreadId: z.number().int().positive().optional().describe('topic (forum thread) in a supergroup'),
  silent: z.boolean().default(false).describe('send without a notification sound'),
  apiUrl: apiUrl('https://api.telegram.org').describe('Bot API server (default https://api.telegram.org; or a local Bot API server)'),
  timeout,
});

export type TelegramOptions = z.output<typeof telegramOptionsSchema>;

/** A sendMessage body in HTML parse mode: every value escaped, at most 4096 characters. */
export function telegramMessage(e: AlertEvent, o: Pick<TelegramOptions, 'chatId' | 'messageThreadId' | 'silent'>) {
  const head = `<b>${fit(summaryLine(e), 300, escapeHtml)}</b>\n\n`;
  const link = e.monitor.url ? `\n\n<a href="${escapeHtml(e.monitor.url)}">Open the monitor page</a>` : '';
  const foot = `\n<i>event ${escapeHtml(e.id)}</i>`;
  const rows = rowsWithin(evidenceRows(e), 4096 - head.length - link.length - foot.length, (k, v) => `<b>${escapeHtml(k)}:</b> ${escapeHtml(v)}`);
  return {
    chat_id: o.chatId,
    text: head + rows + link + foot,
    parse_mode: 'HTML',
    link_preview_options: { is_disabled: true },
    ...(o.messageThreadId !== undefined ? { message_thread_id: o.messageThreadId } : {}),
    ...(o.silent ? { disable_notification: true } : {}),
  };
}

/** Telegram Bot API sendMessage. The token is part of the URL, so it is kept out of every error. */
export const telegramChannel = zodChannel('telegram', telegramOptionsSchema, async (event, o, ctx) => {
  await postToProvider({
    provider: 'Telegram',
    url: joinUrl(o.apiUrl, `/bot${o.botToken}/sendMessage`),
    body: telegramMessage(event, o),
    timeoutMs: timeoutFor(o.timeout, ctx),
    secrets: [o.botToken],
  });
});
