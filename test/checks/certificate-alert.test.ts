/** `alerts: { certificate: { expiresIn: 14d } }`: a WARNING well before expiry, a recovery once renewed — never down. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlerting, type Alerting } from '../../src/alerting/service.js';
import { subject, textBody } from '../../src/alerting/render.js';
import type { AlertEvent } from '../../src/alerting/types.js';
import { parseConfigText } from '../../src/configure.js';
import type { CertificateInfo, RunResult } from '../../src/probes/types.js';
import { BACKENDS, dropTestStore, openTestStore, type TestStore } from '../support/backends.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-23T10:00:00Z');

function certificate(validTo: number, now: number): CertificateInfo {
  return {
    host: 'shop.example.com', port: 443, subject: 'shop.example.com', altNames: ['DNS:shop.example.com'], issuer: 'Test CA (halftime tests)',
    validFrom: validTo - 90 * DAY, validTo, daysLeft: Math.round(((validTo - now) / DAY) * 10) / 10, serial: '01', fingerprint256: 'AA', chain: [], chainValid: true, hostnameValid: true,
  };
}

function run(at: number, validTo: number | null, ok = true): RunResult {
  return {
    monitorId: 'cert', plannedAt: at, startedAt: at, durationMs: 20, ok,
    ...(ok ? {} : { failure: { code: 'tls' as const, message: 'certificate has expired', step: 0 } }),
    steps: [{ index: 0, name: 'certificate', method: 'TLS', url: 'tls://shop.example.com:443', startedAt: at, ok, timings: { dns: 0, connect: 1, tls: 5, ttfb: 0, download: 0, total: 20 }, bytes: 0, redirects: 0, headers: {}, evidence: [], ...(validTo !== null ? { tls: certificate(validTo, at) } : {}) }],
  };
}

const yaml = `
alerts:
  channels: { hook: { type: webhook, url: "http://127.0.0.1:9/hook" } }
monitors:
  - { name: Certificate, id: cert, type: tls, host: shop.example.com, alerts: { certificate: { expiresIn: 14d } } }
`;

describe.each(BACKENDS)('certificate warning on %s', (kind) => {
  let store: TestStore;
  let alerting: Alerting;
  const clock = { now: T0 };
  const kinds = (events: AlertEvent[]) => events.map((e) => `${e.kind}:${e.condition}`);

  beforeEach(async () => {
    clock.now = T0;
    const { config } = parseConfigText(yaml, 'test.yaml', {});
    store = await openTestStore(kind, [{ key: 'cert', name: 'Certificate', public: true, schedule: 'every 1h', steps: 1 }]);
    alerting = await createAlerting({ config, alertStore: store.alerts, latency: store.latency, now: () => clock.now, flush: () => store.writer.flush() });
  });
  afterEach(async () => {
    await alerting.stop(0);
    await dropTestStore(store);
  });

  const feed = async (validTo: number | null, ok = true) => {
    const r = run(clock.now, validTo, ok);
    store.writer.write(r);
    return alerting.onRun(r);
  };

  it('warns once when the certificate comes within 14 days, stays up, and recovers when it is renewed', async () => {
    const expiry = T0 + 20 * DAY;
    expect(await feed(expiry)).toEqual([]);
    clock.now = T0 + 5 * DAY;
    expect(await feed(expiry)).toEqual([]);
    clock.now = T0 + 6 * DAY + 1; // 13.99 days left
    const [warning] = await feed(expiry);
    expect(kinds([warning])).toEqual(['warning:certificate']);
    expect(warning.evidence.certificate).toMatchObject({ host: 'shop.example.com', issuer: 'Test CA (halftime tests)', validTo: expiry, daysLeft: 14, expiresInMs: 14 * DAY });
    expect(subject(warning)).toBe('[halftime] CERTIFICATE Certificate: the certificate for shop.example.com expires in 14 days (2026-12-13)');
    expect(textBody(warning)).toMatch(/Warning at: +14 days before expiry/);
    expect(alerting.status('cert')).toBe('up');
    expect(alerting.certificate('cert')).toMatchObject({ host: 'shop.example.com', validTo: expiry });
    // Later runs within the window raise nothing new; a run that showed no certificate changes nothing.
    clock.now = T0 + 10 * DAY;
    expect(await feed(expiry)).toEqual([]);
    expect(await feed(null)).toEqual([]);
    expect(alerting.certificate('cert')!.daysLeft).toBe(10);
    // Renewed: a recovery about the certificate, and the warning is gone.
    clock.now = T0 + 11 * DAY;
    const [renewed] = await feed(T0 + 101 * DAY);
    expect(kinds([renewed])).toEqual(['recovered:certificate']);
    expect(subject(renewed)).toBe('[halftime] RECOVERED Certificate: certificate renewed, valid until 2027-03-04');
    expect(alerting.certificate('cert')).toBeNull();
    // Every message went through the outbox to the monitor's channel; no incident record (a warning is not an outage).
    const out = await store.alerts.outbox.list({ state: 'all' });
    expect(out.map((o) => `${o.channel}:${o.kind}`).sort()).toEqual(['hook:recovered', 'hook:warning']);
    expect(await store.alerts.listIncidents({})).toEqual([]);
  });

  it('an expired certificate is down (the check fails) and still a certificate warning', async () => {
    const events = [...(await feed(T0 - DAY, false)), ...(await feed(T0 - DAY, false))];
    expect(kinds(events)).toEqual(['warning:certificate', 'down:down']);
    expect(alerting.status('cert')).toBe('down');
    expect(subject(events[0])).toContain('expired 1 days ago');
  });
});
