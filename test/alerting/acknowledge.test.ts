import { afterEach, describe, expect, it } from 'vitest';
import { schemaVersion } from '../../src/store/db.js';
import { tempDir } from '../helpers.js';
import { fakeClock, loadYaml, makeRun, openHarness, startSmtp, type Harness, type SmtpSink } from './fixtures.js';

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

describe('acknowledging an incident', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let smtp: SmtpSink | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    await smtp?.close();
    tmp?.cleanup();
    h = smtp = tmp = undefined;
  });

  it('stops its reminders (by run and by timer), still announces the recovery, and the next incident reminds again', async () => {
    tmp = tempDir();
    smtp = await startSmtp();
    const clock = fakeClock(T0);
    h = openHarness(config(smtp.port), `${tmp.dir}/h.db`, clock.now);
    expect(schemaVersion(h.store.db)).toBeGreaterThanOrEqual(7);
    const fail = () => h!.feed(makeRun('checkout', clock.now(), { ok: false }));

    await fail();
    clock.advance(MIN);
    expect((await fail()).map((e) => e.kind)).toEqual(['down']);
    await smtp.waitFor(1);
    const [incident] = h.store.alerts.listIncidents({ open: true });
    expect(incident).toMatchObject({ kind: 'down', acknowledgedAt: null });

    // Acknowledged 10 minutes in: the reminders due at 30 and 60 minutes are not sent.
    clock.advance(10 * MIN);
    expect(h.store.alerts.acknowledge(incident.id, 'admin', clock.now())).toMatchObject({ ok: true, incident: { acknowledgedBy: 'admin' } });
    expect(h.store.alerts.isAcknowledged('checkout', 'down')).toBe(true);
    clock.advance(25 * MIN);
    expect(await fail()).toEqual([]);
    clock.advance(35 * MIN);
    expect(h.alerting.tick()).toEqual([]);
    await h.alerting.sender.tick();
    expect(h.store.alerts.outbox.all()).toHaveLength(1);

    // Recovery is still sent, and closes the acknowledged incident.
    clock.advance(MIN);
    expect((await h.feed(makeRun('checkout', clock.now(), { durationMs: 80 }))).map((e) => e.kind)).toEqual(['recovered']);
    const mails = await smtp.waitFor(2);
    expect(mails.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[halftime\] DOWN Checkout/), expect.stringMatching(/^\[halftime\] RECOVERED Checkout/)]);
    expect(h.store.alerts.incident(incident.id)).toMatchObject({ endedAt: clock.now(), acknowledgedAt: T0 + 11 * MIN });
    expect(h.store.alerts.acknowledge(incident.id, 'admin', clock.now())).toEqual({ ok: false, reason: 'closed' });

    // A new outage is a new, unacknowledged incident: its reminder comes as configured.
    clock.advance(MIN);
    await fail();
    clock.advance(MIN);
    expect((await fail()).map((e) => e.kind)).toEqual(['down']);
    expect(h.store.alerts.isAcknowledged('checkout', 'down')).toBe(false);
    clock.advance(30 * MIN);
    expect(h.alerting.tick().map((e) => e.kind)).toEqual(['reminder']);
    await h.alerting.sender.tick();
    const all = await smtp.waitFor(4);
    expect(all[3].subject).toMatch(/^\[halftime\] STILL DOWN Checkout/);
  });
});
