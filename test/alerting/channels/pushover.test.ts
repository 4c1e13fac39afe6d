import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pushoverChannel } from '../../../src/alerting/channels/pushover.js';
import { degradedEvent, downEvent, MONITOR_URL, TRICKY_NAME } from './events.js';
import { PUSHOVER_TOKEN, PUSHOVER_USER, startFakePushover } from './fakes/pushover.js';
import { optionsOf, problemsFor } from './helpers.js';

describe('pushover channel', () => {
  let fake: Awaited<ReturnType<typeof startFakePushover>>;
  beforeEach(async () => {
    fake = await startFakePushover();
  });
  afterEach(() => fake.close());
  const options = (extra = {}) => optionsOf(pushoverChannel, { type: 'pushover', token: PUSHOVER_TOKEN, user: PUSHOVER_USER, apiUrl: fake.url, ...extra });

  it('posts the messages API form: title, escaped HTML evidence, link, priority per kind', async () => {
    await pushoverChannel.send(downEvent, options({ sound: 'siren', device: 'phone' }));
    await pushoverChannel.send(degradedEvent, options());
    expect(fake.rejected).toEqual([]);
    const [down, slow] = fake.sent;
    expect(down).toMatchObject({ title: `DOWN ${TRICKY_NAME}: 3 failed checks in a row at step "pay": HTTP 503`, html: '1', priority: '1', url: MONITOR_URL, url_title: 'Open the monitor page', sound: 'siren', device: 'phone', timestamp: String(Date.parse('2026-11-23T10:02:00Z') / 1000) });
    expect(down.message).toContain('<b>Failing step:</b> pay');
    expect(down.message).toContain('<b>Last failure:</b> [status] expected status 200, got 503 (&lt;html&gt; &amp; more)');
    expect(slow).toMatchObject({ priority: '0' });
    expect(slow.message).toContain('<b>Baseline:</b> 420 ms (previous 7d, 40213 samples); alert above 2× = 840 ms');
    expect(slow.retry).toBeUndefined();
  });

  it('emergency priority carries retry and expire', async () => {
    await pushoverChannel.send(downEvent, options({ priority: { down: 2 }, retry: 120, expire: 1800 }));
    expect(fake.rejected).toEqual([]);
    expect(fake.sent[0]).toMatchObject({ priority: '2', retry: '120', expire: '1800' });
  });

  it('a wrong user key is the provider’s 400 with its words', async () => {
    const err = await pushoverChannel.send(downEvent, options({ user: 'u0000000000000000000000000000z' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, message: expect.stringMatching(/^Pushover answered HTTP 400: user identifier is not a valid user/) });
    expect((err as Error).message).not.toContain(PUSHOVER_TOKEN);
  });

  it('defaults to the real API and names bad options', () => {
    expect(optionsOf(pushoverChannel, { type: 'pushover', token: PUSHOVER_TOKEN, user: PUSHOVER_USER }).apiUrl).toBe('https://api.pushover.net');
    expect(problemsFor(pushoverChannel, { type: 'pushover', token: 'short', user: PUSHOVER_USER, expire: 99_999 })).toEqual([
      'token: a Pushover key is 30 letters and digits',
      'expire: Too big: expected number to be <=10800',
    ]);
  });
});
