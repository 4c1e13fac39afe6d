/**
 * Someone watches the watchman. While healthy, halftime pings the outside heartbeat URL
 * (`selfCheck.url`); when its health goes bad — here: one alert channel refuses every message, so
 * alerts pile up in the outbox — the pings stop, /healthz says why, and every channel that can still
 * send gets "halftime is unhealthy"; once the channel is back and the outbox drains, health is good
 * again, the pings resume and a recovery goes out. Real HTTP receivers on 127.0.0.1.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime } from '../../src/main.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';

type Got = { at: number; kind: string; monitor: string; subject: string; id: string };

function receiver(answer: () => number) {
  const got: Got[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer();
      if (status < 300) {
        const e = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        got.push({ at: Date.now(), kind: e.kind, monitor: e.monitor.key, subject: e.subject, id: e.id });
      }
      res.writeHead(status).end();
    });
  };
  return { got, handler };
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (let i = 0; Date.now() < end && i < 2000; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
let heartbeat: TestServer;
let bad: TestServer;
let good: TestServer;
const pings: number[] = [];
let badBroken = true;
const badHook = receiver(() => (badBroken ? 503 : 204));
const goodHook = receiver(() => 204);
beforeAll(async () => {
  tmp = tempDir();
  target = await startServer((_req, res) => res.writeHead(500).end('down'));
  heartbeat = await startServer((req, res) => {
    if (req.url === '/ping/7f3e') pings.push(Date.now());
    res.end('OK');
  });
  bad = await startServer(badHook.handler);
  good = await startServer(goodHook.handler);
});
afterAll(async () => {
  for (const s of [target, heartbeat, bad, good]) await s.close();
  tmp.cleanup();
});

describe('self-check', () => {
  it('pings only while healthy, alerts every channel that can send when unhealthy, and announces the recovery', async () => {
    const yaml = `
selfCheck: { url: "${heartbeat.url}/ping/7f3e", every: 1s, alertAfter: 1s }
alerts:
  channels:
    bad: { type: webhook, url: "${bad.url}/hook", timeout: 2000 }
    good: { type: webhook, url: "${good.url}/hook", timeout: 2000 }
  defaults: { channels: [bad] }
  retry: { initial: 200ms, max: 1s, unhealthyAfter: 2s }
monitors:
  - { name: Checkout, every: 1s, steps: [{ url: "${target.url}/" }], alerts: { down: { after: 1 } } }
`;
    const lines: string[] = [];
    const ht = await startHalftime({
      loaded: parseConfigText(yaml, 'self.yaml'),
      dbPath: join(tmp.dir, 'self.db'),
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ write: (l) => lines.push(l) }),
      healthEveryMs: 200,
    });
    try {
      // Healthy at first: the heartbeat goes out.
      await until('a first heartbeat', () => (pings.length > 0 ? true : undefined));
      // The DOWN alert for Checkout goes to `bad`, which refuses it: it waits in the outbox.
      const sick = await until('/healthz 503 naming the outbox', async () => {
        const res = await fetch(`${ht.url}/healthz`);
        const body = (await res.json()) as { problems: { check: string; reason: string }[] };
        return res.status === 503 ? body.problems.find((p) => p.check === 'outbox') : undefined;
      });
      expect(sick.reason).toMatch(/^alerts are not getting out: channel bad: 1 message waiting, oldest queued \d+ s ago \(last error: webhook answered HTTP 503\)/);
      // Every channel that can still send hears that halftime itself is unhealthy (here: good).
      const alarm = await until('the unhealthy alert', () => goodHook.got.find((g) => g.monitor === 'halftime' && g.kind === 'down'));
      expect(alarm.subject).toMatch(/^\[halftime\] DOWN halftime itself: failing: halftime is unhealthy — outbox: alerts are not getting out: channel bad/);
      // No heartbeat while unhealthy (one already on its way when health turned may still land).
      const pingsWhenSick = pings.length;
      await sleep(2_500);
      expect(pings.length - pingsWhenSick).toBeLessThanOrEqual(1);
      expect((await fetch(`${ht.url}/healthz`)).status).toBe(503);

      // The channel comes back: the outbox drains, health is good, pings resume, recovery goes to every channel.
      badBroken = false;
      await until('/healthz 200 again', async () => ((await fetch(`${ht.url}/healthz`)).status === 200 ? true : undefined));
      const recovered = await until('the recovery', () => goodHook.got.find((g) => g.monitor === 'halftime' && g.kind === 'recovered'));
      expect(recovered.subject).toMatch(/^\[halftime\] RECOVERED halftime itself: up again/);
      await until('the recovery on the channel that was down too', () => badHook.got.find((g) => g.monitor === 'halftime' && g.kind === 'recovered'));
      const resumedFrom = pings.length;
      await until('heartbeats again', () => (pings.length > resumedFrom ? true : undefined));
      // The Checkout alert itself was delivered once (at-least-once, the same id).
      expect(badHook.got.filter((g) => g.monitor === 'checkout' && g.kind === 'down')).toHaveLength(1);
      expect(lines.filter((l) => l.includes('halftime is unhealthy: alerting every channel'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('heartbeat paused'))).toHaveLength(1);
    } finally {
      await ht.stop(2_000);
    }
  }, 90_000);
});
