import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { webhookChannel, signBody } from '../../src/alerting/channels/webhook.js';
import type { AlertEvent } from '../../src/alerting/types.js';
import { startServer } from '../helpers.js';
import { BACKENDS } from '../support/backends.js';
import { harnessPerTest, loadYaml, makeRun, startHookReceiver, startSmtp, type Harness, type HookReceiver, type SmtpSink } from './fixtures.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const SECRET = 'whsec-5e3f9a1c';

const event: AlertEvent = {
  id: 'evt-1',
  kind: 'degraded',
  condition: 'degraded',
  at: T0 + 600_000,
  since: T0 + 600_000,
  monitor: { key: 'checkout', name: 'Checkout', url: 'https://status.example.com/#monitor-checkout' },
  evidence: {
    latency: { rule: 'p95 over 10m > 2x baseline 7d', step: 'pay', percentile: 0.95, windowMs: 600_000, actualMs: 1900, samples: 20, thresholdMs: 840, baselineMs: 420, factor: 2, baselineLabel: 'previous 7d' },
    worst: 1900,
  },
  recipients: ['private-person@example.com'],
};

describe('webhook channel', () => {
  let hook: HookReceiver;
  beforeEach(async () => {
    hook = await startHookReceiver(SECRET);
  });
  afterEach(() => hook.close());

  const options = (format: 'json' | 'slack' | 'discord', secret: string | undefined = SECRET) => {
    const r = webhookChannel.validate({ type: 'webhook', url: `${hook.url}/hook`, secret, format });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.value;
  };

  it('posts the event as JSON, signed with HMAC-SHA256 of the raw body', async () => {
    await webhookChannel.send(event, options('json'));
    expect(hook.received).toHaveLength(1);
    const [got] = hook.received;
    expect(got.signatureOk).toBe(true);
    expect(got.headers['x-halftime-signature']).toBe(signBody(got.body, SECRET));
    expect(got.headers['x-halftime-event']).toBe('evt-1');
    expect(got.json).toMatchObject({ id: 'evt-1', kind: 'degraded', monitor: { key: 'checkout' }, subject: '[halftime] DEGRADED Checkout: p95 1.9 s over 10 min on step "pay" (baseline 420 ms)' });
    expect(got.body).not.toContain(SECRET);
    expect(got.body).not.toContain('private-person@example.com');
  });

  it('a wrong secret does not verify, and a refused delivery throws', async () => {
    await expect(webhookChannel.send(event, options('json', 'other-secret'))).rejects.toThrow(/HTTP 401/);
    expect(hook.received[0].signatureOk).toBe(false);
  });

  it('speaks Slack and Discord message formats', async () => {
    await webhookChannel.send(event, options('slack'));
    await webhookChannel.send(event, options('discord'));
    const [slack, discord] = hook.received.map((r) => r.json as Record<string, any>);
    expect(slack.text).toContain('DEGRADED Checkout');
    expect(slack.blocks[1].text.text).toContain('*Baseline:* 420 ms');
    expect(slack.blocks[1].text.text).toContain('<https://status.example.com/#monitor-checkout|Open the monitor page>');
    expect(discord.embeds[0]).toMatchObject({ url: 'https://status.example.com/#monitor-checkout', color: 0xb26a00 });
    expect(discord.embeds[0].fields).toContainEqual({ name: 'Step', value: 'pay', inline: false });
    expect(hook.received.every((r) => r.signatureOk)).toBe(true);
  });

  it('rejects bad options with named fields', () => {
    const r = webhookChannel.validate({ type: 'webhook', url: 'ftp://x', format: 'teams' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path.join('.'))).toEqual(['url', 'format']);
  });
});

describe.each(BACKENDS)('outbox with several channels on %s', (kind) => {
  let smtp: SmtpSink;
  let hook: HookReceiver;
  beforeEach(async () => {
    smtp = await startSmtp();
    hook = await startHookReceiver(SECRET);
  });
  afterEach(async () => {
    await smtp.close();
    await hook.close();
  });
  // Registered after the servers' hooks, so its afterEach (harnesses closed) runs before theirs.
  const per = harnessPerTest(T0, kind);
  const { clock } = per;
  let h: Harness;

  const yaml = (hookUrl: string, timeout = 10_000) =>
    loadYaml(
      `
alerts:
  channels:
    mail: { type: email, host: 127.0.0.1, port: ${smtp.port}, from: a@example.com, to: ops@example.com }
    hook: { type: webhook, url: "${hookUrl}", secret: "\${env:HOOK_SECRET}", timeout: ${timeout} }
  retry: { initial: 1s, max: 10s }
monitors:
  - id: checkout
    name: Checkout
    steps: [{ url: "http://127.0.0.1:1/" }]
    alerts: { down: { after: 1 } }
`,
      { HOOK_SECRET: SECRET },
    );

  it('a webhook that is down is retried with backoff without holding back email', async () => {
    h = await per.open(yaml(`${hook.url}/hook`));
    hook.failNext = 2;
    await h.feed(makeRun('checkout', T0, { ok: false }));
    expect(await smtp.waitFor(1)).toHaveLength(1);
    expect(hook.received).toHaveLength(0);
    const pending = async () => (await h.store.alerts.outbox.all()).filter((r) => r.deliveredAt === null);
    expect(await pending()).toMatchObject([{ channel: 'hook', attempts: 1, lastError: 'webhook answered HTTP 503', nextAttemptAt: T0 + 1000 }]);
    clock.advance(1000);
    await h.alerting.sender.tick();
    expect(await pending()).toMatchObject([{ channel: 'hook', attempts: 2, nextAttemptAt: T0 + 1000 + 2000 }]);
    clock.advance(2000);
    await h.alerting.sender.tick();
    expect(await pending()).toEqual([]);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0].signatureOk).toBe(true);
    expect(smtp.mails).toHaveLength(1);
  });

  it('a webhook that hangs does not block email', async () => {
    const hung: import('node:http').ServerResponse[] = [];
    const stuck = await startServer((_req, res) => void hung.push(res));
    try {
      h = await per.open(yaml(`${stuck.url}/hook`, 1500), Date.now);
      h.store.writer.write(makeRun('checkout', Date.now(), { ok: false }));
      await h.alerting.onRun(makeRun('checkout', Date.now(), { ok: false }));
      // Email arrives while the webhook request is still hanging.
      const mails = await smtp.waitFor(1, 1000);
      expect(mails).toHaveLength(1);
      expect(hung.length).toBe(1);
      await h.alerting.sender.tick();
      const hookRow = (await h.store.alerts.outbox.all()).find((r) => r.channel === 'hook')!;
      expect(hookRow.deliveredAt).toBeNull();
      expect(hookRow.lastError).toMatch(/abort|timeout/i);
    } finally {
      await stuck.close();
    }
  });
});
