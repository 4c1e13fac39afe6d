import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer as createNetServer } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AlertEvent } from '../../src/alerting/types.js';
import { createAlerting, type Alerting } from '../../src/alerting/service.js';
import { monitorId, type LoadedConfig } from '../../src/config/read.js';
import { parseConfigText } from '../../src/configure.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { RunResult, StepResult } from '../../src/probes/types.js';
import { afterEach, beforeEach } from 'vitest';
import { startServer, sleep, type TestServer } from '../helpers.js';
import { testDatabase, type Backend, type TestDatabase } from '../support/backends.js';

/** A RunResult as the probes would return it, with chosen timing. */
export function makeRun(
  monitorId: string,
  startedAt: number,
  opts: { ok?: boolean; durationMs?: number; steps?: { name: string; totalMs: number; ok?: boolean; status?: number }[]; failure?: { code: 'status' | 'timeout'; message: string; step?: number } } = {},
): RunResult {
  const ok = opts.ok ?? true;
  const stepDefs = opts.steps ?? [{ name: 'home', totalMs: opts.durationMs ?? 100, ok, status: ok ? 200 : 503 }];
  const steps: StepResult[] = stepDefs.map((s, index) => ({
    index,
    name: s.name,
    method: 'GET',
    url: `http://127.0.0.1:1/${s.name}`,
    startedAt,
    ok: s.ok ?? true,
    status: s.status ?? 200,
    timings: { dns: 0, connect: 1, tls: 0, ttfb: s.totalMs - 2, download: 1, total: s.totalMs },
    bytes: 10,
    redirects: 0,
    headers: {},
    evidence: [],
  }));
  return {
    monitorId,
    plannedAt: startedAt,
    startedAt,
    durationMs: opts.durationMs ?? stepDefs.reduce((a, s) => a + s.totalMs, 0),
    ok,
    failure: ok ? undefined : (opts.failure ?? { code: 'status', message: 'expected status 200, got 503', step: 0 }),
    steps,
  };
}

/** A controllable clock. */
export function fakeClock(start: number) {
  let t = start;
  return { now: () => t, set: (v: number) => (t = v), advance: (ms: number) => (t += ms) };
}

/**
 * For a describe block: each test gets a fresh database of `kind` (a SQLite file in a temp folder, or
 * a new PostgreSQL database) and the clock back at `start`. `open` makes a harness on it (opening it
 * again, as after a restart, reuses the same database); every harness opened is closed, and the
 * database removed, after the test.
 */
export function harnessPerTest(start: number, kind: Backend = 'sqlite') {
  const clock = fakeClock(start);
  let db: TestDatabase | undefined;
  const opened: Harness[] = [];
  beforeEach(async () => {
    db = await testDatabase(kind);
    clock.set(start);
  });
  afterEach(async () => {
    for (const h of opened.splice(0)) await h.close();
    await db?.drop();
    db = undefined;
  });
  const location = () => {
    if (!db) throw new Error('harnessPerTest: open a harness inside a test');
    return db.location;
  };
  return {
    clock,
    /** This test's database (a SQLite path or a PostgreSQL URL). */
    location,
    /** A harness on this test's database, on the shared clock unless `now` is given. */
    async open(loaded: LoadedConfig, now: () => number = clock.now): Promise<Harness> {
      const h = await openHarness(loaded, location(), now);
      opened.push(h);
      return h;
    },
  };
}

export type SmtpSink = { port: number; mails: ParsedMail[]; logins: string[]; close(): Promise<void>; waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]> };

/** A real SMTP server on 127.0.0.1 that parses every message it accepts. */
export async function startSmtp(port = 0): Promise<SmtpSink> {
  const mails: ParsedMail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'alerts' && auth.password === 'smtp-pass-123') {
        logins.push(auth.username!);
        cb(null, { user: auth.username });
      }
      else cb(new Error('bad credentials'));
    },
    onData(stream, _session, cb) {
      simpleParser(stream)
        .then((m) => {
          mails.push(m);
          cb();
        })
        .catch((err: Error) => cb(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as { port: number }).port;
  return {
    port: actual,
    mails,
    logins,
    close: () => new Promise<void>((r) => server.close(() => r())),
    async waitFor(count, timeoutMs = 5_000) {
      const until = Date.now() + timeoutMs;
      while (mails.length < count && Date.now() < until) await sleep(20);
      return mails;
    },
  };
}

/** A port that was free a moment ago (nothing listens on it now). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export type HookReceiver = TestServer & { received: { body: string; json: unknown; signatureOk: boolean; headers: Record<string, string | string[] | undefined> }[]; failNext: number };

/** A real webhook receiver that checks X-Halftime-Signature against the shared secret. */
export async function startHookReceiver(secret: string): Promise<HookReceiver> {
  const received: HookReceiver['received'] = [];
  const state = { failNext: 0 };
  const srv = await startServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.failNext > 0) {
        state.failNext--;
        res.writeHead(503).end('busy');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const sig = String(req.headers['x-halftime-signature'] ?? '');
      const expected = 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
      const signatureOk = sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
      received.push({ body, json: JSON.parse(body), signatureOk, headers: req.headers });
      res.writeHead(signatureOk ? 204 : 401).end();
    });
  });
  const out = Object.assign(srv, { received }) as HookReceiver;
  Object.defineProperty(out, 'failNext', { get: () => state.failNext, set: (n: number) => (state.failNext = n) });
  return out;
}

export function loadYaml(yaml: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfigText(yaml, 'test.yaml', env);
}


export type Harness = { store: Store; alerting: Alerting; feed(run: RunResult): Promise<AlertEvent[]>; close(): Promise<void> };

/** A real store at `location` (SQLite path or PostgreSQL URL) plus the alerting service on an injected clock, as main.ts wires them. */
export async function openHarness(loaded: LoadedConfig, location: string, now: () => number): Promise<Harness> {
  const { config } = loaded;
  const store = await openStore(
    location,
    config.monitors.map((m) => ({ key: monitorId(m), name: m.name, public: m.public, schedule: 'test' })),
    { flushMs: 60_000 },
  );
  let alerting: Alerting;
  try {
    // random 1: retries wait the whole backoff (no jitter), so tests can name the next attempt's time.
    alerting = await createAlerting({ config, alertStore: store.alerts, latency: store.latency, flush: () => store.writer.flush(), now, redact: loaded.redact, sendTimeoutMs: 2_000, random: () => 1 });
  } catch (err) {
    await store.close();
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    store,
    alerting,
    async feed(run) {
      store.writer.write(run);
      const events = await alerting.onRun(run);
      await alerting.sender.tick();
      return events;
    },
    close() {
      closed ??= (async () => {
        await alerting.stop();
        await store.close();
      })();
      return closed;
    },
  };
}

/** Writes many runs straight through the writer (history for baselines). */
export async function writeHistory(store: Store, runs: RunResult[]): Promise<void> {
  for (const r of runs) store.writer.write(r);
  await store.writer.flush();
}
