/**
 * The outbox cannot jam: a message a channel refuses for good is given up (dead) at once and the
 * channel's later messages flow; transient failures are retried with capped, jittered backoff and
 * delivered once, with the same event id on every attempt; a retry limit ends even those. Real
 * webhook receivers and a real SMTP server on 127.0.0.1; the clock is the test's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createSender, jitteredBackoffMs, isPermanentFailure } from '../../src/alerting/sender.js';
import { webhookChannel } from '../../src/alerting/channels/webhook.js';
import { createHealth } from '../../src/health/registry.js';
import { createLogger } from '../../src/log.js';
import { storeSql } from '../../src/store/index.js';
import { startServer, type TestServer } from '../helpers.js';
import { BACKENDS, dropTestStore, openTestStore } from '../support/backends.js';
import { freePort, harnessPerTest, loadYaml, makeRun, startSmtp, type Harness, type SmtpSink } from '../alerting/fixtures.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');

type Hit = { status: number; eventId: string; kind: string };

/** A webhook receiver that answers each request with the next status of `script` (then 204), recording what it got. */
async function scriptedHook(script: number[] | ((body: { kind: string }) => number)): Promise<TestServer & { hits: Hit[] }> {
  const hits: Hit[] = [];
  let i = 0;
  const srv = await startServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kind: string };
      const status = typeof script === 'function' ? script(body) : (script[i++] ?? 204);
      hits.push({ status, eventId: String(req.headers['x-halftime-event']), kind: body.kind });
      res.writeHead(status).end(status >= 400 ? 'no' : undefined);
    });
  });
  return Object.assign(srv, { hits });
}

const hookYaml = (url: string, retry = 'retry: { initial: 1s, max: 10s }', extra = '') =>
  loadYaml(`
alerts:
  channels:
    hook: { type: webhook, url: "${url}", timeout: 2000 }
${extra}
  ${retry}
monitors:
  - { id: checkout, name: Checkout, steps: [{ url: "http://127.0.0.1:1/" }], alerts: { down: { after: 1 } } }
`);

describe('outbox retry rules', () => {
  it('408 and 429 are retried; other 4xx are permanent; SMTP 5xx replies are permanent, 4xx are not', () => {
    const http = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status });
    expect([400, 401, 403, 404, 410, 422].map((s) => isPermanentFailure(http(s)))).toEqual([true, true, true, true, true, true]);
    expect([408, 429, 500, 502, 503].map((s) => isPermanentFailure(http(s)))).toEqual([false, false, false, false, false]);
    expect(isPermanentFailure(Object.assign(new Error('550 mailbox unavailable'), { responseCode: 550 }))).toBe(true);
    expect(isPermanentFailure(Object.assign(new Error('451 try later'), { responseCode: 451 }))).toBe(false);
    expect(isPermanentFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
  });

  it('waits are jittered between half and all of the capped backoff', () => {
    const retry = { initialMs: 1000, maxMs: 8000 };
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const waits = Array.from({ length: 200 }, (_, i) => [i % 6, jitteredBackoffMs(i % 6, retry, random)] as const);
    for (const [attempts, w] of waits) {
      const base = Math.min(8000, 1000 * 2 ** attempts);
      expect(w).toBeGreaterThanOrEqual(base / 2);
      expect(w).toBeLessThanOrEqual(base);
    }
    // Spread, not one value per attempt count.
    expect(new Set(waits.filter(([a]) => a === 5).map(([, w]) => w)).size).toBeGreaterThan(10);
  });

});

describe.each(BACKENDS)('outbox faults on %s', (kind) => {
  let h: Harness;
  let hook: (TestServer & { hits: Hit[] }) | undefined;
  let smtp: SmtpSink | undefined;
  afterEach(async () => {
    await hook?.close();
    await smtp?.close();
    hook = smtp = undefined;
  });
  // Registered after the servers' hooks, so its afterEach (harnesses closed, database dropped) runs first.
  const per = harnessPerTest(T0, kind);
  const { clock } = per;

  it('a webhook answering 400 gives that message up at once; later messages on the channel are still delivered', async () => {
    // The receiver refuses DOWN messages for good (a payload it cannot take) and accepts the rest.
    hook = await scriptedHook((b) => (b.kind === 'down' ? 400 : 204));
    h = await per.open(hookYaml(`${hook.url}/hook`));
    await h.feed(makeRun('checkout', T0, { ok: false }));
    const [down] = await h.store.alerts.outbox.all();
    expect(down).toMatchObject({ attempts: 1, deliveredAt: null, lastError: 'webhook answered HTTP 400' });
    expect(down.deadAt).toBe(T0);
    expect(down.deadReason).toBe('permanent failure: webhook answered HTTP 400');
    // Recovery: a later message on the same channel, not held back by the dead one.
    clock.advance(60_000);
    await h.feed(makeRun('checkout', clock.now(), { ok: true }));
    expect(hook.hits.map((x) => [x.kind, x.status])).toEqual([
      ['down', 400],
      ['recovered', 204],
    ]);
    expect((await h.store.alerts.outbox.list({ state: 'dead' })).map((r) => r.kind)).toEqual(['down']);
    expect(await h.store.alerts.outbox.pending()).toBe(0);
  });

  it('500, 500, 200: retried with backoff and delivered once, with the same event id every time', async () => {
    hook = await scriptedHook([500, 500, 200]);
    h = await per.open(hookYaml(`${hook.url}/hook`));
    await h.feed(makeRun('checkout', T0, { ok: false }));
    let [row] = await h.store.alerts.outbox.all();
    expect(row).toMatchObject({ attempts: 1, deadAt: null, deliveredAt: null, lastError: 'webhook answered HTTP 500' });
    expect(row.nextAttemptAt).toBe(T0 + 1000);
    await h.alerting.sender.tick(); // not due yet: nothing sent
    expect(hook.hits).toHaveLength(1);
    clock.advance(1000);
    await h.alerting.sender.tick();
    [row] = await h.store.alerts.outbox.all();
    expect(row).toMatchObject({ attempts: 2, nextAttemptAt: clock.now() + 2000 });
    clock.advance(2000);
    await h.alerting.sender.tick();
    clock.advance(60_000);
    await h.alerting.sender.tick();
    await h.alerting.sender.tick();
    expect(hook.hits.map((x) => x.status)).toEqual([500, 500, 200]);
    expect(new Set(hook.hits.map((x) => x.eventId)).size).toBe(1);
    expect(hook.hits[0].eventId).toBe(JSON.parse(row.event).id);
    expect((await h.store.alerts.outbox.all())[0]).toMatchObject({ attempts: 3, deadAt: null, deliveredAt: T0 + 3000 });
  });

  it('a webhook answering 400, then 500, then 200: the refused message is dead, the next one is retried and delivered once', async () => {
    hook = await scriptedHook([400, 500, 200]);
    h = await per.open(hookYaml(`${hook.url}/hook`));
    await h.feed(makeRun('checkout', T0, { ok: false })); // DOWN → 400: dead
    clock.advance(60_000);
    await h.feed(makeRun('checkout', clock.now(), { ok: true })); // RECOVERED → 500: retried
    clock.advance(1_000);
    await h.alerting.sender.tick(); // → 200
    clock.advance(60_000);
    await h.alerting.sender.tick();
    expect(hook.hits.map((x) => `${x.kind} ${x.status}`)).toEqual(['down 400', 'recovered 500', 'recovered 200']);
    expect(hook.hits[1].eventId).toBe(hook.hits[2].eventId);
    const [down, recovered] = await h.store.alerts.outbox.all();
    expect(down).toMatchObject({ deadReason: 'permanent failure: webhook answered HTTP 400', deliveredAt: null });
    expect(recovered).toMatchObject({ deadAt: null, attempts: 2, deliveredAt: T0 + 61_000 });
  });

  it('a message still failing after maxAttempts is given up and the next one flows', async () => {
    hook = await scriptedHook((b) => (b.kind === 'down' ? 503 : 204));
    h = await per.open(hookYaml(`${hook.url}/hook`, 'retry: { initial: 1s, max: 10s, maxAttempts: 3 }'));
    await h.feed(makeRun('checkout', T0, { ok: false }));
    clock.advance(60_000);
    await h.feed(makeRun('checkout', clock.now(), { ok: true })); // RECOVERED waits behind the failing DOWN (in order)
    expect(hook.hits.map((x) => x.kind)).toEqual(['down', 'down']);
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      await h.alerting.sender.tick();
    }
    expect(hook.hits.map((x) => `${x.kind} ${x.status}`)).toEqual(['down 503', 'down 503', 'down 503', 'recovered 204']);
    const [down, recovered] = await h.store.alerts.outbox.all();
    expect(down).toMatchObject({ attempts: 3, deliveredAt: null });
    expect(down.deadReason).toBe('gave up after 3 attempts: webhook answered HTTP 503');
    expect(recovered.deliveredAt).not.toBeNull();
  });

  it('a malformed row and a channel that is no longer configured are given up at once; the channel goes on', async () => {
    hook = await scriptedHook([]);
    h = await per.open(hookYaml(`${hook.url}/hook`));
    await h.store.alerts.enqueue('hook', '{"id": "broken', T0);
    await h.store.alerts.enqueue('removed-channel', JSON.stringify({ id: 'e-old', kind: 'down', monitor: { key: 'checkout' } }), T0);
    await h.feed(makeRun('checkout', T0, { ok: false }));
    const rows = await h.store.alerts.outbox.all();
    expect(rows.map((r) => [r.channel, r.deadReason?.replace(/:.*/, ''), r.deliveredAt !== null])).toEqual([
      ['hook', 'malformed message', false],
      ['removed-channel', 'channel "removed-channel" is no longer configured', false],
      ['hook', undefined, true],
    ]);
    expect(hook.hits.map((x) => x.kind)).toEqual(['down']);
    expect(await h.store.alerts.outbox.deadSince(T0)).toBe(2);
  });

  it('SMTP down for a while, then up: the message is delivered later, exactly once, and nothing is given up', async () => {
    const port = await freePort();
    h = await per.open(loadYaml(`
alerts:
  channels:
    mail: { type: email, host: 127.0.0.1, port: ${port}, from: a@example.com, to: ops@example.com, timeout: 2000 }
  retry: { initial: 1s, max: 30s }
monitors:
  - { id: checkout, name: Checkout, steps: [{ url: "http://127.0.0.1:1/" }], alerts: { down: { after: 1 } } }
`));
    await h.feed(makeRun('checkout', T0, { ok: false }));
    // Ten minutes of outage: attempts back off to the 30 s cap.
    for (let i = 0; i < 20; i++) {
      clock.advance(30_000);
      await h.alerting.sender.tick();
    }
    const during = (await h.store.alerts.outbox.all())[0];
    expect(during).toMatchObject({ deliveredAt: null, deadAt: null });
    expect(during.attempts).toBeGreaterThan(5);
    smtp = await startSmtp(port);
    clock.advance(30_000);
    await h.alerting.sender.tick();
    clock.advance(30_000);
    await h.alerting.sender.tick();
    await smtp.waitFor(1);
    await h.alerting.sender.tick();
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0].headers.get('x-halftime-event')).toBe(JSON.parse(during.event).id);
    expect(await h.store.alerts.outbox.pending()).toBe(0);
    expect(await h.store.alerts.outbox.deadSince(0)).toBe(0);
  });

  it('a delivery the database cannot record is not sent again on every tick, and is recorded once it can', async () => {
    hook = await scriptedHook([]);
    const store = await openTestStore(kind, [{ key: 'checkout', name: 'Checkout', public: false, schedule: 'x' }]);
    const sql = storeSql(store);
    try {
      await store.alerts.enqueue('hook', JSON.stringify({ id: 'evt-9', kind: 'down', condition: 'down', at: T0, since: T0, monitor: { key: 'checkout', name: 'Checkout', url: null }, evidence: {} }), T0);
      const opts = webhookChannel.validate({ type: 'webhook', url: `${hook.url}/hook` });
      if (!opts.ok) throw new Error('bad options');
      const health = createHealth({ now: clock.now });
      const sender = createSender({
        store: store.alerts,
        channels: [{ name: 'hook', plugin: webhookChannel, options: opts.value }],
        now: clock.now,
        health,
        log: createLogger({ write: () => {} }),
      });
      // The database reads but refuses every write to the outbox (as on a full disk).
      const refusal = kind === 'sqlite' ? 'attempt to write a readonly database' : 'could not extend file: No space left on device';
      if (kind === 'sqlite') await sql.exec('PRAGMA query_only = ON');
      else
        await sql.exec(`CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${refusal}'; END $$;
          CREATE TRIGGER refuse_write BEFORE INSERT OR UPDATE OR DELETE ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_write()`);
      await sender.tick();
      await sender.tick();
      clock.advance(60_000);
      await sender.tick();
      expect(hook.hits.map((x) => x.eventId)).toEqual(['evt-9']);
      expect(health.snapshot().problems).toMatchObject([{ check: 'outbox-records', reason: `recording a delivered alert failed: ${refusal}` }]);
      if (kind === 'sqlite') await sql.exec('PRAGMA query_only = OFF');
      else await sql.exec('DROP TRIGGER refuse_write ON outbox');
      await sender.tick();
      expect(hook.hits).toHaveLength(1);
      expect((await store.alerts.outbox.all())[0]).toMatchObject({ deliveredAt: T0, attempts: 1 });
      expect(health.snapshot().ok).toBe(true);
      await sender.stop();
    } finally {
      await dropTestStore(store);
    }
  });
});
