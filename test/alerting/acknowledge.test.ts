import { afterEach, describe, expect, it } from 'vitest';
import { schemaVersion } from '../../src/store/db.js';
import { storeSql } from '../../src/store/index.js';
import { BACKENDS } from '../support/backends.js';
import { harnessPerTest, loadYaml, makeRun, startSmtp, type SmtpSink } from './fixtures.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const MIN = 60_000;

const config = (port: number) =>
  loadYaml(`
alerts:
  channels:
    ops-mail: { type: email, host: 127.0.0.1, port: ${port}, secure: false, from: halftime@example.com, to: [ops@example.com], timeout: 2000 }
  defaults: { reminderEvery: 30m }
monitors:
  - id: checkout
    name: Checkout
    steps: [{ name: home, url: "http://127.0.0.1:1/" }]
`);

describe.each(BACKENDS)('acknowledging an incident on %s', (kind) => {
  let smtp: SmtpSink | undefined;
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });
  // Registered after the SMTP server's hook, so its afterEach (harnesses closed, database dropped) runs first.
  const per = harnessPerTest(T0, kind);
  const { clock } = per;

  it('stops its reminders (by run and by timer), still announces the recovery, and the next incident reminds again', async () => {
    smtp = await startSmtp();
    const h = await per.open(config(smtp.port));
    expect(await schemaVersion(storeSql(h.store))).toBeGreaterThanOrEqual(7);
    const fail = () => h.feed(makeRun('checkout', clock.now(), { ok: false }));

    await fail();
    clock.advance(MIN);
    expect((await fail()).map((e) => e.kind)).toEqual(['down']);
    await smtp.waitFor(1);
    const [incident] = await h.store.alerts.listIncidents({ open: true });
    expect(incident).toMatchObject({ kind: 'down', acknowledgedAt: null });

    // Acknowledged 10 minutes in: the reminders due at 30 and 60 minutes are not sent.
    clock.advance(10 * MIN);
    expect(await h.store.alerts.acknowledge(incident.id, 'admin', clock.now())).toMatchObject({ ok: true, incident: { acknowledgedBy: 'admin' } });
    expect(await h.store.alerts.isAcknowledged('checkout', 'down')).toBe(true);
    clock.advance(25 * MIN);
    expect(await fail()).toEqual([]);
    clock.advance(35 * MIN);
    expect(await h.alerting.tick()).toEqual([]);
    await h.alerting.sender.tick();
    expect(await h.store.alerts.outbox.all()).toHaveLength(1);

    // Recovery is still sent, and closes the acknowledged incident.
    clock.advance(MIN);
    expect((await h.feed(makeRun('checkout', clock.now(), { durationMs: 80 }))).map((e) => e.kind)).toEqual(['recovered']);
    const mails = await smtp.waitFor(2);
    expect(mails.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[halftime\] DOWN Checkout/), expect.stringMatching(/^\[halftime\] RECOVERED Checkout/)]);
    expect(await h.store.alerts.incident(incident.id)).toMatchObject({ endedAt: clock.now(), acknowledgedAt: T0 + 11 * MIN });
    expect(await h.store.alerts.acknowledge(incident.id, 'admin', clock.now())).toEqual({ ok: false, reason: 'closed' });

    // A new outage is a new, unacknowledged incident: its reminder comes as configured.
    clock.advance(MIN);
    await fail();
    clock.advance(MIN);
    expect((await fail()).map((e) => e.kind)).toEqual(['down']);
    expect(await h.store.alerts.isAcknowledged('checkout', 'down')).toBe(false);
    clock.advance(30 * MIN);
    expect((await h.alerting.tick()).map((e) => e.kind)).toEqual(['reminder']);
    await h.alerting.sender.tick();
    const all = await smtp.waitFor(4);
    expect(all[3].subject).toMatch(/^\[halftime\] STILL DOWN Checkout/);
  });
});
