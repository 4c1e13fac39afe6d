import { z } from 'zod';
import { evidenceRows, summaryLine, tone } from '../render.js';
import type { AlertEvent } from '../types.js';
import { postToProvider, timeoutFor, urlSecrets } from './http.js';
import { httpUrl, timeout } from './options.js';
import { escapeCardMarkdown, fit } from './text.js';
import { zodChannel } from './zod-validate.js';

export const teamsOptionsSchema = z.strictObject({
  type: z.literal('teams'),
  url: httpUrl.describe('the Workflows webhook URL ("Send webhook alerts to a channel" template); a secret: use ${env:NAME}'),
  timeout,
});

export type TeamsOptions = z.output<typeof teamsOptionsSchema>;

const COLOUR = { down: 'Attention', degraded: 'Warning', recovered: 'Good', reminder: 'Attention', test: 'Accent', warning: 'Warning' } as const;

/**
 * The body a Teams Workflows webhook posts to a channel: a message with one Adaptive Card
 * attachment (title, evidence as a FactSet, a button to the monitor page).
 */
export function teamsMessage(e: AlertEvent) {
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body: [
      { type: 'TextBlock', text: fit(summaryLine(e), 500, escapeCardMarkdown), weight: 'Bolder', size: 'Medium', color: COLOUR[tone(e)], wrap: true },
      { type: 'FactSet', facts: evidenceRows(e).map(([title, value]) => ({ title: escapeCardMarkdown(title), value: fit(value, 1000, escapeCardMarkdown) || '–' })) },
      { type: 'TextBlock', text: `halftime · event ${e.id}`, isSubtle: true, size: 'Small', wrap: true },
    ],
    ...(e.monitor.url ? { actions: [{ type: 'Action.OpenUrl', title: 'Open the monitor page', url: e.monitor.url }] } : {}),
  };
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}

/** Microsoft Teams through a Workflows (Power Automate) webhook with an Adaptive Card. */
export const teamsChannel = zodChannel('teams', teamsOptionsSchema, async (event, o, ctx) => {
  await postToProvider({ provider: 'Teams', url: o.url, body: teamsMessage(event), timeoutMs: timeoutFor(o.timeout, ctx), secrets: urlSecrets(o.url) });
});
