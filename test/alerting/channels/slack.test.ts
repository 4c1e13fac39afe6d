import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slackChannel } from '../../../src/alerting/channels/slack.js';
import { degradedEvent, downEvent, MONITOR_URL, recoveredEvent } from './events.js';
import type { FakeProvider } from './fake-provider.js';
import { SLACK_PATH, startFakeSlack } from './fakes/slack.js';
import { optionsOf, problemsFor } from './helpers.js';

describe('slack channel', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeSlack();
  });
  afterEach(() => fake.close());

  it('posts Block Kit: a header, the evidence in escaped mrkdwn, the link, the event id', async () => {
    const o = optionsOf(slackChannel, { type: 'slack', url: fake.url + SLACK_PATH });
    await slackChannel.send(downEvent, o);
    await slackChannel.send(degradedEvent, o);
    await slackChannel.send(recoveredEvent, o);
    expect(fake.rejected).toEqual([]);
    const [down, slow, up] = fake.received.map((r) => r.json);
    expect(down.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':red_circle: DOWN Shop <b>&</b> *beta* _v2_ @everyone Café: 3 failed checks in a row at step "pay": HTTP 503', emoji: true } });
    const facts: string = down.blocks[1].text.text;
    expect(facts).toContain('*Monitor:* Shop &lt;b&gt;&amp;&lt;/b&gt; *beta* _v2_ @everyone Café (checkout)');
    expect(facts).toContain('*Failing step:* pay');
    expect(facts).toContain('*Status code:* 503');
    expect(facts).toContain('*Last failure:* [status] expected status 200, got 503 (&lt;html&gt; &amp; more)');
    expect(facts).toContain('*Started:* 2026-11-23 10:00 UTC');
    expect(down.blocks[2].text.text).toBe(`<${MONITOR_URL}|Open the monitor page>`);
    expect(down.blocks[3].elements[0].text).toBe('halftime · event evt-down-1');
    expect(down.text).toBe('DOWN Shop &lt;b&gt;&amp;&lt;/b&gt; *beta* _v2_ @everyone Café: 3 failed checks in a row at step "pay": HTTP 503');
    const slowFacts: string = slow.blocks[1].text.text;
    expect(slowFacts).toContain('*Step:* pay');
    expect(slowFacts).toContain('*Actual:* 1.9 s');
    expect(slowFacts).toContain('*Baseline:* 420 ms (previous 7d, 40213 samples); alert above 2× = 840 ms');
    expect(slowFacts).toContain('*Rule:* p95 over 10m &gt; 2x baseline 7d');
    expect(slow.blocks[0].text.text).toMatch(/^:large_orange_circle: DEGRADED/);
    expect(up.blocks[0].text.text).toMatch(/^:large_green_circle: RECOVERED .*: up again after 67 min$/);
    expect(up.blocks[1].text.text).toContain('*Lasted:* 67 min');
  });

  it('names bad options by key', () => {
    expect(problemsFor(slackChannel, { type: 'slack' })).toEqual(['url: required']);
    expect(problemsFor(slackChannel, { type: 'slack', url: 'hooks.slack.com/services/x', channel: '#ops' })).toEqual(['url: not a valid URL (expected http:// or https://)', ': unknown key: channel']);
  });
});
