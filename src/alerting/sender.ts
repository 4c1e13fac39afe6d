import type { HealthReporter } from '../health/registry.js';
import type { Logger } from '../log.js';
import type { AlertStore, OutboxRow } from '../store/alerts.js';
import type { AlertEvent, ChannelPlugin } from './types.js';

export type ConfiguredChannel = { name: string; plugin: ChannelPlugin<any>; options: unknown };

export type RetryPolicy = {
  /** First retry delay, doubled per attempt up to maxMs; each wait is jittered down to half of it. */
  initialMs: number;
  maxMs: number;
  /** Give up (mark dead) after this many failed attempts… */
  maxAttempts?: number;
  /** …or once a failed message is this old (ms since it was queued). */
  maxAgeMs?: number;
};

export const DEFAULT_RETRY: Required<RetryPolicy> = { initialMs: 5_000, maxMs: 600_000, maxAttempts: 200, maxAgeMs: 86_400_000 };

export type SenderOptions = {
  store: AlertStore;
  channels: ConfiguredChannel[];
  now?: () => number;
  retry?: RetryPolicy;
  /** Random number in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
  /** How often to look for due messages (default 1 s). */
  pollMs?: number;
  /** A send that has not settled after this long counts as failed (default 60 s). */
  sendTimeoutMs?: number;
  log?: Logger;
  redact?: (s: string) => string;
  /** Told when the outbox cannot be read or a delivery cannot be recorded (the database fails). */
  health?: HealthReporter;
  /**
   * Several nodes: asked right before each delivery; false when this node no longer holds the outbox
   * lease (another node has taken over), so a paused node never sends what the new holder sends.
   */
  fence?: () => Promise<boolean>;
};

export type Sender = {
  start(): void;
  /** Looks for due messages now; resolves when the deliveries it started have settled. */
  tick(): Promise<void>;
  /** Stops sending; waits for deliveries in progress, at most `waitMs` (default: until they settle). */
  stop(waitMs?: number): Promise<void>;
};

/** The wait before the next attempt, without jitter: initial × 2^attempts, capped. */
export function backoffMs(attempts: number, retry: { initialMs: number; maxMs: number }): number {
  return Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempts, 30));
}

/** The wait with jitter: uniformly between half the backoff and all of it, so retries of many messages spread out. */
export function jitteredBackoffMs(attempts: number, retry: { initialMs: number; maxMs: number }, random: () => number = Math.random): number {
  const base = backoffMs(attempts, retry);
  return Math.round(base / 2 + random() * (base / 2));
}

/**
 * Whether retrying can help. Permanent: an HTTP 4xx other than 408 (timeout) and 429 (slow down) —
 * the receiver refuses this message and will refuse it again — and an SMTP 5xx reply (a permanent
 * negative completion). Everything else (refused connections, timeouts, 5xx from a webhook, SMTP 4xx)
 * is retried.
 */
export function isPermanentFailure(err: unknown): boolean {
  const e = err as { status?: unknown; statusCode?: unknown; responseCode?: unknown } | null;
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined) return status >= 400 && status < 500 && status !== 408 && status !== 429;
  return typeof e?.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
}

/**
 * Delivers the outbox: per channel, oldest message first, one at a time. A failure is retried with
 * capped, jittered exponential backoff and holds back only its own channel, until the message is
 * given up on (dead): at once for a permanent failure, a malformed row or a channel no longer
 * configured; after `maxAttempts` attempts or `maxAgeMs` otherwise. Dead messages are kept (admin,
 * API, log) and later messages of the channel flow again. A message is marked delivered only after
 * the channel accepted it, so a crash in between sends it again (at-least-once); the event keeps its
 * id for receivers to drop the duplicate.
 */
export function createSender(opts: SenderOptions): Sender {
  const now = opts.now ?? Date.now;
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  const random = opts.random ?? Math.random;
  const redact = opts.redact ?? ((s: string) => s);
  const sendTimeoutMs = opts.sendTimeoutMs ?? 60_000;
  const channels = new Map(opts.channels.map((c) => [c.name, c]));
  const busy = new Map<string, Promise<void>>();
  // When the database cannot record an outcome, remember it here so the message is neither sent
  // again at once (delivered) nor hammered (failed); recording is tried again on the next tick.
  const deliveredUnrecorded = new Map<number, number>();
  const retryAt = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastStoreFailure = -Infinity;

  const storeFailed = (what: string, err: unknown) => {
    lastStoreFailure = performance.now();
    opts.health?.fail('outbox-records', `${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  };

  async function giveUp(row: OutboxRow, reason: string, event: Partial<AlertEvent> | undefined, attempted?: { error: string }): Promise<void> {
    try {
      await opts.store.outbox.dead(row.id, now(), reason, attempted);
      retryAt.delete(row.id);
    } catch (err) {
      storeFailed('recording a dead alert message', err);
      retryAt.set(row.id, now() + retry.initialMs);
      return;
    }
    opts.log?.error('alert message given up (dead)', {
      channel: row.channel,
      event: event?.id,
      kind: event?.kind,
      monitor: event?.monitor?.key,
      attempts: row.attempts + (attempted ? 1 : 0),
      reason,
    });
  }

  /** One delivery attempt. Returns whether the channel may go on with its next message. */
  async function deliver(ch: ConfiguredChannel, row: OutboxRow): Promise<boolean> {
    let event: AlertEvent;
    try {
      event = JSON.parse(row.event) as AlertEvent;
      if (typeof event?.id !== 'string' || typeof event.kind !== 'string') throw new Error('no event id or kind');
    } catch (err) {
      await giveUp(row, `malformed message: ${(err as Error).message}`, undefined);
      return true;
    }
    if (opts.fence && !(await opts.fence())) return false;
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ch.plugin.send(event, ch.options),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer within ${sendTimeoutMs} ms`)), sendTimeoutMs);
        }),
      ]);
    } catch (err) {
      const message = redact(err instanceof Error ? err.message : String(err));
      const attempts = row.attempts + 1;
      const age = now() - row.createdAt;
      if (isPermanentFailure(err)) {
        await giveUp(row, `permanent failure: ${message}`, event, { error: message });
        return true;
      }
      if (attempts >= retry.maxAttempts || age >= retry.maxAgeMs) {
        const limit = attempts >= retry.maxAttempts ? `${attempts} attempts` : `${Math.round(age / 60_000)} min of retries`;
        await giveUp(row, `gave up after ${limit}: ${message}`, event, { error: message });
        return true;
      }
      const wait = jitteredBackoffMs(row.attempts, retry, random);
      try {
        await opts.store.outbox.failed(row.id, now() + wait, message);
        retryAt.delete(row.id);
      } catch (e) {
        storeFailed('recording a failed delivery', e);
        retryAt.set(row.id, now() + wait);
      }
      opts.log?.warn('alert delivery failed; will retry', { channel: ch.name, event: event.id, attempt: attempts, retryInMs: wait, error: message });
      return false;
    } finally {
      clearTimeout(timeout);
    }
    opts.log?.info('alert delivered', { channel: ch.name, kind: event.kind, monitor: event.monitor?.key, event: event.id, attempts: row.attempts + 1 });
    return recordDelivered(row.id, now());
  }

  async function recordDelivered(id: number, at: number): Promise<boolean> {
    try {
      await opts.store.outbox.delivered(id, at);
      deliveredUnrecorded.delete(id);
      retryAt.delete(id);
      return true;
    } catch (err) {
      deliveredUnrecorded.set(id, at);
      storeFailed('recording a delivered alert', err);
      return false;
    }
  }

  /** Delivers due messages of one channel in order until none is due or one fails. */
  async function drainChannel(ch: ConfiguredChannel): Promise<void> {
    for (let i = 0; i < 1000 && !stopped; i++) {
      const row = await opts.store.outbox.head(ch.name);
      if (!row) return;
      const sentAt = deliveredUnrecorded.get(row.id);
      if (sentAt !== undefined) {
        if (!(await recordDelivered(row.id, sentAt))) return;
        continue;
      }
      if (Math.max(row.nextAttemptAt, retryAt.get(row.id) ?? 0) > now()) return;
      if (!(await deliver(ch, row))) return;
    }
  }

  /** Messages for a channel that is no longer configured can never be sent: give them up, oldest first. */
  async function buryUnknown(name: string): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      const row = await opts.store.outbox.head(name);
      if (!row || (retryAt.get(row.id) ?? 0) > now()) return;
      let event: Partial<AlertEvent> | undefined;
      try {
        event = JSON.parse(row.event);
      } catch {
        event = undefined;
      }
      await giveUp(row, `channel "${name}" is no longer configured`, event);
    }
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    const tickStart = performance.now();
    const started: Promise<void>[] = [];
    let names: string[];
    try {
      names = await opts.store.outbox.channelsWithPending();
      for (const name of names) if (!channels.has(name)) await buryUnknown(name);
    } catch (err) {
      storeFailed('reading the outbox', err);
      return;
    }
    for (const name of names) {
      const ch = channels.get(name);
      if (!ch) continue;
      const running = busy.get(name);
      if (running) {
        started.push(running);
        continue;
      }
      const p = drainChannel(ch)
        .catch((err) => storeFailed(`delivering to channel ${name}`, err))
        .finally(() => busy.delete(name));
      busy.set(name, p);
      started.push(p);
    }
    return Promise.all(started).then(() => {
      // Everything this tick touched in the database worked: the outbox is readable and writable.
      if (lastStoreFailure < tickStart && deliveredUnrecorded.size === 0 && retryAt.size === 0) opts.health?.ok('outbox-records');
    });
  }

  return {
    start() {
      if (timer) return;
      stopped = false;
      timer = setInterval(() => void tick(), opts.pollMs ?? 1_000);
      timer.unref();
      void tick();
    },
    tick,
    async stop(waitMs) {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      const all = Promise.all([...busy.values()]);
      if (waitMs === undefined) return void (await all);
      let t: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise<void>((r) => (t = setTimeout(r, waitMs)))]);
      clearTimeout(t);
    },
  };
}
