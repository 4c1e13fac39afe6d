/** Every https step keeps the certificate it was shown: days left, issuer, names, chain and hostname validity. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMonitor } from '../../src/probes/run-monitor.js';
import { monitorFrom } from '../probes/journey-helpers.js';
import { makeCa, makeCert, type Pem } from './certs.js';

async function httpsServer(pem: Pem): Promise<{ url: string; server: Server }> {
  const server = createServer({ key: pem.key, cert: pem.cert }, (_req, res) => res.end('secure hello'));
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const monitor = (url: string, ca?: string) => ({
  ...monitorFrom(`- name: Secure shop\n  steps:\n    - { name: home, url: "${url}/" }\n    - { name: again, url: "${url}/again" }\n`),
  ...(ca ? { ca } : {}),
});

describe('certificates on https steps', () => {
  let ca: Pem;
  const servers: Server[] = [];
  let soon: string;
  let expired: string;
  let wrongHost: string;
  let selfSigned: { url: string; cert: string };

  beforeAll(async () => {
    ca = await makeCa();
    const start = async (pem: Pem) => {
      const s = await httpsServer(pem);
      servers.push(s.server);
      return s.url;
    };
    soon = await start(await makeCert({ names: ['localhost', '127.0.0.1'], to: 3, ca }));
    expired = await start(await makeCert({ names: ['localhost', '127.0.0.1'], from: -30, to: -2, ca }));
    wrongHost = await start(await makeCert({ names: ['shop.example.com'], to: 90, ca }));
    const own = await makeCert({ names: ['127.0.0.1'], to: 30 });
    selfSigned = { url: await start(own), cert: own.cert };
  });
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('passes with the private CA trusted, and keeps the certificate with every step (kept-alive ones too)', async () => {
    const run = await runMonitor(monitor(soon, ca.cert));
    expect(run.ok, run.failure?.message).toBe(true);
    expect(run.steps).toHaveLength(2);
    for (const s of run.steps) {
      const t = s.tls!;
      expect(t).toBeDefined();
      expect(t.daysLeft).toBeGreaterThan(2.8);
      expect(t.daysLeft).toBeLessThanOrEqual(3);
      expect(t.issuer).toContain('halftime test CA');
      expect(t.subject).toContain('localhost');
      expect(t.altNames).toEqual(expect.arrayContaining(['DNS:localhost', 'IP Address:127.0.0.1']));
      expect(t.chainValid).toBe(true);
      expect(t.hostnameValid).toBe(true);
      expect(t.error).toBeUndefined();
      expect(t.host).toBe('127.0.0.1');
      expect(t.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    }
    // The second step reused the connection: no second handshake, the same certificate.
    expect(run.steps[1].timings.tls).toBe(0);
    expect(run.steps[1].tls!.fingerprint256).toBe(run.steps[0].tls!.fingerprint256);
  });

  it('fails with code tls when the issuer is not trusted, and still describes the certificate', async () => {
    const run = await runMonitor(monitor(soon));
    expect(run.ok).toBe(false);
    expect(run.failure?.code).toBe('tls');
    expect(run.failure?.message).toMatch(/unable to (verify the first certificate|get local issuer certificate) \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/);
    const t = run.steps[0].tls!;
    expect(t.chainValid).toBe(false);
    expect(t.hostnameValid).toBe(true);
    expect(t.issuer).toContain('halftime test CA');
    expect(run.steps[0].timings.tls).toBeGreaterThan(0);
  });

  it('fails an expired certificate even from a trusted CA, with its date as evidence', async () => {
    const run = await runMonitor(monitor(expired, ca.cert));
    expect(run.ok).toBe(false);
    expect(run.failure?.code).toBe('tls');
    expect(run.failure?.message).toContain('certificate has expired (CERT_HAS_EXPIRED)');
    const t = run.steps[0].tls!;
    expect(t.daysLeft).toBeLessThan(-1.9);
    expect(t.daysLeft).toBeGreaterThan(-2.1);
    expect(t.chainValid).toBe(false);
    expect(t.error).toBe('certificate has expired (CERT_HAS_EXPIRED)');
  });

  it('fails a certificate that names another host', async () => {
    const run = await runMonitor(monitor(wrongHost, ca.cert));
    expect(run.ok).toBe(false);
    expect(run.failure?.code).toBe('tls');
    expect(run.failure?.message).toContain("IP: 127.0.0.1 is not in the cert's list");
    expect(run.failure?.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    const t = run.steps[0].tls!;
    expect(t.chainValid).toBe(true);
    expect(t.hostnameValid).toBe(false);
    expect(t.altNames).toEqual(['DNS:shop.example.com']);
  });

  it('fails a self-signed certificate unless the monitor trusts it through ca', async () => {
    const refused = await runMonitor(monitor(selfSigned.url));
    expect(refused.failure?.code).toBe('tls');
    expect(refused.failure?.message).toContain('self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
    const trusted = await runMonitor(monitor(selfSigned.url, selfSigned.cert));
    expect(trusted.ok, trusted.failure?.message).toBe(true);
    expect(trusted.steps[0].tls!.daysLeft).toBeGreaterThan(29);
  });

  it('keeps no certificate on plain http steps', async () => {
    const server = (await import('node:http')).createServer((_q, r) => r.end('plain'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const run = await runMonitor(monitor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
      expect(run.ok).toBe(true);
      expect(run.steps[0].tls).toBeUndefined();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
