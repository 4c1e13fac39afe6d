/**
 * The check types in a running halftime, on both stores: the measuring thread runs tls, tcp and dns
 * monitors by type; their runs are stored with one step (the certificate kept with it), judged, and
 * shown with the certificate warning on the status page, the admin page and /api/status.json.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime, type Halftime } from '../../src/main.js';
import { BACKENDS, testDatabase, type TestDatabase } from '../support/backends.js';
import { startDnsServer, type DnsServer } from './dns-server.js';
import { makeCa, makeCert, tlsServer, type TlsServer } from './certs.js';

const PASSWORD = 'a long admin passphrase';

describe.each(BACKENDS)('check types in halftime on %s', (kind) => {
  let db: TestDatabase;
  let ht: Halftime;
  let tls: TlsServer;
  let dns: DnsServer;
  let tcp: Server;

  beforeAll(async () => {
    const ca = await makeCa();
    tls = await tlsServer(await makeCert({ names: ['127.0.0.1'], to: 3, ca }));
    dns = await startDnsServer({ 'shop.example.test': { A: ['192.0.2.10'] } });
    tcp = createServer((s) => s.on('error', () => undefined).end('220 ready\r\n'));
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    db = await testDatabase(kind);
    const yaml = `
monitors:
  - name: Certificate
    id: cert
    public: true
    type: tls
    host: 127.0.0.1
    port: ${tls.port}
    every: 1s
    ca: |
${ca.cert.trim().replace(/^/gm, '      ')}
    alerts: { certificate: { expiresIn: 14d } }
  - { name: Port, id: port, public: true, type: tcp, host: 127.0.0.1, port: ${(tcp.address() as AddressInfo).port}, expect: ready, every: 1s }
  - { name: Name, id: name, public: true, type: dns, host: shop.example.test, server: "${dns.server}", expect: 192.0.2.10, every: 1s }
`;
    ht = await startHalftime({ loaded: parseConfigText(yaml, 'test.yaml', {}), dbPath: db.location, port: 0, host: '127.0.0.1', adminPassword: PASSWORD, statusCacheMs: 0, logger: createLogger({ quiet: true }) });
    // Bounded wait until each monitor has a judged run.
    for (let i = 0; i < 100 && ['cert', 'port', 'name'].some((k) => ht.alerting.status(k) === 'no_data'); i++) await new Promise((r) => setTimeout(r, 100));
    await ht.store.writer.flush();
  });
  afterAll(async () => {
    await ht?.stop(2000);
    await db?.drop();
    await tls?.close();
    await dns?.close();
    await new Promise((r) => tcp?.close(r));
  });

  it('runs each type in the measuring thread and stores one step per run', async () => {
    for (const key of ['cert', 'port', 'name']) {
      const [latest] = await ht.store.runs.list({ monitor: key, limit: 1 });
      expect(latest, key).toBeDefined();
      expect(latest.ok, `${key}: ${latest.failureMessage}`).toBe(true);
      const detail = (await ht.store.runs.get(latest.id))!;
      expect(detail.steps).toHaveLength(1);
      expect(detail.steps[0].method).toBe({ cert: 'TLS', port: 'TCP', name: 'DNS' }[key]);
      expect(ht.alerting.status(key)).toBe('up');
    }
    const [run] = await ht.store.runs.list({ monitor: 'cert', limit: 1 });
    const cert = (await ht.store.runs.get(run.id))!.steps[0].tls!;
    expect(cert.daysLeft).toBeGreaterThan(2.5);
    expect(cert.issuer).toContain('halftime test CA');
    const series = await ht.store.history.series('port', '24h');
    expect(series!.summary.runs).toBeGreaterThan(0);
  });

  it('shows the certificate warning on the status page, the admin page and the JSON summary', async () => {
    expect(ht.alerting.certificate('cert')).toMatchObject({ host: '127.0.0.1' });
    const status = await (await fetch(`${ht.url}/`)).text();
    expect(status).toMatch(/<strong>Certificate<\/strong> for 127\.0\.0\.1 expires in [23](\.\d)? days/);
    const json = await (await fetch(`${ht.url}/api/status.json`)).json();
    expect(json.monitors.find((m: { id: string }) => m.id === 'cert').certificate.host).toBe('127.0.0.1');
    const login = await fetch(`${ht.url}/login`);
    const pre = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const token = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1];
    const res = await fetch(`${ht.url}/login`, { method: 'POST', redirect: 'manual', headers: { origin: ht.url, cookie: pre, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: token, username: 'admin', password: PASSWORD, next: '/admin' }) });
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const admin = await (await fetch(`${ht.url}/admin/monitors/cert`, { headers: { cookie, accept: 'text/html' } })).text();
    expect(admin).toMatch(/<strong>Certificate<\/strong> for 127\.0\.0\.1 expires in/);
    // A run's page shows the certificate its step was shown.
    const [latest] = await ht.store.runs.list({ monitor: 'cert', limit: 1 });
    const runPage = await (await fetch(`${ht.url}/admin/runs/${latest.id}`, { headers: { cookie, accept: 'text/html' } })).text();
    expect(runPage).toMatch(/Certificate 127\.0\.0\.1 \(IP Address:127\.0\.0\.1\), issued by halftime test CA \(halftime tests\), expires \d{4}-\d\d-\d\d/);
    expect(runPage).toContain('chain <span class="">trusted</span>');
    const badge = await fetch(`${ht.url}/badge/port/state.svg`);
    expect(badge.status).toBe(200);
    expect(await badge.text()).toContain('<title>Port: up</title>');
  });
});
