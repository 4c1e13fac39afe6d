/** `type: tls`: a certificate on host:port, directly or after SMTP STARTTLS (a real smtp-server). */
import { once } from 'node:events';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckRunner } from '../../src/probes/checks/index.js';
import { monitorFrom } from '../probes/journey-helpers.js';
import { makeCa, makeCert, tlsServer, type Pem, type TlsServer } from './certs.js';

const tlsMonitor = (port: number, extra = '', ca?: string) => ({
  ...monitorFrom(`- name: Certificate\n  type: tls\n  host: 127.0.0.1\n  port: ${port}\n  timeout: 3s\n${extra}`),
  ...(ca ? { ca } : {}),
});

describe('tls check type', () => {
  let ca: Pem;
  const closers: (() => Promise<void>)[] = [];
  let good: TlsServer;
  let expired: TlsServer;
  let wrong: TlsServer;
  let smtpPort: number;
  let smtpPlainPort: number;
  let notTls: NetServer;

  beforeAll(async () => {
    ca = await makeCa();
    const leaf = await makeCert({ names: ['mail.test', '127.0.0.1'], to: 3, ca });
    good = await tlsServer(leaf);
    expired = await tlsServer(await makeCert({ names: ['127.0.0.1'], from: -40, to: -10, ca }));
    wrong = await tlsServer(await makeCert({ names: ['elsewhere.test'], to: 60, ca }));
    closers.push(good.close, expired.close, wrong.close);
    // A real SMTP server that offers STARTTLS with the 3-day certificate, and one that does not offer it.
    const smtp = new SMTPServer({ key: leaf.key, cert: leaf.cert, authOptional: true, logger: false, onData: (s, _x, cb) => (s.resume(), s.on('end', () => cb())) });
    const smtpPlain = new SMTPServer({ disabledCommands: ['STARTTLS'], authOptional: true, logger: false });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => smtpPlain.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as AddressInfo).port;
    smtpPlainPort = (smtpPlain.server.address() as AddressInfo).port;
    closers.push(() => new Promise((r) => smtp.close(() => r())), () => new Promise((r) => smtpPlain.close(() => r())));
    // Accepts and speaks no TLS at all: the handshake waits until the check's time is up.
    notTls = createNetServer((s) => s.on('error', () => undefined).resume());
    notTls.listen(0, '127.0.0.1');
    await once(notTls, 'listening');
    closers.push(() => new Promise((r) => notTls.close(() => r())));
  });
  afterAll(async () => {
    for (const c of closers) await c();
  });

  const run = async (m: ReturnType<typeof tlsMonitor>) => (await createCheckRunner(m)!.run({ plannedAt: Date.now() }))!;

  it('passes a trusted certificate and keeps it with the one step, with the handshake timed', async () => {
    const r = await run(tlsMonitor(good.port, '', ca.cert));
    expect(r.ok, r.failure?.message).toBe(true);
    expect(r.steps).toHaveLength(1);
    const s = r.steps[0];
    expect(s).toMatchObject({ name: 'certificate', method: 'TLS', url: `tls://127.0.0.1:${good.port}` });
    expect(s.tls!.daysLeft).toBeGreaterThan(2.8);
    expect(s.tls!.daysLeft).toBeLessThanOrEqual(3);
    expect(s.tls!.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(s.timings.tls).toBeGreaterThan(0);
    expect(s.timings.connect).toBeGreaterThan(0);
    expect(s.timings.dns).toBe(0);
    expect(r.durationMs).toBe(s.timings.total);
    expect(s.evidence.map((e) => [e.what, e.pass])).toEqual([
      ['certificate chain', true],
      ['certificate names', true],
      ['certificate expires', true],
    ]);
    expect(s.evidence[2].actual).toMatch(/^\d{4}-\d\d-\d\d \(in \d\.\d? ?days\)$|^\d{4}-\d\d-\d\d \(in \d+(\.\d)? days\)$/);
  });

  it('fails an untrusted, an expired and a wrong-host certificate, naming why', async () => {
    const untrusted = await run(tlsMonitor(good.port));
    expect(untrusted.failure?.code).toBe('tls');
    expect(untrusted.failure?.message).toMatch(/^certificate of 127\.0\.0\.1:\d+ is not valid: unable to/);
    expect(untrusted.steps[0].evidence[0]).toMatchObject({ what: 'certificate chain', pass: false });

    const old = await run(tlsMonitor(expired.port, '', ca.cert));
    expect(old.failure?.code).toBe('tls');
    expect(old.failure?.message).toContain('certificate has expired');
    expect(old.steps[0].tls!.daysLeft).toBeLessThan(-9);
    expect(old.steps[0].evidence[2]).toMatchObject({ what: 'certificate expires', pass: false });

    const other = await run(tlsMonitor(wrong.port, '', ca.cert));
    expect(other.failure?.code).toBe('tls');
    expect(other.steps[0].tls!.hostnameValid).toBe(false);
    expect(other.steps[0].evidence[1]).toMatchObject({ what: 'certificate names', expected: '127.0.0.1', actual: 'no: DNS:elsewhere.test', pass: false });
  });

  it('checks the name given as servername (SNI) instead of the host', async () => {
    const r = await run(tlsMonitor(good.port, '  servername: mail.test\n', ca.cert));
    expect(r.ok, r.failure?.message).toBe(true);
    expect(r.steps[0].tls!.host).toBe('mail.test');
    const bad = await run(tlsMonitor(good.port, '  servername: www.test\n', ca.cert));
    expect(bad.steps[0].tls!.hostnameValid).toBe(false);
  });

  it('reads the certificate after SMTP STARTTLS', async () => {
    const r = await run(tlsMonitor(smtpPort, '  starttls: smtp\n  servername: mail.test\n', ca.cert));
    expect(r.ok, r.failure?.message).toBe(true);
    expect(r.steps[0].url).toBe(`smtp://127.0.0.1:${smtpPort} (STARTTLS)`);
    expect(r.steps[0].tls!.altNames).toContain('DNS:mail.test');
    // The SMTP dialogue before the handshake is its own figure.
    expect(r.steps[0].timings.ttfb).toBeGreaterThan(0);
    expect(r.steps[0].timings.tls).toBeGreaterThan(0);
  });

  it('fails with code protocol when the SMTP server offers no STARTTLS', async () => {
    const r = await run(tlsMonitor(smtpPlainPort, '  starttls: smtp\n'));
    expect(r.failure?.code).toBe('protocol');
    expect(r.failure?.message).toContain('does not offer STARTTLS');
  });

  it('fails with timeout when the server never answers the handshake, and refused when nothing listens', async () => {
    const port = (notTls.address() as AddressInfo).port;
    const hung = await run({ ...tlsMonitor(port), timeout: 300 });
    expect(hung.failure?.code).toBe('timeout');
    expect(hung.failure?.message).toBe(`no TLS handshake with 127.0.0.1:${port} within 300 ms`);
    const closed = await freePort();
    const refused = await run(tlsMonitor(closed));
    expect(refused.failure?.code).toBe('refused');
  });
});

/** A port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const s = createNetServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
