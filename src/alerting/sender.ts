import type { Logger } from '../log.js';
import type { AlertStore, OutboxRow } from '../store/alerts.js';
import type { AlertEvent, ChannelPlugin } from './types.js';

export type ConfiguredChannel = { name: string; plugin: ChannelPlugin<any>; options: unknown };

export type SenderOptions = {
  store: AlertStore;
  channels: ConfiguredChannel[];
  now?: () => number;
  /** First retry delay, doubled per attempt up to maxMs. */
  retry?: { initialMs: number; maxMs: number };
  /** How often to look for due messages (default 1 s). */
  pollMs?: number;
  /** A send that has not settled after this long counts as failed (default 60 s). */
  sendTimeoutMs?: number;
  log?: Logger;
  redact?: (s: string) => string;
};

export type Sender = {
  start(): void;
  /** Looks for due messages now; resolves when the deliveries it started have settled. */
  tick(): Promise<void>;
  stop(): Promise<void>;
};

export function backoffMs(attempts: number, retry: { initialMs: number; maxMs: number }): number {
  return Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempts, 30));
}

/**
 * Delivers the outbox: per channel, oldest message first, one at a time; a failure is retried with
 * exponential backoff and holds back only its own channel. Marked delivered only after the channel
 * accepted it, so a crash in between sends it again (at-least-once).
 */
export function createSender(opts: SenderOptions): Sender {
  const now = opts.now ?? Date.now;
  const retry = opts.retry ?? { initialMs: 5_000, maxMs: 600_000 };
  const redact = opts.redact ?? ((s: string) => s);
  const sendTimeoutMs = opts.sendTimeoutMs ?? 60_000;
  const channels = new Map(opts.channels.map((c) => [c.name, c]));
  const busy = new Map<string, Promise<void>>();
  const warnedUnknown = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function deliver(ch: ConfiguredChannel, row: OutboxRow): Promise<boolean> {
    let timeout: NodeJS.Timeout | undefined;
    try {
      const event = JSON.parse(row.event) as AlertEvent;
      await Promise.race([
        ch.plugin.send(event, ch.options),
        new Promise<never>((_, reject) => {
          timeout = setTimeout(() => reject(new Error(`no answer within ${sendTimeoutMs} ms`)), sendTimeoutMs);
        }),
      ]);
      opts.store.outbox.delivered(row.id, now());
      opts.log?.info('alert delivered', { channel: ch.name, kind: event.kind, monitor: event.monitor.key, attempts: row.attempts + 1 });
      return true;
    } catch (err) {
      const message = redact(err instanceof Error ? err.message : String(err));
      const wait = backoffMs(row.attempts, retry);
      opts.store.outbox.failed(row.id, now() + wait, message);
      opts.log?.warn('alert delivery failed; will retry', { channel: ch.name, attempt: row.attempts + 1, retryInMs: wait, error: message });
      return false;
    } finally {
      clearTimeout(timeout);
    }
  }

  /** Delivers due messages of one channel in order until none is due or one fails. */
  async function drainChannel(ch: ConfiguredChannel): Promise<void> {
    for (let i = 0; i < 1000 && !stopped; i++) {
      const row = opts.store.outbox.head(ch.name);
      if (!row || row.nextAttemptAt > now()) return;
      if (!(await deliver(ch, row))) return;
    }
  }

  function tick(): Promise<void> {
    if (stopped) return Promise.resolve();
    const started: Promise<void>[] = [];
    let names: string[];
    try {
      names = opts.store.outbox.channelsWithPending();
    } catch (err) {
      opts.log?.error('reading the outbox failed', { error: err });
      return Promise.resolve();
    }
    for (const name of names) {
      const ch = channels.get(name);
      if (!ch) {
        if (!warnedUnknown.has(name)) opts.log?.warn('messages waiting for a channel that is no longer configured', { channel: name });
        warnedUnknown.add(name);
        continue;
      }
      const running = busy.get(name);
      if (running) {
        started.push(running);
        continue;
      }
      const p = drainChannel(ch)
        .catch((err) => opts.log?.error('alert sender crashed', { channel: name, error: err }))
        .finally(() => busy.delete(name));
      busy.set(name, p);
      started.push(p);
    }
    return Promise.all(started).then(() => undefined);
  }

  return {
    start() {
      if (timer || stopped) return;
      timer = setInterval(() => void tick(), opts.pollMs ?? 1_000);
      timer.unref();
      void tick();
    },
    tick,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await Promise.all([...busy.values()]);
    },
  };
}
