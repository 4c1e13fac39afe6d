/** `type: dns`: a loopback DNS server with records the test controls. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckRunner } from '../../src/probes/checks/index.js';
import { monitorFrom } from '../probes/journey-helpers.js';
import { startDnsServer, type DnsServer } from './dns-server.js';

describe('dns check type', () => {
  let dns: DnsServer;
  beforeAll(async () => {
    dns = await startDnsServer({
      'shop.example.test': { A: ['192.0.2.10', '192.0.2.11'], AAAA: ['2001:db8::10'], TXT: ['v=spf1 -all'], NS: ['ns1.example.test'] },
      'www.example.test': { CNAME: 'shop.example.test' },
      'example.test': { MX: [{ preference: 20, exchange: 'mx2.example.test' }, { preference: 10, exchange: 'mx1.example.test' }] },
    });
  });
  afterAll(() => dns.close());

  const check = (host: string, extra = '') => monitorFrom(`- name: DNS\n  type: dns\n  host: ${host}\n  server: "${dns.server}"\n  timeout: 2s\n${extra}`);
  const run = async (m: ReturnType<typeof check>) => createCheckRunner(m)!.run({ plannedAt: Date.now() });

  it('resolves A records at the given resolver, timed, and passes when the expected values are among them', async () => {
    const r = await run(check('shop.example.test', '  expect: 192.0.2.11\n'));
    expect(r.ok, r.failure?.message).toBe(true);
    const s = r.steps[0];
    expect(s).toMatchObject({ name: 'A shop.example.test', method: 'DNS', url: `dns://${dns.server}/shop.example.test?type=A` });
    expect(s.timings.dns).toBeGreaterThan(0);
    expect(s.timings.total).toBe(s.timings.dns);
    expect(s.evidence).toEqual([{ what: 'A records', expected: 'include 192.0.2.11', actual: '192.0.2.10, 192.0.2.11', pass: true }]);
  });

  it('reads AAAA, CNAME, MX, TXT and NS records', async () => {
    const cases: [string, string, string][] = [
      ['shop.example.test', 'AAAA', '2001:db8::10'],
      ['www.example.test', 'CNAME', 'shop.example.test.'],
      ['example.test', 'MX', '10 mx1.example.test'],
      ['example.test', 'MX', 'MX2.example.test'],
      ['shop.example.test', 'TXT', 'v=spf1 -all'],
      ['shop.example.test', 'NS', 'ns1.example.test'],
    ];
    for (const [host, record, value] of cases) {
      const r = await run(check(host, `  record: ${record}\n  expect: ["${value}"]\n`));
      expect(r.ok, `${record} ${value}: ${r.failure?.message}`).toBe(true);
    }
    const mx = await run(check('example.test', '  record: MX\n'));
    expect(mx.steps[0].evidence[0].actual).toBe('10 mx1.example.test, 20 mx2.example.test');
  });

  it('fails with code assertion when the name points elsewhere, and notices when the record changes back', async () => {
    const m = check('shop.example.test', '  expect: 192.0.2.99\n');
    const wrong = await run(m);
    expect(wrong.failure?.code).toBe('assertion');
    expect(wrong.failure?.message).toBe(`A records of shop.example.test at ${dns.server}: expected include 192.0.2.99, got 192.0.2.10, 192.0.2.11`);
    dns.zone['shop.example.test'].A = ['192.0.2.99'];
    const fixed = await run(m);
    expect(fixed.ok, fixed.failure?.message).toBe(true);
    dns.zone['shop.example.test'].A = ['192.0.2.10', '192.0.2.11'];
  });

  it('fails with code dns for a name that does not exist, or has no records of that type', async () => {
    const missing = await run(check('nope.example.test'));
    expect(missing.failure?.code).toBe('dns');
    expect(missing.failure?.message).toBe(`nope.example.test does not exist (NXDOMAIN) at ${dns.server} (ENOTFOUND)`);
    const none = await run(check('www.example.test', '  record: TXT\n'));
    expect(none.failure?.code).toBe('dns');
    expect(none.failure?.message).toContain('has no TXT records');
  });

  it('fails with code timeout when the resolver does not answer, asking once', async () => {
    dns.silent.add('slow.example.test');
    const before = dns.queries;
    const r = await run({ ...check('slow.example.test'), timeout: 300 });
    expect(r.failure?.code).toBe('timeout');
    expect(r.failure?.message).toBe(`no answer for the A record of slow.example.test from ${dns.server} within 300 ms (ETIMEOUT)`);
    expect(dns.queries - before).toBe(1);
  });
});
