/**
 * The dead-man's switch (`selfCheck: { url, every }`): halftime pings an outside heartbeat URL
 * (healthchecks.io, Uptime Kuma's push monitor, Cronitor…) every `every`, but only while it is
 * healthy. When halftime dies, hangs, loses its disk or its network, the pings stop and the outside
 * service raises the alarm — the one failure halftime cannot report itself.
 */
import type { Logger } from '../log.js';
import type { Health } from './registry.js';

export type Heartbeat = {
  /** Looks at health now and pings if healthy; resolves with what it did. */
  beat(): Promise<'pinged' | 'skipped' | 'failed'>;
  stop(): void;
};

export function startHeartbeat(opts: { url: string; everyMs: number; health: Health; log?: Logger; timeoutMs?: number }): Heartbeat {
  const timeoutMs = opts.timeoutMs ?? Math.min(10_000, Math.max(1_000, opts.everyMs / 2));
  // Said once per change, not once per ping.
  let said: 'pinged' | 'skipped' | 'failed' | undefined;
  let running: Promise<'pinged' | 'skipped' | 'failed'> | undefined;

  const say = (what: 'pinged' | 'skipped' | 'failed', detail?: string) => {
    if (what === said) return;
    said = what;
    if (what === 'skipped') opts.log?.warn('heartbeat paused: halftime is unhealthy, so the outside monitor will raise the alarm', { url: opts.url });
    else if (what === 'failed') opts.log?.warn('heartbeat ping failed', { url: opts.url, error: detail });
    else opts.log?.info('heartbeat pings going out', { url: opts.url });
  };

  async function once(): Promise<'pinged' | 'skipped' | 'failed'> {
    if (!opts.health.snapshot().ok) {
      say('skipped');
      return 'skipped';
    }
    try {
      const res = await fetch(opts.url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs), redirect: 'follow', headers: { 'user-agent': 'halftime heartbeat' } });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      opts.health.warn('heartbeat', null);
      say('pinged');
      return 'pinged';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // The outside monitor will alarm if this goes on; halftime itself is not the worse for it.
      opts.health.warn('heartbeat', `the heartbeat URL (selfCheck.url) could not be reached: ${message}`);
      say('failed', message);
      return 'failed';
    }
  }

  const beat = () => (running ??= once().finally(() => (running = undefined)));
  const timer = setInterval(() => void beat(), opts.everyMs);
  timer.unref();
  void beat();
  return { beat, stop: () => clearInterval(timer) };
}
