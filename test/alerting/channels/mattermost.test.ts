import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mattermostChannel } from '../../../src/alerting/channels/mattermost.js';
import { downEvent, MONITOR_URL, recoveredEvent } from './events.js';
import type { FakeProvider } from './fake-provider.js';
import { MATTERMOST_HOOK, startFakeMattermost } from './fakes/mattermost.js';
import { optionsOf, problemsFor } from './helpers.js';

describe('mattermost channel', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeMattermost();
  });
  afterEach(() => fake.close());

  it('posts a Slack-compatible attachment to a self-hosted server, with the channel and name overrides', async () => {
    const o = optionsOf(mattermostChannel, { type: 'mattermost', url: `${fake.url}/hooks/${MATTERMOST_HOOK}`, channel: 'ops-alerts', username: 'halftime' });
    await mattermostChannel.send(downEvent, o);
    await mattermostChannel.send(recoveredEvent, o);
    expect(fake.rejected).toEqual([]);
    const [down, up] = fake.received.map((r) => r.json);
    expect(down).toMatchObject({ channel: 'ops-alerts', username: 'halftime' });
    const a = down.attachments[0];
    expect(a).toMatchObject({ color: '#b3261e', title_link: MONITOR_URL, footer: 'halftime · event evt-down-1' });
    expect(a.fallback).toBe('DOWN Shop <b>&</b> *beta* _v2_ @everyone Café: 3 failed checks in a row at step "pay": HTTP 503');
    expect(a.title).toContain('Shop \\<b\\>&\\</b\\> \\*beta\\* \\_v2\\_');
    expect(a.fields).toContainEqual({ short: true, title: 'Failing step', value: 'pay' });
    expect(a.fields).toContainEqual({ short: true, title: 'Status code', value: '503' });
    expect(up.attachments[0].color).toBe('#1b7f3b');
  });

  it('names bad options by key', () => {
    expect(problemsFor(mattermostChannel, { type: 'mattermost', iconUrl: 'x' })).toEqual(['url: required', 'iconUrl: not a valid URL (expected http:// or https://)']);
  });
});
