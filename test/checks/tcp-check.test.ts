/** `type: tcp`: listeners that accept, refuse, hang and answer. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckRunner } from '../../src/probes/checks/index.js';
import { monitorFrom } from '../probes/journey-helpers.js';

const tcp = (port: number, extra = '') => monitorFrom(`- name: Port\n  type: tcp\n  host: 127.0.0.1\n  port: ${port}\n  timeout: 2s\n${extra}`);
const run = async (m: ReturnType<typeof tcp>) => createCheckRunner(m)!.run({ plannedAt: Date.now() });

async function listen(handler: (s: import('node:net').Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    handler(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

describe('tcp check type', () => {
  const servers: Server[] = [];
  let accept: number;
  let echo: number;
  let silent: number;
  let banner: number;
  let refused: number;

  beforeAll(async () => {
    const add = async (h: (s: import('node:net').Socket) => void) => {
      const l = await listen(h);
      servers.push(l.server);
      return l.port;
    };
    accept = await add((s) => s.resume());
    // Answers PONG to PING, the way a Redis server does.
    echo = await add((s) => s.on('data', (d) => (String(d).includes('PING') ? s.write('+PONG\r\n') : s.write('-ERR\r\n'))));
    silent = await add((s) => s.resume());
    banner = await add((s) => s.end('SSH-2.0-OpenSSH_9.6\r\n'));
    const gone = await listen(() => undefined);
    refused = gone.port;
    await new Promise((r) => gone.server.close(r));
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('passes when the port opens, with the connect time', async () => {
    const r = await run(tcp(accept));
    expect(r.ok, r.failure?.message).toBe(true);
    expect(r.steps[0]).toMatchObject({ name: 'connect', method: 'TCP', url: `tcp://127.0.0.1:${accept}` });
    expect(r.steps[0].timings.connect).toBeGreaterThan(0);
    expect(r.steps[0].timings.dns).toBe(0);
    expect(r.steps[0].evidence[0]).toMatchObject({ what: 'connect', expected: 'port open', pass: true });
  });

  it('fails with code refused when nothing listens', async () => {
    const r = await run(tcp(refused));
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ code: 'refused', message: `connection refused by 127.0.0.1:${refused} (ECONNREFUSED)`, step: 0 });
    expect(r.steps[0].evidence[0]).toMatchObject({ what: 'connect', actual: 'refused', pass: false });
  });

  it('sends and expects bytes: passes on the reply, fails naming what was missing', async () => {
    const ok = await run(tcp(echo, '  send: "PING\\r\\n"\n  expect: "+PONG"\n'));
    expect(ok.ok, ok.failure?.message).toBe(true);
    expect(ok.steps[0].bytes).toBe(7);
    expect(ok.steps[0].timings.ttfb).toBeGreaterThan(0);
    expect(ok.steps[0].evidence[1]).toEqual({ what: 'reply contains', expected: '"+PONG"', actual: 'found', pass: true });
    const wrong = await run(tcp(banner, '  expect: [SSH-2.0, Dropbear]\n'));
    expect(wrong.failure?.code).toBe('assertion');
    expect(wrong.failure?.message).toContain('does not contain "Dropbear"');
    expect(wrong.failure?.message).toContain('then the connection closed');
    expect(wrong.steps[0].evidence.map((e) => e.pass)).toEqual([true, true, false]);
  });

  it('fails with timeout when a listener accepts but never answers', async () => {
    const r = await run({ ...tcp(silent, '  send: "hello\\n"\n  expect: ready\n'), timeout: 300 });
    expect(r.failure?.code).toBe('timeout');
    expect(r.failure?.message).toBe(`no reply containing "ready" from 127.0.0.1:${silent} within 300 ms (0 bytes received)`);
    expect(r.steps[0].evidence[1]).toMatchObject({ actual: 'no reply', pass: false });
  });
});
