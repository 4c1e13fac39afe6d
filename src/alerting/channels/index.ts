import { discordChannel } from './discord.js';
import { emailChannel } from './email.js';
import { googleChatChannel } from './google-chat.js';
import { mattermostChannel } from './mattermost.js';
import { ntfyChannel } from './ntfy.js';
import { opsgenieChannel } from './opsgenie.js';
import { pagerdutyChannel } from './pagerduty.js';
import { pushoverChannel } from './pushover.js';
import { createChannelRegistry } from './registry.js';
import { slackChannel } from './slack.js';
import { teamsChannel } from './teams.js';
import { telegramChannel } from './telegram.js';
import { webhookChannel } from './webhook.js';
import type { ZodChannel } from './zod-validate.js';

/** Every built-in channel. Add a new one here (one file per channel). */
const all: ZodChannel[] = [
  emailChannel,
  webhookChannel,
  slackChannel,
  teamsChannel,
  discordChannel,
  googleChatChannel,
  mattermostChannel,
  pagerdutyChannel,
  opsgenieChannel,
  ntfyChannel,
  telegramChannel,
  pushoverChannel,
];

export const builtinChannels = createChannelRegistry(all);

/** Each channel's options schema, in registry order (for `halftime schema`). */
export const channelOptionSchemas = all.map((c) => ({ type: c.type, schema: c.optionsSchema }));
