import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ntfyChannel } from '../../../src/alerting/channels/ntfy.js';
import { degradedEvent, downEvent, MONITOR_URL, recoveredEvent, TRICKY_NAME } from './events.js';
import { NTFY_PASSWORD, NTFY_TOKEN, NTFY_TOPIC, NTFY_USER, startFakeNtfy } from './fakes/ntfy.js';
import { optionsOf, problemsFor } from './helpers.js';

describe('ntfy channel', () => {
  let fake: Awaited<ReturnType<typeof startFakeNtfy>>;
  beforeEach(async () => {
    fake = await startFakeNtfy();
  });
  afterEach(() => fake.close());

  it('publishes to a self-hosted server: UTF-8 title, priority and tags per kind, click-through link, token', async () => {
    const o = optionsOf(ntfyChannel, { type: 'ntfy', url: fake.url, topic: NTFY_TOPIC, token: NTFY_TOKEN, tags: ['shop'] });
    for (const e of [downEvent, degradedEvent, recoveredEvent]) await ntfyChannel.send(e, o);
    expect(fake.rejected).toEqual([]);
    expect(fake.received.every((r) => r.path === `/${NTFY_TOPIC}` && r.headers.authorization === `Bearer ${NTFY_TOKEN}`)).toBe(true);
    const [down, slow, up] = fake.messages;
    expect(down.title).toBe(`DOWN ${TRICKY_NAME}: 3 failed checks in a row at step "pay": HTTP 503`);
    expect(down).toMatchObject({ priority: 5, tags: ['rotating_light', 'halftime', 'shop'], click: MONITOR_URL });
    expect(down.message).toContain('Failing step: pay');
    expect(down.message).toContain('Last failure: [status] expected status 200, got 503 (<html> & more)');
    expect(down.message).toContain('Started: 2026-11-23 10:00 UTC');
    expect(slow).toMatchObject({ priority: 4, tags: ['warning', 'halftime', 'shop'] });
    expect(slow.message).toContain('Baseline: 420 ms (previous 7d, 40213 samples); alert above 2× = 840 ms');
    expect(up).toMatchObject({ priority: 3, tags: ['white_check_mark', 'halftime', 'shop'] });
  });

  it('logs in with user and password; a topic that needs a login refuses without one', async () => {
    await ntfyChannel.send(downEvent, optionsOf(ntfyChannel, { type: 'ntfy', url: fake.url, topic: NTFY_TOPIC, user: NTFY_USER, password: NTFY_PASSWORD, priority: { down: 4 } }));
    expect(fake.messages[0].priority).toBe(4);
    await expect(ntfyChannel.send(downEvent, optionsOf(ntfyChannel, { type: 'ntfy', url: fake.url, topic: NTFY_TOPIC }))).rejects.toMatchObject({ status: 403, message: 'ntfy answered HTTP 403: forbidden' });
    expect(fake.rejected).toEqual([]);
  });

  it('defaults to ntfy.sh and names bad options', () => {
    expect(optionsOf(ntfyChannel, { type: 'ntfy', topic: 'alerts' }).url).toBe('https://ntfy.sh');
    expect(problemsFor(ntfyChannel, { type: 'ntfy', topic: 'has space', priority: { down: 9 } })).toEqual(['topic: a topic is 1 to 64 letters, digits, - or _', 'priority.down: Too big: expected number to be <=5']);
    expect(problemsFor(ntfyChannel, { type: 'ntfy', topic: 'alerts', token: 'tk_x', user: 'me', password: 'p' })).toEqual(['token: give either token or user and password, not both']);
    expect(problemsFor(ntfyChannel, { type: 'ntfy', topic: 'alerts', user: 'me' })).toEqual(['password: give both user and password, or neither']);
  });
});
