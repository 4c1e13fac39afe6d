/**
 * Certificates made by the tests: a private CA, and server certificates it signs that expire in a few
 * days, have expired, or name another host. EC keys (quick to make).
 */
import { once } from 'node:events';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

const DAY = 86_400_000;

export type Pem = { key: string; cert: string };

export async function makeCa(name = 'halftime test CA'): Promise<Pem> {
  const r = await generate([{ name: 'commonName', value: name }, { name: 'organizationName', value: 'halftime tests' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - DAY),
    notAfterDate: new Date(Date.now() + 3650 * DAY),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { key: r.private, cert: r.cert };
}

/**
 * A server certificate for `names` (DNS names; IP addresses go in as IP SANs), valid from `from` to
 * `to` days relative to now, signed by `ca` (or self-signed without one).
 */
export async function makeCert(opts: { names: string[]; from?: number; to: number; ca?: Pem; cn?: string }): Promise<Pem> {
  const isIp = (n: string) => /^[\d.]+$|:/.test(n);
  const r = await generate([{ name: 'commonName', value: opts.cn ?? opts.names[0] }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() + (opts.from ?? -1) * DAY),
    notAfterDate: new Date(Date.now() + opts.to * DAY),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: opts.names.map((n) => (isIp(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
    ],
    ...(opts.ca ? { ca: opts.ca } : {}),
  });
  return { key: r.private, cert: r.cert };
}

export type TlsServer = { port: number; server: Server; close(): Promise<void> };

/** A TLS server on 127.0.0.1 presenting `pem` (with the CA in its chain when given), answering `reply` and closing. */
export async function tlsServer(pem: Pem, opts: { chain?: string; onSecure?: (s: TLSSocket) => void } = {}): Promise<TlsServer> {
  const server = createServer({ key: pem.key, cert: opts.chain ? pem.cert + '\n' + opts.chain : pem.cert }, (s) => {
    s.on('error', () => undefined);
    if (opts.onSecure) opts.onSecure(s);
    else s.end('hello\n');
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
