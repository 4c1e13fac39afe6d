/**
 * The pulled health checks: each turns a part's own figures into a reason for /healthz (or null).
 * The parts are passed as small interfaces, so this module loads nothing of theirs.
 */
import type { SchedulerLag } from '../scheduler/scheduler.js';
import type { WriterHealth } from '../store/writer.js';
import type { Health } from './registry.js';

const iso = (t: number) => new Date(t).toISOString();

export function fmtSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${+(s / 3600).toFixed(1)} h`;
}

/**
 * The scheduler is behind when a check has been waiting for a free slot (scheduler.concurrency)
 * longer than `behindMs`, or the last check to start did so more than `behindMs` after it was due.
 */
export function watchScheduler(health: Health, scheduler: { isAlive(): boolean; lag(): SchedulerLag }, opts: { behindMs: number; now?: () => number }): void {
  const now = opts.now ?? Date.now;
  health.watch('scheduler', () => {
    if (!scheduler.isAlive()) return 'the scheduler is not running (stopped, or its heartbeat is over 5 s old: the event loop is blocked)';
    const t = now();
    const lag = scheduler.lag();
    if (lag.oldestWaitingPlannedAt !== null && t - lag.oldestWaitingPlannedAt > opts.behindMs) {
      return {
        reason: `scheduler behind: checks wait for a free slot; the oldest was due ${fmtSpan(t - lag.oldestWaitingPlannedAt)} ago (raise scheduler.concurrency, or check less often)`,
        since: lag.oldestWaitingPlannedAt + opts.behindMs,
      };
    }
    // A late start counts for a few minutes: long enough to be seen, short enough to clear on its own.
    const last = lag.lastStart;
    if (last && last.latenessMs > opts.behindMs && t - last.at < 5 * 60_000) {
      return { reason: `scheduler behind: the last check (${last.jobId}) started ${fmtSpan(last.latenessMs)} after it was due`, since: last.at };
    }
    return null;
  });
}

/** Undelivered alert messages older than `unhealthyAfterMs` (the channel is down or refuses) make halftime unhealthy; given-up ones are a warning. */
export function watchOutbox(
  health: Health,
  outbox: { backlog(): Promise<{ channel: string; count: number; oldest: number; lastError: string | null }[]>; deadSince(since: number): Promise<number> },
  opts: { unhealthyAfterMs: number; now?: () => number },
): void {
  const now = opts.now ?? Date.now;
  health.watch('outbox', async () => {
    const t = now();
    const late = (await outbox.backlog()).filter((b) => t - b.oldest > opts.unhealthyAfterMs);
    if (late.length === 0) return null;
    const parts = late.map(
      (b) => `channel ${b.channel}: ${b.count} message${b.count === 1 ? '' : 's'} waiting, oldest queued ${fmtSpan(t - b.oldest)} ago${b.lastError ? ` (last error: ${b.lastError})` : ''}`,
    );
    return { reason: `alerts are not getting out: ${parts.join('; ')}`, since: Math.min(...late.map((b) => b.oldest)) + opts.unhealthyAfterMs };
  });
  health.watch('outbox-dead', async () => {
    const n = await outbox.deadSince(now() - 86_400_000);
    return n === 0 ? null : { warning: true, reason: `${n} alert message${n === 1 ? ' was' : 's were'} given up on in the last 24 h (see /admin/health)` };
  });
}

/** The sentence /healthz gives while the writer cannot write. */
export function writesFailingReason(w: WriterHealth): string {
  const since = w.failingSince ?? Date.now();
  const dropped = w.dropped > 0 ? `; ${w.dropped} runs dropped (memory cap)` : '';
  return `writes failing since ${iso(since)}: ${w.lastError ?? 'unknown error'} — ${w.pending} check results wait in memory${dropped}`;
}
