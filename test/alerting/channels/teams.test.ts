import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { teamsChannel } from '../../../src/alerting/channels/teams.js';
import { degradedEvent, downEvent, MONITOR_URL, recoveredEvent } from './events.js';
import type { FakeProvider } from './fake-provider.js';
import { startFakeTeams, TEAMS_PATH, teamsQuery } from './fakes/teams.js';
import { optionsOf, problemsFor } from './helpers.js';

describe('teams channel', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeTeams();
  });
  afterEach(() => fake.close());

  it('posts an Adaptive Card to the Workflows webhook: coloured title, evidence facts, a button to the monitor', async () => {
    const o = optionsOf(teamsChannel, { type: 'teams', url: fake.url + TEAMS_PATH + teamsQuery() });
    for (const e of [downEvent, degradedEvent, recoveredEvent]) await teamsChannel.send(e, o);
    expect(fake.rejected).toEqual([]);
    const cards = fake.received.map((r) => r.json.attachments[0].content);
    const [down, slow, up] = cards;
    expect(down.body[0]).toMatchObject({ type: 'TextBlock', color: 'Attention', weight: 'Bolder', text: 'DOWN Shop <b>&</b> \\*beta\\* \\_v2\\_ @everyone Café: 3 failed checks in a row at step "pay": HTTP 503' });
    expect(down.body[1].facts).toContainEqual({ title: 'Failing step', value: 'pay' });
    expect(down.body[1].facts).toContainEqual({ title: 'Started', value: '2026-11-23 10:00 UTC' });
    expect(down.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open the monitor page', url: MONITOR_URL }]);
    expect(slow.body[0].color).toBe('Warning');
    expect(slow.body[1].facts).toContainEqual({ title: 'Baseline', value: '420 ms (previous 7d, 40213 samples); alert above 2× = 840 ms' });
    expect(slow.body[1].facts).toContainEqual({ title: 'Actual', value: '1.9 s' });
    expect(up.body[0].color).toBe('Good');
    expect(fake.received[0].query.get('sig')).not.toBeNull();
  });

  it('names bad options by key', () => {
    expect(problemsFor(teamsChannel, { type: 'teams', url: 'outlook.office.com', timeout: 5 })).toEqual(['url: not a valid URL (expected http:// or https://)', 'timeout: Too small: expected number to be >=100']);
  });
});
