import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { exchange, HeadersTooLarge, headerEnd, MAX_HEADER_BYTES } from '../../src/probes/exchange.js';
import { createSession } from '../../src/probes/session.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const CR = 0x0d;
const LF = 0x0a;

describe('headerEnd: the blank line that ends a header section', () => {
  it('finds CRLF CRLF and LF LF, and nothing in a section still going', () => {
    expect(headerEnd(b('HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody'), -1, -1)).toBe(25);
    expect(headerEnd(b('HTTP/1.1 200 OK\nA: b\n\nbody'), -1, -1)).toBe(22);
    expect(headerEnd(b('HTTP/1.1 200 OK\r\nA: b\r\n'), -1, -1)).toBe(-1);
    expect(headerEnd(b(''), -1, -1)).toBe(-1);
  });

  it('finds it across the boundary between two reads, wherever it is split', () => {
    const whole = 'HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody';
    for (let cut = 1; cut < whole.length; cut++) {
      const first = b(whole.slice(0, cut));
      const inFirst = headerEnd(first, -1, -1);
      const prev1 = first[first.length - 1];
      const prev2 = first.length >= 2 ? first[first.length - 2] : -1;
      const inSecond = headerEnd(b(whole.slice(cut)), prev1, prev2);
      const at = inFirst !== -1 ? inFirst : cut + inSecond;
      expect(at, `split at ${cut}`).toBe(25);
    }
    // the previous bytes alone can complete it
    expect(headerEnd(b('\nrest'), CR, LF)).toBe(1);
  });
});

describe('exchange: response header limit', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await new Promise((r) => server!.close(r));
    server = undefined;
  });

  async function rawServer(payload: string): Promise<string> {
    server = createServer((sock) => {
      sock.on('error', () => undefined);
      sock.once('data', () => {
        sock.write(payload);
        setTimeout(() => sock.end(), 20);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('ends an exchange whose headers pass the limit, without building an error per extra header', async () => {
    const origin = await rawServer(`HTTP/1.1 200 OK\r\n${'X-Many: y\r\n'.repeat(5_000)}\r\nok`);
    const session = createSession({ connectionsPerOrigin: 1 });
    try {
      const x = await exchange(session.dispatcher, { origin, path: '/', method: 'GET', headers: {}, maxBodyBytes: 1e6 });
      expect(x.error).toBeInstanceOf(HeadersTooLarge);
      expect(x.status).toBe(0);
      expect(x.tFirstByte).toBeGreaterThan(0);
    } finally {
      await session.close();
    }
  });

  it('does not count a large body arriving with the headers in one read as headers', async () => {
    const body = 'b'.repeat(60_000);
    const origin = await rawServer(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const session = createSession({ connectionsPerOrigin: 1 });
    try {
      const x = await exchange(session.dispatcher, { origin, path: '/', method: 'GET', headers: {}, maxBodyBytes: 1e6 });
      expect(x.error).toBeUndefined();
      expect(x.bytes).toBe(body.length);
    } finally {
      await session.close();
    }
  });

  it('accepts headers just under the limit, with the body after them', async () => {
    const filler = 'x'.repeat(MAX_HEADER_BYTES - 200);
    const origin = await rawServer(`HTTP/1.1 200 OK\r\nX-Filler: ${filler}\r\nContent-Length: 2\r\n\r\nok`);
    const session = createSession({ connectionsPerOrigin: 1 });
    try {
      const x = await exchange(session.dispatcher, { origin, path: '/', method: 'GET', headers: {}, maxBodyBytes: 1e6 });
      expect(x.error).toBeUndefined();
      expect(x.status).toBe(200);
      expect(x.header('x-filler')[0]).toHaveLength(filler.length);
      expect(x.body().toString()).toBe('ok');
    } finally {
      await session.close();
    }
  });
});
