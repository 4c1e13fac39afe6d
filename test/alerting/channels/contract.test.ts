/**
 * What every provider channel promises, checked against each provider's fake: it delivers every
 * kind of message in the documented shape, a refusal or a rate limit becomes an error with the
 * status and the provider's words (never the credential), and no request waits forever.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendTestMessage } from '../../../src/alerting/alert-test.js';
import { builtinChannels } from '../../../src/alerting/channels/index.js';
import { ChannelError } from '../../../src/alerting/channels/http.js';
import type { ChannelPlugin } from '../../../src/alerting/types.js';
import { loadYaml } from '../fixtures.js';
import { cases } from './cases.js';
import { allEvents, downEvent, hugeEvent } from './events.js';
import type { FakeProvider } from './fake-provider.js';

function validated(plugin: ChannelPlugin, raw: Record<string, unknown>) {
  const r = plugin.validate(raw);
  if (!r.ok) throw new Error(`${raw.type}: ${JSON.stringify(r.problems)}`);
  return r.value;
}

async function failure(p: Promise<unknown>): Promise<ChannelError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChannelError);
  return err as ChannelError;
}

describe.each(cases)('$type channel', (c) => {
  let fake: FakeProvider;
  const plugin = builtinChannels.get(c.type)!;
  beforeEach(async () => {
    fake = await c.start();
  });
  afterEach(() => fake.close());

  it('is registered and delivers every kind of message in the shape the provider documents', async () => {
    expect(plugin).toBeDefined();
    const o = validated(plugin, c.options(fake.url, c.secret));
    for (const e of allEvents) await plugin.send(e, o);
    expect(fake.rejected).toEqual([]);
    expect(fake.received.length).toBeGreaterThanOrEqual(allEvents.length);
    expect(fake.received.every((r) => r.method === 'POST')).toBe(true);
  });

  it('stays within the provider’s length limits, keeping the step and the status', async () => {
    const o = validated(plugin, c.options(fake.url, c.secret));
    await plugin.send(hugeEvent, o);
    expect(fake.rejected).toEqual([]);
    const all = fake.received.map((r) => r.body + JSON.stringify(r.headers)).join('\n');
    expect(all).toContain('pay');
    expect(all).toContain('503');
  });

  it('a refused credential throws with the status and the provider’s words, without the credential', async () => {
    const o = validated(plugin, c.options(fake.url, c.wrongSecret));
    const err = await failure(plugin.send(downEvent, o));
    expect(err.status).toBe(c.refused.status);
    expect(err.message).toMatch(c.refused.text);
    expect(err.message).toContain(`HTTP ${c.refused.status}`);
    expect(err.message).not.toContain(c.wrongSecret);
    expect(err.message).not.toContain(fake.url);
    expect(fake.rejected).toEqual([]);
  });

  it('a rate limit is a 429 error that carries the wait the provider asked for', async () => {
    const o = validated(plugin, c.options(fake.url, c.secret));
    fake.script.push(c.rateLimit);
    const err = await failure(plugin.send(downEvent, o));
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(c.retryAfterMs);
    if (c.retryAfterMs !== undefined) expect(err.message).toContain(`retry after ${c.retryAfterMs / 1000} s`);
    expect(err.message).not.toContain(c.secret);
    // The next attempt goes through.
    await plugin.send(downEvent, o);
    expect(fake.rejected).toEqual([]);
  });

  it('a server error is a 5xx error', async () => {
    const o = validated(plugin, c.options(fake.url, c.secret));
    fake.script.push({ status: 503, body: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>' });
    const err = await failure(plugin.send(downEvent, o));
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/HTTP 503: 503 Service Temporarily Unavailable$/);
  });

  it('gives up on a provider that does not answer, after its timeout', async () => {
    const o = validated(plugin, { ...c.options(fake.url, c.secret), timeout: 300 });
    fake.hang = true;
    const started = Date.now();
    const err = await failure(plugin.send(downEvent, o));
    expect(err.status).toBeUndefined();
    expect(err.message).toMatch(/no answer within 300 ms \(timeout\)/);
    // Generous: only shows the request did not wait for the server.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('`halftime alert-test` sends a test message, the credential coming from ${env:…}', async () => {
    const raw = JSON.stringify(c.options(fake.url, c.secret)).split(c.secret).join('${env:CHANNEL_SECRET}');
    const yaml = `server: { title: Shop status, publicUrl: "https://status.example.com" }\nalerts:\n  channels:\n    ops: ${raw}\nmonitors:\n  - { id: shop, name: Shop, steps: [{ url: "http://127.0.0.1:1/" }] }\n`;
    const ok = await sendTestMessage(loadYaml(yaml, { CHANNEL_SECRET: c.secret }), 'ops');
    expect(ok).toEqual({ ok: true, type: c.type });
    expect(fake.rejected).toEqual([]);
    expect(fake.received.some((r) => r.body.includes('Test message for Shop status') || decodeURIComponent(r.body.replace(/\+/g, ' ')).includes('Test message for Shop status') || String(r.headers.title ?? '').includes('Test message'))).toBe(true);
    const bad = await sendTestMessage(loadYaml(yaml, { CHANNEL_SECRET: c.wrongSecret }), 'ops');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toContain(`HTTP ${c.refused.status}`);
    expect(!bad.ok && bad.error).not.toContain(c.wrongSecret);
  });
});
