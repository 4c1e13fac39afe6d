import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { freePort, harnessPerTest, loadYaml, makeRun, startSmtp, writeHistory, type Harness, type SmtpSink } from './fixtures.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const MIN = 60_000;
const ENV = { SMTP_USER: 'alerts', SMTP_PASSWORD: 'smtp-pass-123' };

function config(port: number, monitorAlerts = '', top = '') {
  return loadYaml(
    `
server: { publicUrl: "https://status.example.com" }
alerts:
  channels:
    ops-mail:
      type: email
      host: 127.0.0.1
      port: ${port}
      secure: false
      user: \${env:SMTP_USER}
      password: \${env:SMTP_PASSWORD}
      from: halftime <halftime@example.com>
      to: [ops@example.com]
      timeout: 2000
  retry: { initial: 10s, max: 1m }
${top}
monitors:
  - id: checkout
    name: Checkout
    steps: [{ name: home, url: "http://127.0.0.1:1/" }]
${monitorAlerts}
`,
    ENV,
  );
}

describe.each(BACKENDS)('email alerts through a real SMTP server on %s', (kind) => {
  let smtp: SmtpSink | undefined;
  let h: Harness;
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });
  // Registered after the SMTP server's hook, so its afterEach (harnesses closed, database dropped) runs first.
  const per = harnessPerTest(T0, kind);
  const { clock } = per;
  const fail = (t: number) => makeRun('checkout', t, { ok: false, steps: [{ name: 'home', totalMs: 40, ok: false, status: 503 }] });

  it('sends DOWN after two failed runs with the evidence, then RECOVERED; records the incident', async () => {
    smtp = await startSmtp();
    h = await per.open(config(smtp.port));
    expect(await h.feed(fail(clock.now()))).toEqual([]);
    clock.advance(MIN);
    const events = await h.feed(fail(clock.now()));
    expect(events.map((e) => e.kind)).toEqual(['down']);
    const [down] = await smtp.waitFor(1);
    expect(down.subject).toBe('[halftime] DOWN Checkout: 2 failed checks in a row at step "home": HTTP 503');
    expect(down.to && !Array.isArray(down.to) ? down.to.text : '').toBe('ops@example.com');
    expect(down.text).toContain('Status code:');
    expect(down.text).toContain('503');
    expect(down.text).toContain('Started:                2026-11-23 10:00 UTC');
    expect(down.text).toContain('Monitor page: https://status.example.com/#monitor-checkout');
    expect(down.html).toContain('<a href="https://status.example.com/#monitor-checkout">');
    expect(down.html).toContain('expected status 200, got 503');
    expect(h.alerting.status('checkout')).toBe('down');

    clock.advance(5 * MIN);
    await h.feed(makeRun('checkout', clock.now(), { durationMs: 90 }));
    const mails = await smtp.waitFor(2);
    expect(mails[1].subject).toBe('[halftime] RECOVERED Checkout: up again after 6 min');
    expect(h.alerting.status('checkout')).toBe('up');
    const [incident] = await h.alerting.incidents('checkout', 0);
    expect(incident).toMatchObject({ kind: 'down', startedAt: T0, endedAt: T0 + 6 * MIN, worstValue: 2 });
    expect(incident.summary).toContain('DOWN Checkout');
    // Secrets never travel in messages.
    for (const m of mails) expect(`${m.text}${m.html}`).not.toContain('smtp-pass-123');
    expect(JSON.stringify(await h.store.alerts.outbox.all())).not.toContain('smtp-pass-123');
    expect(mails).toHaveLength(2);
  });

  it('sends DEGRADED on an absolute p95 line with step, percentile, threshold and actual', async () => {
    smtp = await startSmtp();
    h = await per.open(config(smtp.port, `    alerts:\n      degraded: ["p95 > 800ms over 10m"]`));
    for (let i = 0; i < 5; i++) {
      expect(await h.feed(makeRun('checkout', clock.now(), { durationMs: 120 }))).toEqual([]);
      clock.advance(MIN);
    }
    // First slow evaluation: bad 1 of 2.
    expect(await h.feed(makeRun('checkout', clock.now(), { durationMs: 1900 }))).toEqual([]);
    clock.advance(MIN);
    const events = await h.feed(makeRun('checkout', clock.now(), { durationMs: 1900 }));
    expect(events.map((e) => e.kind)).toEqual(['degraded']);
    const [mail] = await smtp.waitFor(1);
    expect(mail.subject).toBe('[halftime] DEGRADED Checkout: p95 1.9 s over 10 min (limit 800 ms)');
    expect(mail.text).toMatch(/Step:\s+whole run/);
    expect(mail.text).toMatch(/Percentile:\s+p95 over 10 min \(7 samples\)/);
    expect(mail.text).toMatch(/Actual:\s+1\.9 s/);
    expect(mail.text).toMatch(/Threshold:\s+800 ms/);
    expect(h.alerting.status('checkout')).toBe('degraded');
    const [incident] = await h.alerting.incidents('checkout', 0);
    expect(incident).toMatchObject({ kind: 'degraded', endedAt: null, worstValue: 1900 });
  });

  it('computes the relative baseline from stored history (previous 7 days)', async () => {
    smtp = await startSmtp();
    h = await per.open(config(smtp.port, `    alerts:\n      degraded: [{ rule: "p95 over 10m > 2x baseline 7d", step: home, enterAfter: 1 }]`));
    // Seven days of history, every 30 minutes: 380–420 ms.
    const history = [];
    for (let t = T0 - 7 * 86_400_000 + MIN; t < T0 - 10 * MIN; t += 30 * MIN) history.push(makeRun('checkout', t, { steps: [{ name: 'home', totalMs: 380 + ((t / MIN) % 41) }] }));
    await writeHistory(h.store, history);
    for (let i = 0; i < 5; i++) {
      await h.feed(makeRun('checkout', clock.now(), { steps: [{ name: 'home', totalMs: 1900 }] }));
      clock.advance(MIN);
    }
    const [mail] = await smtp.waitFor(1);
    const base = await h.store.latency({ monitorKey: 'checkout', step: 'home', percentile: 0.95, from: T0 - 7 * 86_400_000, to: T0 - 10 * MIN });
    expect(base.samples).toBe(history.length);
    expect(mail.subject).toBe(`[halftime] DEGRADED Checkout: p95 1.9 s over 10 min on step "home" (baseline ${Math.round(base.value!)} ms)`);
    expect(mail.text).toMatch(new RegExp(`Baseline:\\s+4\\d\\d ms \\(previous 7d, ${history.length} samples\\); alert above 2× = 8\\d\\d ms`));
    expect(mail.text).toMatch(/Step:\s+home/);
  });

  it('sends a reminder while still down, at the configured interval', async () => {
    smtp = await startSmtp();
    h = await per.open(config(smtp.port, `    alerts:\n      reminderEvery: 30m`));
    await h.feed(fail(clock.now()));
    clock.advance(MIN);
    await h.feed(fail(clock.now()));
    await smtp.waitFor(1);
    clock.advance(20 * MIN);
    expect(await h.feed(fail(clock.now()))).toEqual([]);
    clock.advance(10 * MIN);
    expect((await h.feed(fail(clock.now()))).map((e) => e.kind)).toEqual(['reminder']);
    const mails = await smtp.waitFor(2);
    expect(mails[1].subject).toBe('[halftime] STILL DOWN Checkout: for 31 min, 4 failed checks in a row at step "home": HTTP 503');
    // The timer-driven check (no new run) does not repeat it before the interval.
    clock.advance(5 * MIN);
    expect(await h.alerting.tick()).toEqual([]);
    clock.advance(26 * MIN);
    expect((await h.alerting.tick()).map((e) => e.kind)).toEqual(['reminder']);
    await h.alerting.sender.tick();
    expect(await smtp.waitFor(3)).toHaveLength(3);
  });

  it('stays silent inside a maintenance window and alerts again after it', async () => {
    smtp = await startSmtp();
    const top = `  maintenance:\n    - { name: db upgrade, start: "2026-11-23T10:00:00Z", end: "2026-11-23T10:30:00Z" }`;
    h = await per.open(config(smtp.port, '', top));
    for (let i = 0; i < 5; i++) {
      expect(await h.feed(fail(clock.now()))).toEqual([]);
      clock.advance(5 * MIN);
    }
    expect(h.alerting.status('checkout')).toBe('maintenance');
    expect(await h.store.alerts.outbox.all()).toEqual([]);
    expect(await h.alerting.incidents('checkout', 0)).toEqual([]);
    clock.set(T0 + 31 * MIN);
    await h.feed(fail(clock.now()));
    clock.advance(MIN);
    expect((await h.feed(fail(clock.now()))).map((e) => e.kind)).toEqual(['down']);
    const mails = await smtp.waitFor(1);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toContain('DOWN Checkout: 2 failed checks');
  });

  it('SMTP down, then back: the message arrives later, exactly once', async () => {
    const port = await freePort();
    h = await per.open(config(port));
    await h.feed(fail(clock.now()));
    clock.advance(MIN);
    await h.feed(fail(clock.now()));
    let [row] = await h.store.alerts.outbox.all();
    expect(row).toMatchObject({ channel: 'ops-mail', attempts: 1, deliveredAt: null });
    expect(row.lastError).toMatch(/ECONNREFUSED|connect/i);
    expect(row.nextAttemptAt).toBe(clock.now() + 10_000);
    // Second failure doubles the wait.
    clock.advance(10_000);
    await h.alerting.sender.tick();
    [row] = await h.store.alerts.outbox.all();
    expect(row).toMatchObject({ attempts: 2, nextAttemptAt: clock.now() + 20_000 });

    smtp = await startSmtp(port);
    await h.alerting.sender.tick(); // not due yet
    expect(smtp.mails).toHaveLength(0);
    clock.advance(20_000);
    await h.alerting.sender.tick();
    await h.alerting.sender.tick();
    clock.advance(10 * MIN);
    await h.alerting.sender.tick();
    const mails = await smtp.waitFor(1);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toContain('[halftime] DOWN Checkout');
    expect(await h.store.alerts.outbox.pending()).toBe(0);
    expect((await h.store.alerts.outbox.all())[0]).toMatchObject({ attempts: 3, deliveredAt: clock.now() - 10 * MIN });
  });

  it('resumes after a restart: pending messages are sent and the alert state carries on', async () => {
    const port = await freePort();
    h = await per.open(config(port));
    await h.feed(fail(clock.now()));
    clock.advance(MIN);
    await h.feed(fail(clock.now())); // DOWN queued, SMTP unreachable
    expect(await h.store.alerts.outbox.pending()).toBe(1);
    await h.close();

    smtp = await startSmtp(port);
    clock.advance(MIN);
    h = await per.open(config(port));
    expect(h.alerting.status('checkout')).toBe('down');
    await h.alerting.sender.tick();
    const [down] = await smtp.waitFor(1);
    expect(down.subject).toContain('[halftime] DOWN Checkout');
    // The episode continues across the restart: a success now is its recovery.
    await h.feed(makeRun('checkout', clock.now(), { durationMs: 80 }));
    const mails = await smtp.waitFor(2);
    expect(mails.map((m) => m.subject)).toEqual(['[halftime] DOWN Checkout: 2 failed checks in a row at step "home": HTTP 503', '[halftime] RECOVERED Checkout: up again after 2 min']);
  });

  it('sends to the monitor recipients instead of the channel default', async () => {
    smtp = await startSmtp();
    h = await per.open(config(smtp.port, `    alerts:\n      to: [shop-team@example.com, cto@example.com]\n      down: { after: 1 }`));
    await h.feed(fail(clock.now()));
    const [mail] = await smtp.waitFor(1);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual(['shop-team@example.com', 'cto@example.com']);
  });
});
