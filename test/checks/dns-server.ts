/** A DNS server on 127.0.0.1 (UDP, dns-packet) answering from records the test controls. */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as packet from 'dns-packet';

export type Zone = Record<string, { A?: string[]; AAAA?: string[]; CNAME?: string; MX?: { preference: number; exchange: string }[]; TXT?: string[]; NS?: string[] }>;

export type DnsServer = { port: number; server: string; zone: Zone; queries: number; silent: Set<string>; close(): Promise<void> };

export async function startDnsServer(zone: Zone): Promise<DnsServer> {
  const sock = createSocket('udp4');
  const state: DnsServer = { port: 0, server: '', zone, queries: 0, silent: new Set(), close: () => new Promise((r) => sock.close(() => r())) };
  sock.on('message', (msg, rinfo) => {
    let q: packet.Packet;
    try {
      q = packet.decode(msg);
    } catch {
      return;
    }
    state.queries++;
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase();
    // Names the test marks silent are never answered (the client's time runs out).
    if (state.silent.has(name)) return;
    const rec = state.zone[name];
    const answers: packet.Answer[] = [];
    const t = question.type;
    if (rec) {
      if (t === 'A') for (const a of rec.A ?? []) answers.push({ type: 'A', name, ttl: 60, data: a });
      if (t === 'AAAA') for (const a of rec.AAAA ?? []) answers.push({ type: 'AAAA', name, ttl: 60, data: a });
      if (t === 'CNAME' && rec.CNAME) answers.push({ type: 'CNAME', name, ttl: 60, data: rec.CNAME });
      if (t === 'MX') for (const m of rec.MX ?? []) answers.push({ type: 'MX', name, ttl: 60, data: m });
      if (t === 'TXT') for (const x of rec.TXT ?? []) answers.push({ type: 'TXT', name, ttl: 60, data: [x] });
      if (t === 'NS') for (const n of rec.NS ?? []) answers.push({ type: 'NS', name, ttl: 60, data: n });
    }
    const reply = packet.encode({
      type: 'response',
      id: q.id,
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (rec ? 0 : 3), // rcode 3: NXDOMAIN
      questions: q.questions,
      answers,
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  state.port = (sock.address() as AddressInfo).port;
  state.server = `127.0.0.1:${state.port}`;
  return state;
}
