/** For each provider: its fake, channel options pointing at it, and how it refuses and throttles. */
import type { Answer, FakeProvider } from './fake-provider.js';
import { DISCORD_PATH, discordRateLimit, startFakeDiscord } from './fakes/discord.js';
import { CHAT_KEY, CHAT_TOKEN, chatPath, chatRateLimit, startFakeGoogleChat } from './fakes/google-chat.js';
import { MATTERMOST_HOOK, mattermostRateLimit, startFakeMattermost } from './fakes/mattermost.js';
import { NTFY_TOKEN, NTFY_TOPIC, ntfyRateLimit, startFakeNtfy } from './fakes/ntfy.js';
import { OPSGENIE_KEY, opsgenieRateLimit, startFakeOpsgenie } from './fakes/opsgenie.js';
import { PD_ROUTING_KEY, pagerdutyRateLimit, startFakePagerDuty } from './fakes/pagerduty.js';
import { PUSHOVER_TOKEN, PUSHOVER_USER, pushoverRateLimit, startFakePushover } from './fakes/pushover.js';
import { SLACK_PATH, slackRateLimit, startFakeSlack } from './fakes/slack.js';
import { TEAMS_PATH, TEAMS_SIG, startFakeTeams, teamsQuery, teamsRateLimit } from './fakes/teams.js';
import { TG_CHAT, TG_TOKEN, startFakeTelegram, telegramRateLimit } from './fakes/telegram.js';

export type ProviderCase = {
  type: string;
  start(): Promise<FakeProvider>;
  /** Options as a user writes them (before defaults), pointing at the fake; `secret` stands for the credential. */
  options(url: string, secret: string): Record<string, unknown>;
  /** The credential the fake accepts; a wrong one of the same shape is refused. */
  secret: string;
  wrongSecret: string;
  /** How the provider refuses a wrong credential: status and the words in its answer. */
  refused: { status: number; text: RegExp };
  rateLimit: Answer;
  /** The wait the rate-limit answer asks for, when it says. */
  retryAfterMs: number | undefined;
};

export const cases: ProviderCase[] = [
  {
    type: 'slack',
    start: startFakeSlack,
    options: (url, s) => ({ type: 'slack', url: url + SLACK_PATH.replace(/[^/]+$/, s) }),
    secret: SLACK_PATH.split('/').at(-1)!,
    wrongSecret: 'xoxw0000000000000000000000',
    refused: { status: 404, text: /no_service/ },
    rateLimit: slackRateLimit,
    retryAfterMs: 30_000,
  },
  {
    type: 'teams',
    start: startFakeTeams,
    options: (url, s) => ({ type: 'teams', url: url + TEAMS_PATH + teamsQuery(s) }),
    secret: TEAMS_SIG,
    wrongSecret: 'Zz7vB2nLp9Rk4TzW1mYc8HsD0aFgJ5uE3iOw6NbVz',
    refused: { status: 401, text: /valid signature/ },
    rateLimit: teamsRateLimit,
    retryAfterMs: 12_000,
  },
  {
    type: 'discord',
    start: startFakeDiscord,
    options: (url, s) => ({ type: 'discord', url: url + DISCORD_PATH.replace(/[^/]+$/, s) }),
    secret: DISCORD_PATH.split('/').at(-1)!,
    wrongSecret: 'Aa9_kQ2vT7mLp4Rb8NcW1yHd6FsJ0aGe3uKi5oXtMzVnBqPz',
    refused: { status: 401, text: /Invalid Webhook Token/ },
    rateLimit: discordRateLimit,
    retryAfterMs: 2000,
  },
  {
    type: 'google-chat',
    start: startFakeGoogleChat,
    options: (url, s) => ({ type: 'google-chat', url: `${url}${chatPath}?key=${CHAT_KEY}&token=${s}` }),
    secret: CHAT_TOKEN,
    wrongSecret: 'q4Lm9xQ2vR7tK1nB8cW3yH6dF0sJ5aGe2uKi4oXtMzQ',
    refused: { status: 401, text: /invalid authentication credentials/ },
    rateLimit: chatRateLimit,
    retryAfterMs: undefined,
  },
  {
    type: 'mattermost',
    start: startFakeMattermost,
    options: (url, s) => ({ type: 'mattermost', url: `${url}/hooks/${s}` }),
    secret: MATTERMOST_HOOK,
    wrongSecret: 'aaaaaaaaaaaaaaaaaaaaaaaaaa',
    refused: { status: 400, text: /Invalid webhook/ },
    rateLimit: mattermostRateLimit,
    retryAfterMs: 3000,
  },
  {
    type: 'pagerduty',
    start: startFakePagerDuty,
    options: (url, s) => ({ type: 'pagerduty', routingKey: s, apiUrl: url }),
    secret: PD_ROUTING_KEY,
    wrongSecret: 'Wr0ngK3yWr0ngK3yWr0ngK3yWr0ngK3y',
    refused: { status: 400, text: /Event object is invalid: Invalid routing key/ },
    rateLimit: pagerdutyRateLimit,
    retryAfterMs: undefined,
  },
  {
    type: 'opsgenie',
    start: startFakeOpsgenie,
    options: (url, s) => ({ type: 'opsgenie', apiKey: s, apiUrl: url }),
    secret: OPSGENIE_KEY,
    wrongSecret: '00000000-faa2-4ba2-a551-1afdf565c889',
    refused: { status: 401, text: /Could not authenticate/ },
    rateLimit: opsgenieRateLimit,
    retryAfterMs: undefined,
  },
  {
    type: 'ntfy',
    start: startFakeNtfy,
    options: (url, s) => ({ type: 'ntfy', url, topic: NTFY_TOPIC, token: s }),
    secret: NTFY_TOKEN,
    wrongSecret: 'tk_wrongwrongwrongwrongwrongwr',
    refused: { status: 401, text: /unauthorized/ },
    rateLimit: ntfyRateLimit,
    retryAfterMs: undefined,
  },
  {
    type: 'telegram',
    start: startFakeTelegram,
    options: (url, s) => ({ type: 'telegram', botToken: s, chatId: TG_CHAT, apiUrl: url }),
    secret: TG_TOKEN,
    wrongSecret: '7203948516:AAH4kq9Xv2LmPz8TnR3wYc6HsD1aFgJ5uXX',
    refused: { status: 401, text: /Unauthorized/ },
    rateLimit: telegramRateLimit,
    retryAfterMs: 35_000,
  },
  {
    type: 'pushover',
    start: startFakePushover,
    options: (url, s) => ({ type: 'pushover', token: s, user: PUSHOVER_USER, apiUrl: url }),
    secret: PUSHOVER_TOKEN,
    wrongSecret: 'a00000000000000000000000000000',
    refused: { status: 400, text: /application token is invalid/ },
    rateLimit: pushoverRateLimit,
    retryAfterMs: undefined,
  },
];
