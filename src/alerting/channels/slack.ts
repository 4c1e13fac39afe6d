import { z } from 'zod';
import { evidenceRows, summaryLine, tone } from '../render.js';
import type { AlertEvent } from '../types.js';
import { postToProvider, timeoutFor, urlSecrets } from './http.js';
import { httpUrl, timeout } from './options.js';
import { escapeSlack, fit, rowsWithin, slackLinkUrl } from './text.js';
import { zodChannel } from './zod-validate.js';

export const slackOptionsSchema = z.strictObject({
  type: z.literal('slack'),
  url: httpUrl.describe('incoming webhook URL (https://hooks.slack.com/services/…); a secret: use ${env:NAME}'),
  timeout,
});

export type SlackOptions = z.output<typeof slackOptionsSchema>;

const EMOJI = { down: ':red_circle:', degraded: ':large_orange_circle:', recovered: ':large_green_circle:', reminder: ':red_circle:', test: ':large_blue_circle:', warning: ':large_yellow_circle:' } as const;

/** An incoming-webhook message in Block Kit: a header, the evidence as mrkdwn, the link, the event id. */
export function slackMessage(e: AlertEvent) {
  const title = summaryLine(e);
  const facts = rowsWithin(evidenceRows(e), 2900, (k, v) => `*${escapeSlack(k)}:* ${escapeSlack(v)}`);
  const blocks: unknown[] = [
    // Header blocks are plain text (at most 150 characters): nothing to escape.
    { type: 'header', text: { type: 'plain_text', text: fit(`${EMOJI[tone(e)]} ${title}`, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: facts } },
  ];
  if (e.monitor.url) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `<${slackLinkUrl(e.monitor.url)}|Open the monitor page>` } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `halftime · event ${escapeSlack(e.id)}` }] });
  // `text` is what notifications and screen readers show.
  return { text: fit(title, 3000, escapeSlack), blocks };
}

/** Slack incoming webhook with Block Kit blocks. */
export const slackChannel = zodChannel('slack', slackOptionsSchema, async (event, o, ctx) => {
  await postToProvider({ provider: 'Slack', url: o.url, body: slackMessage(event), timeoutMs: timeoutFor(o.timeout, ctx), secrets: urlSecrets(o.url) });
});
