/**
 * "halftime is unhealthy": when halftime's own health stays bad for `afterMs` (writes or alert
 * evaluation failing, alerts stuck in the outbox, the scheduler behind, a damaged database), every
 * configured channel gets a DOWN message for "halftime itself" naming the reasons, and a RECOVERED
 * one once health is good again.
 *
 * These messages do not go through the outbox: what they report may be the database itself (a full
 * disk), or one channel refusing every message. Each channel is tried on its own, with a few
 * jittered retries kept in memory, so every channel that can still send does.
 */
import { randomUUID } from 'node:crypto';
import type { HealthSnapshot } from '../health/registry.js';
import type { Logger } from '../log.js';
import { jitteredBackoffMs, type ConfiguredChannel } from './sender.js';
import type { AlertEvent } from './types.js';

export type SelfAlertOptions = {
  health: { snapshot(): HealthSnapshot };
  channels: ConfiguredChannel[];
  /** Unhealthy for this long before the message goes out (default 1 min). */
  afterMs?: number;
  /** How often health is looked at (default 5 s). */
  everyMs?: number;
  /** Link in the message (the admin health page), when server.publicUrl is set. */
  link?: string | null;
  /** Attempts per channel and message (default 5), the first wait (default 5 s, doubled, jittered). */
  attempts?: number;
  retryMs?: number;
  sendTimeoutMs?: number;
  now?: () => number;
  log?: Logger;
};

export type SelfAlert = {
  /** Looks at health now; resolves when the messages it started have been tried. */
  check(): Promise<void>;
  stop(): void;
};

export const SELF_MONITOR = { key: 'halftime', name: 'halftime itself' };

export function startSelfAlert(opts: SelfAlertOptions): SelfAlert {
  const now = opts.now ?? Date.now;
  const afterMs = opts.afterMs ?? 60_000;
  const attempts = opts.attempts ?? 5;
  const retry = { initialMs: opts.retryMs ?? 5_000, maxMs: 300_000 };
  const sendTimeoutMs = opts.sendTimeoutMs ?? 30_000;
  let unhealthySince: number | null = null;
  let open: { since: number } | null = null;
  let stopped = false;
  // Each message supersedes the one before: a DOWN still being retried is dropped once the RECOVERED is out.
  let generation = 0;
  const inFlight = new Set<Promise<void>>();
  const pendingTimers = new Set<NodeJS.Timeout>();

  function event(kind: 'down' | 'recovered', since: number, message: string | undefined): AlertEvent {
    return {
      id: randomUUID(),
      kind,
      condition: 'down',
      at: now(),
      monitor: { ...SELF_MONITOR, url: opts.link ?? null },
      since,
      evidence: message ? { lastFailure: { code: 'unhealthy', message } } : {},
    };
  }

  /** One channel, up to `attempts` tries; the same event (same id) each time, so receivers can drop duplicates. */
  async function sendTo(ch: ConfiguredChannel, e: AlertEvent, gen: number): Promise<void> {
    for (let attempt = 0; attempt < attempts && !stopped && gen === generation; attempt++) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          ch.plugin.send(e, ch.options),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${sendTimeoutMs} ms`)), sendTimeoutMs))),
        ]);
        opts.log?.info('self-alert delivered', { channel: ch.name, kind: e.kind, event: e.id });
        return;
      } catch (err) {
        opts.log?.warn('self-alert delivery failed', { channel: ch.name, kind: e.kind, attempt: attempt + 1, error: err instanceof Error ? err.message : String(err) });
      } finally {
        clearTimeout(timer);
      }
      if (attempt + 1 < attempts) {
        await new Promise<void>((r) => {
          const t = setTimeout(() => (pendingTimers.delete(t), r()), jitteredBackoffMs(attempt, retry));
          t.unref();
          pendingTimers.add(t);
        });
      }
    }
  }

  function broadcast(e: AlertEvent): Promise<void> {
    const gen = ++generation;
    const p = Promise.all(opts.channels.map((ch) => sendTo(ch, e, gen))).then(() => undefined);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  }

  function check(): Promise<void> {
    if (stopped) return Promise.resolve();
    const s = opts.health.snapshot();
    const t = now();
    if (!s.ok) {
      unhealthySince ??= Math.min(...s.problems.map((p) => p.since));
      if (!open && t - unhealthySince >= afterMs) {
        open = { since: unhealthySince };
        const reasons = s.problems.map((p) => `${p.check}: ${p.reason}`).join('; ');
        opts.log?.error('halftime is unhealthy: alerting every channel', { reasons });
        return broadcast(event('down', unhealthySince, `halftime is unhealthy — ${reasons}`));
      }
      return Promise.resolve();
    }
    unhealthySince = null;
    if (open) {
      const since = open.since;
      open = null;
      opts.log?.info('halftime is healthy again: telling every channel');
      return broadcast(event('recovered', since, undefined));
    }
    return Promise.resolve();
  }

  const timer = setInterval(() => void check(), opts.everyMs ?? 5_000);
  timer.unref();
  return {
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const t of pendingTimers) clearTimeout(t);
    },
  };
}
