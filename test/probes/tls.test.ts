import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runHttpStep } from '../../src/probes/http-step.js';
import { tempDir } from '../helpers.js';
import { sessionPool, stepInput } from './step-input.js';

const hasOpenssl = spawnSync('which', ['openssl']).status === 0;

const pool = sessionPool();
afterEach(() => pool.closeAll());

describe.skipIf(!hasOpenssl)('HTTPS with a self-signed certificate', () => {
  const tmp = tempDir('halftime-tls-');
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const key = join(tmp.dir, 'key.pem');
    const cert = join(tmp.dir, 'cert.pem');
    // EC keys are quick to make; the certificate is valid for 127.0.0.1 and localhost, just not trusted.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'ignore' });
    server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('secure hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    tmp.cleanup();
  });

  it('fails with code tls under default verification, naming the certificate problem', async () => {
    const { result } = await runHttpStep(stepInput(url), pool.session());
    expect(result.ok).toBe(false);
    expect(result.status).toBeUndefined();
    expect(result.failure?.code).toBe('tls');
    expect(result.failure?.message).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+ failed: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
  });

  it('connects when the session accepts self-signed certificates, and times the handshake', async () => {
    const session = pool.session({ insecureTls: true });
    const first = (await runHttpStep(stepInput(url), session)).result;
    const second = (await runHttpStep(stepInput(url), session)).result;
    expect(first.ok).toBe(true);
    expect(first.status).toBe(200);
    expect(first.timings.tls).toBeGreaterThan(0);
    expect(first.timings.connect).toBeGreaterThan(0);
    expect(first.timings.dns).toBe(0); // an IP address: no lookup
    const t = first.timings;
    expect(t.dns + t.connect + t.tls + t.ttfb + t.download).toBeLessThanOrEqual(t.total + 0.5);
    // kept alive: no second handshake
    expect(second.timings.tls).toBe(0);
    expect(second.timings.connect).toBe(0);
    expect(session.connections).toHaveLength(1);
  });
});
