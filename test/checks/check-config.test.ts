/** Config of the check types: clear validate errors with their paths, and the `ca` file read at load. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkType } from '../../src/config/check-schema.js';
import { ConfigError } from '../../src/config/read.js';
import { loadConfigFile, parseConfigText } from '../../src/configure.js';
import { tempDir } from '../helpers.js';
import { makeCert } from './certs.js';

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml, 'test.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('check type config', () => {
  const tmp = tempDir('halftime-checks-config-');
  afterAll(() => tmp.cleanup());

  it('accepts a minimal monitor of every type, HTTP staying the default', () => {
    const { config } = parseConfigText(
      `monitors:
  - { name: Shop, steps: [{ url: "http://127.0.0.1:1/" }] }
  - { name: Cert, type: tls, host: shop.example.com }
  - { name: Postgres, type: tcp, host: db.internal, port: 5432 }
  - { name: DNS, type: dns, host: shop.example.com, record: MX, server: "127.0.0.1:5353", expect: mx.example.com }
  - { name: Backup, type: heartbeat, every: 1d, grace: 1h }
`,
      'test.yaml',
      {},
    );
    expect(config.monitors.map((m) => checkType(m))).toEqual(['http', 'tls', 'tcp', 'dns', 'heartbeat']);
    expect(config.monitors[0].type).toBeUndefined();
    expect(config.monitors[3].expect).toEqual(['mx.example.com']);
    expect(config.monitors[4]).toMatchObject({ every: 86_400_000, grace: 3_600_000 });
  });

  it('names unknown types and record types, ports out of range and bad resolvers', () => {
    expect(problems('monitors:\n  - { name: X, type: icmp, host: a }\n')).toEqual(['monitors[0].type: unknown check type (use http, tls, tcp, dns, heartbeat, browser)']);
    expect(problems('monitors:\n  - { name: X, type: dns, host: a, record: SRV }\n')).toEqual(['monitors[0].record: unknown record type (use A, AAAA, CNAME, MX, TXT, NS)']);
    expect(problems('monitors:\n  - { name: X, type: tcp, host: a, port: 70000 }\n')).toEqual(['monitors[0].port: port out of range: a port is 1 to 65535']);
    expect(problems('monitors:\n  - { name: X, type: tcp, host: a, port: 0 }\n')).toEqual(['monitors[0].port: port out of range: a port is 1 to 65535']);
    expect(problems('monitors:\n  - { name: X, type: dns, host: a, server: dns.google }\n')).toEqual([
      'monitors[0].server: not a resolver address: "dns.google" (an IP address, optionally with :port, e.g. 127.0.0.1:5353)',
    ]);
    expect(problems('monitors:\n  - { name: X, type: dns, host: a, server: "127.0.0.1:99999" }\n')).toEqual(['monitors[0].server: port out of range in "127.0.0.1:99999": a port is 1 to 65535']);
    expect(problems('monitors:\n  - { name: X, type: tls, host: "https://shop.example.com/" }\n')).toEqual([
      'monitors[0].host: a host name or IP address, without a scheme or path (e.g. db.example.com)',
    ]);
  });

  it('names what a type needs and what belongs to another type', () => {
    expect(problems('monitors:\n  - { name: X, type: tcp }\n')).toEqual(['monitors[0].host: required: a tcp monitor connects to host and port', 'monitors[0].port: required: the port a tcp monitor connects to']);
    expect(problems('monitors:\n  - { name: X, type: tcp, host: a, port: 1, record: A }\n')).toEqual(['monitors[0].record: record is for dns monitors; a tcp monitor connects to host and port']);
    expect(problems('monitors:\n  - { name: X, type: dns, host: a, steps: [{ url: "http://x/" }] }\n')).toEqual(['monitors[0].steps: steps are for http monitors; a dns monitor looks up host']);
    expect(problems('monitors:\n  - { name: X, type: heartbeat }\n')).toEqual(['monitors[0].every: required: how often the job pings (it is down when no ping comes within every + grace)']);
    expect(problems('monitors:\n  - { name: X, type: heartbeat, cron: "0 3 * * *" }\n')).toContain('monitors[0].cron: a heartbeat monitor takes every (how often its job pings), not cron');
    expect(problems('monitors:\n  - { name: X, steps: [{ url: "http://x/" }], host: a }\n')).toEqual(['monitors[0].host: host is for tls and tcp and dns monitors; an http monitor runs steps']);
    expect(problems('monitors:\n  - { name: X, type: tcp, host: a, port: 1, ca: ./ca.pem }\n')).toEqual(['monitors[0].ca: ca is for http and tls monitors (certificates); a tcp monitor connects to host and port']);
  });

  it('reads a ca file relative to the config file, and names a missing or broken one', async () => {
    const pem = await makeCert({ names: ['localhost'], to: 30 });
    writeFileSync(join(tmp.dir, 'ca.pem'), pem.cert);
    writeFileSync(join(tmp.dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    writeFileSync(join(tmp.dir, 'ok.yaml'), 'monitors:\n  - { name: Intranet, type: tls, host: intranet.test, ca: ca.pem }\n');
    const { config } = loadConfigFile(join(tmp.dir, 'ok.yaml'), {});
    expect(config.monitors[0].ca?.trim()).toBe(pem.cert.trim());
    writeFileSync(join(tmp.dir, 'bad.yaml'), 'monitors:\n  - { name: A, type: tls, host: a.test, ca: missing.pem }\n  - { name: B, type: tls, host: b.test, ca: broken.pem }\n');
    expect(() => loadConfigFile(join(tmp.dir, 'bad.yaml'), {})).toThrow(ConfigError);
    try {
      loadConfigFile(join(tmp.dir, 'bad.yaml'), {});
    } catch (err) {
      const msgs = (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      expect(msgs[0]).toBe(`monitors[0].ca: cannot read ${join(tmp.dir, 'missing.pem')}: ENOENT`);
      expect(msgs[1]).toMatch(/^monitors\[1\]\.ca: certificate 1 does not parse: /);
    }
  });
});
