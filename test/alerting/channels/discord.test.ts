import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discordChannel } from '../../../src/alerting/channels/discord.js';
import { degradedEvent, downEvent, MONITOR_URL } from './events.js';
import type { FakeProvider } from './fake-provider.js';
import { DISCORD_PATH, startFakeDiscord } from './fakes/discord.js';
import { optionsOf, problemsFor } from './helpers.js';

describe('discord channel', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeDiscord();
  });
  afterEach(() => fake.close());

  it('posts an embed with escaped markdown and no mentions', async () => {
    const o = optionsOf(discordChannel, { type: 'discord', url: fake.url + DISCORD_PATH, username: 'halftime' });
    await discordChannel.send(downEvent, o);
    await discordChannel.send(degradedEvent, o);
    expect(fake.rejected).toEqual([]);
    const [down, slow] = fake.received.map((r) => r.json);
    expect(down.username).toBe('halftime');
    expect(down.allowed_mentions).toEqual({ parse: [] });
    const embed = down.embeds[0];
    expect(embed).toMatchObject({ url: MONITOR_URL, color: 0xb3261e, footer: { text: 'halftime · event evt-down-1' }, timestamp: '2026-11-23T10:02:00.000Z' });
    expect(embed.title).toBe('DOWN Shop \\<b\\>&\\</b\\> \\*beta\\* \\_v2\\_ @everyone Café: 3 failed checks in a row at step "pay": HTTP 503');
    expect(embed.fields).toContainEqual({ name: 'Failing step', value: 'pay', inline: true });
    expect(embed.fields).toContainEqual({ name: 'Last failure', value: '\\[status\\] expected status 200, got 503 (\\<html\\> & more)', inline: false });
    expect(slow.embeds[0].color).toBe(0xb26a00);
    expect(slow.embeds[0].fields).toContainEqual({ name: 'Actual', value: '1.9 s', inline: true });
    expect(slow.embeds[0].fields).toContainEqual({ name: 'Rule', value: 'p95 over 10m \\> 2x baseline 7d', inline: true });
  });

  it('names bad options by key', () => {
    expect(problemsFor(discordChannel, { type: 'discord', url: fake.url, avatarUrl: 'not a url' })).toEqual(['avatarUrl: not a valid URL (expected http:// or https://)']);
  });
});
