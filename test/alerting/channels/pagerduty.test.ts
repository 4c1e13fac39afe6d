import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pagerdutyChannel } from '../../../src/alerting/channels/pagerduty.js';
import { BACKENDS } from '../../support/backends.js';
import { harnessPerTest, loadYaml, makeRun, type Harness } from '../fixtures.js';
import { degradedEvent, degradedRecovered, downEvent, MONITOR_URL, recoveredEvent, reminderEvent, T0, testEvent } from './events.js';
import { PD_ROUTING_KEY, pagerdutyRateLimit, startFakePagerDuty } from './fakes/pagerduty.js';
import { optionsOf, problemsFor } from './helpers.js';

describe('pagerduty channel', () => {
  let fake: Awaited<ReturnType<typeof startFakePagerDuty>>;
  beforeEach(async () => {
    fake = await startFakePagerDuty();
  });
  afterEach(() => fake.close());
  const options = (extra = {}) => optionsOf(pagerdutyChannel, { type: 'pagerduty', routingKey: PD_ROUTING_KEY, apiUrl: fake.url, ...extra });

  it('triggers on DOWN and resolves on RECOVERED with the same dedup_key; a reminder adds to the open alert', async () => {
    const o = options();
    await pagerdutyChannel.send(downEvent, o);
    await pagerdutyChannel.send(reminderEvent, o);
    await pagerdutyChannel.send(recoveredEvent, o);
    expect(fake.rejected).toEqual([]);
    const [trigger, again, resolve] = fake.received.map((r) => r.json);
    expect(trigger.event_action).toBe('trigger');
    expect(again.event_action).toBe('trigger');
    expect(resolve).toEqual({ routing_key: PD_ROUTING_KEY, event_action: 'resolve', dedup_key: trigger.dedup_key });
    expect(again.dedup_key).toBe(trigger.dedup_key);
    expect([...fake.alerts.values()]).toEqual([{ dedupKey: trigger.dedup_key, status: 'resolved', triggers: 2, summary: expect.stringContaining('DOWN Shop'), severity: 'critical' }]);
    expect(trigger.payload).toMatchObject({ source: 'checkout', severity: 'critical', class: 'down', group: 'halftime', timestamp: '2026-11-23T10:02:00.000Z' });
    expect(trigger.payload.custom_details).toMatchObject({ 'Failing step': 'pay', 'Status code': '503', Started: '2026-11-23 10:00 UTC', 'Event id': 'evt-down-1' });
    expect(trigger.links).toEqual([{ href: MONITOR_URL, text: 'Monitor page' }]);
    expect(trigger.client_url).toBe(MONITOR_URL);
  });

  it('keeps DOWN and DEGRADED incidents apart, with the configured severity', async () => {
    const o = options({ severity: { degraded: 'error' } });
    await pagerdutyChannel.send(degradedEvent, o);
    await pagerdutyChannel.send(downEvent, o);
    await pagerdutyChannel.send(degradedRecovered, o);
    expect(fake.rejected).toEqual([]);
    const byKey = Object.fromEntries([...fake.alerts.values()].map((a) => [a.severity, a.status]));
    expect(byKey).toEqual({ error: 'resolved', critical: 'triggered' });
    expect(fake.received[0].json.payload.custom_details).toMatchObject({ Baseline: '420 ms (previous 7d, 40213 samples); alert above 2× = 840 ms', Actual: '1.9 s', Step: 'pay' });
  });

  it('a test message triggers an info alert and resolves it at once', async () => {
    await pagerdutyChannel.send(testEvent, options());
    expect(fake.received.map((r) => [r.json.event_action, r.json.payload?.severity])).toEqual([['trigger', 'info'], ['resolve', undefined]]);
    expect([...fake.alerts.values()].map((a) => a.status)).toEqual(['resolved']);
  });

  it('defaults to the real Events API and checks the key', () => {
    expect(optionsOf(pagerdutyChannel, { type: 'pagerduty', routingKey: PD_ROUTING_KEY }).apiUrl).toBe('https://events.pagerduty.com');
    expect(problemsFor(pagerdutyChannel, { type: 'pagerduty', routingKey: 'short', severity: { down: 'fatal' } })).toEqual([
      'routingKey: a PagerDuty integration key is 32 characters',
      'severity.down: Invalid option: expected one of "critical"|"error"|"warning"|"info"',
    ]);
    expect(problemsFor(pagerdutyChannel, { type: 'pagerduty' })).toEqual(['routingKey: required']);
  });

  describe.each(BACKENDS)('through the outbox on %s', (kind) => {
    const per = harnessPerTest(T0, kind);
    const { clock } = per;
    let h: Harness;

    it('a run that fails triggers, a rate limit is retried, the recovery resolves the same alert', async () => {
      const loaded = loadYaml(
        `
server: { publicUrl: "https://status.example.com" }
alerts:
  channels:
    pager: { type: pagerduty, routingKey: "\${env:PD_KEY}", apiUrl: "${fake.url}" }
  retry: { initial: 1s, max: 10s }
monitors:
  - { id: checkout, name: Checkout, steps: [{ url: "http://127.0.0.1:1/" }], alerts: { down: { after: 1 } } }
`,
        { PD_KEY: PD_ROUTING_KEY },
      );
      h = await per.open(loaded);
      fake.script.push(pagerdutyRateLimit);
      await h.feed(makeRun('checkout', T0, { ok: false }));
      const rows = () => h.store.alerts.outbox.all();
      expect(await rows()).toMatchObject([{ channel: 'pager', deliveredAt: null, attempts: 1 }]);
      expect((await rows())[0].lastError).toMatch(/^PagerDuty answered HTTP 429: Requests for this service are arriving too quickly/);
      expect((await rows())[0].lastError).not.toContain(PD_ROUTING_KEY);
      clock.advance(1000);
      await h.alerting.sender.tick();
      clock.advance(60_000);
      await h.feed(makeRun('checkout', T0 + 61_000, { ok: true }));
      expect((await rows()).every((r) => r.deliveredAt !== null)).toBe(true);
      const actions = fake.received.map((r) => [r.json.event_action, r.json.dedup_key]);
      expect(actions.map((a) => a[0])).toEqual(['trigger', 'trigger', 'resolve']);
      expect(new Set(actions.map((a) => a[1])).size).toBe(1);
      expect([...fake.alerts.values()].map((a) => a.status)).toEqual(['resolved']);
      expect(fake.rejected).toEqual([]);
    });
  });
});
