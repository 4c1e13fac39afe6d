import { emailChannel } from './email.js';
import { createChannelRegistry } from './registry.js';
import { webhookChannel } from './webhook.js';

/** Every built-in channel. Add a new one here (one file per channel). */
export const builtinChannels = createChannelRegistry([emailChannel, webhookChannel]);
