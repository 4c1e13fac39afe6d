import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { opsgenieChannel } from '../../../src/alerting/channels/opsgenie.js';
import { degradedEvent, downEvent, MONITOR_URL, recoveredEvent, reminderEvent, testEvent } from './events.js';
import { OPSGENIE_KEY, startFakeOpsgenie } from './fakes/opsgenie.js';
import { optionsOf, problemsFor } from './helpers.js';

describe('opsgenie channel', () => {
  let fake: Awaited<ReturnType<typeof startFakeOpsgenie>>;
  beforeEach(async () => {
    fake = await startFakeOpsgenie();
  });
  afterEach(() => fake.close());
  const options = (extra = {}) => optionsOf(opsgenieChannel, { type: 'opsgenie', apiKey: OPSGENIE_KEY, apiUrl: fake.url, ...extra });

  it('creates an alert on DOWN and closes it by the same alias on RECOVERED', async () => {
    const o = options({ tags: ['shop'] });
    await opsgenieChannel.send(downEvent, o);
    await opsgenieChannel.send(reminderEvent, o);
    await opsgenieChannel.send(recoveredEvent, o);
    expect(fake.rejected).toEqual([]);
    expect(fake.received.map((r) => r.path)).toEqual(['/v2/alerts', '/v2/alerts', `/v2/alerts/${fake.received[0].json.alias}/close`]);
    expect(fake.received[2].query.get('identifierType')).toBe('alias');
    const [alert] = fake.alerts.values();
    expect(fake.alerts.size).toBe(1);
    expect(alert).toMatchObject({ status: 'closed', count: 2, priority: 'P1', tags: ['halftime', 'down', 'shop'] });
    expect(alert.message.length).toBeLessThanOrEqual(130);
    expect(alert.message).toMatch(/^DOWN Shop <b>&<\/b>/);
    expect(alert.details).toMatchObject({ 'Failing step': 'pay', 'Status code': '503', 'Monitor page': MONITOR_URL, 'Event id': 'evt-down-1' });
    expect(alert.description).toContain('Started: 2026-11-23 10:00 UTC');
    expect(fake.received[0].json).toMatchObject({ entity: 'checkout', source: 'halftime' });
  });

  it('uses the configured priority for DEGRADED; a test alert is P5 and closed at once', async () => {
    await opsgenieChannel.send(degradedEvent, options({ priority: { degraded: 'P2' } }));
    await opsgenieChannel.send(testEvent, options());
    expect(fake.rejected).toEqual([]);
    const [slow, test] = fake.alerts.values();
    expect(slow).toMatchObject({ priority: 'P2', status: 'open' });
    expect(slow.details).toMatchObject({ Actual: '1.9 s', Baseline: '420 ms (previous 7d, 40213 samples); alert above 2× = 840 ms' });
    expect(test).toMatchObject({ priority: 'P5', status: 'closed' });
  });

  it('defaults to the real API and names bad options', () => {
    expect(optionsOf(opsgenieChannel, { type: 'opsgenie', apiKey: OPSGENIE_KEY }).apiUrl).toBe('https://api.opsgenie.com');
    expect(problemsFor(opsgenieChannel, { type: 'opsgenie', apiKey: '', priority: { down: 'P0' } })).toEqual([
      'apiKey: required: the API key of an Opsgenie API integration',
      'priority.down: Invalid option: expected one of "P1"|"P2"|"P3"|"P4"|"P5"',
    ]);
  });
});
