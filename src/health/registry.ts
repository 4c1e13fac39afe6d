/**
 * What halftime knows about its own health, in one place: the writer, the alert evaluation, the
 * outbox sender, the scheduler and the integrity check report into it; /healthz, the admin pages,
 * the self-alert and the heartbeat read from it. A plain object made by a factory and passed around
 * (no singleton), so every test and every server has its own.
 *
 * A check is failing (with a reason and the time it began) or fine. Some are pushed (`fail`/`ok`,
 * when the part notices), some are pulled (`watch`: a function asked on each look, e.g. the age of
 * the outbox). The log hears about a check once when it starts failing and once when it is fine
 * again — never per failure.
 */
import type { Logger } from '../log.js';

export type HealthProblem = {
  /** The part that reports: writes, alerting, outbox, scheduler, database… */
  check: string;
  /** One sentence for a person: what fails, since when, what it affects. */
  reason: string;
  /** Epoch ms the check started failing. */
  since: number;
};

export type HealthSnapshot = {
  ok: boolean;
  at: number;
  /** Failing checks: each makes /healthz answer 503. */
  problems: HealthProblem[];
  /** Things an operator should see that do not make halftime unhealthy (e.g. alerts given up on). */
  warnings: HealthProblem[];
};

/** What a watched check returns: null when fine, else the reason (and optionally since when). */
export type WatchResult = null | string | { reason: string; since?: number; warning?: boolean };

export type HealthReporter = {
  fail(check: string, reason: string, since?: number): void;
  ok(check: string): void;
};

export type Health = HealthReporter & {
  /** A warning: shown, logged once, but /healthz stays 200. `null` clears it. */
  warn(check: string, reason: string | null): void;
  /**
   * A check asked on every look (keep it cheap); errors it throws are a problem of that check. One
   * that answers asynchronously (a database query) counts with its last answer; `check()` waits for
   * fresh ones.
   */
  watch(check: string, fn: () => WatchResult | Promise<WatchResult>): void;
  snapshot(): HealthSnapshot;
  /** Asks every watched check and waits for their answers, then looks: what /healthz serves. */
  check(): Promise<HealthSnapshot>;
  /** Called with a new snapshot whenever the set of failing checks changes. Returns the unsubscribe function. */
  subscribe(fn: (s: HealthSnapshot) => void): () => void;
  /** Looks at the watched checks now (also done on each snapshot); logs and notifies changes. */
  refresh(): HealthSnapshot;
  /** Refreshes every `everyMs` (default 5 s) so changes are logged and alerted without anyone asking. */
  start(everyMs?: number): void;
  stop(): void;
};

export function createHealth(opts: { log?: Logger; now?: () => number } = {}): Health {
  const now = opts.now ?? Date.now;
  const pushed = new Map<string, HealthProblem>();
  const warnings = new Map<string, HealthProblem>();
  const watched = new Map<string, () => WatchResult | Promise<WatchResult>>();
  // The last answer of each check that answers asynchronously.
  const answered = new Map<string, WatchResult>();
  const failedCheck = (err: unknown): WatchResult => `could not be checked: ${err instanceof Error ? err.message : String(err)}`;
  const watchedSince = new Map<string, number>();
  const listeners = new Set<(s: HealthSnapshot) => void>();
  let failingKeys = '';
  let timer: NodeJS.Timeout | undefined;
  // What was last logged per check, so a change is said once.
  const logged = new Map<string, 'problem' | 'warning'>();

  function look(): HealthSnapshot {
    const t = now();
    const problems = [...pushed.values()];
    const warns = [...warnings.values()];
    for (const [check, fn] of watched) {
      let r: WatchResult;
      try {
        const got = fn();
        if (got instanceof Promise) {
          void got.then((v) => answered.set(check, v), (err) => answered.set(check, failedCheck(err)));
          r = answered.get(check) ?? null;
        } else r = got;
      } catch (err) {
        r = failedCheck(err);
      }
      if (r === null) {
        watchedSince.delete(check);
        continue;
      }
      const o = typeof r === 'string' ? { reason: r } : r;
      const since = o.since ?? watchedSince.get(check) ?? t;
      watchedSince.set(check, since);
      (o.warning ? warns : problems).push({ check, reason: o.reason, since });
    }
    problems.sort((a, b) => a.since - b.since);
    return { ok: problems.length === 0, at: t, problems, warnings: warns };
  }

  /** Logs what changed since the last look and tells the listeners when the failing set changed. */
  function settle(s: HealthSnapshot): HealthSnapshot {
    const seen = new Set<string>();
    for (const p of s.problems) {
      seen.add(p.check);
      if (logged.get(p.check) !== 'problem') opts.log?.error(`unhealthy: ${p.check}`, { reason: p.reason, since: new Date(p.since).toISOString() });
      logged.set(p.check, 'problem');
    }
    for (const w of s.warnings) {
      if (seen.has(w.check)) continue;
      seen.add(w.check);
      if (logged.get(w.check) !== 'warning') opts.log?.warn(`attention: ${w.check}`, { reason: w.reason });
      logged.set(w.check, 'warning');
    }
    for (const [check, was] of logged) {
      if (seen.has(check)) continue;
      logged.delete(check);
      if (was === 'problem') opts.log?.info(`healthy again: ${check}`);
    }
    const keys = s.problems.map((p) => p.check).sort().join(',');
    if (keys !== failingKeys) {
      failingKeys = keys;
      for (const l of [...listeners]) {
        try {
          l(s);
        } catch (err) {
          opts.log?.error('a health listener failed', { error: err });
        }
      }
    }
    return s;
  }

  const refresh = () => settle(look());

  return {
    fail(check, reason, since) {
      const prev = pushed.get(check);
      pushed.set(check, { check, reason, since: prev?.since ?? since ?? now() });
      if (!prev) refresh();
    },
    ok(check) {
      if (pushed.delete(check)) refresh();
    },
    warn(check, reason) {
      if (reason === null) warnings.delete(check);
      else warnings.set(check, { check, reason, since: warnings.get(check)?.since ?? now() });
    },
    watch(check, fn) {
      watched.set(check, fn);
    },
    snapshot: refresh,
    refresh,
    async check() {
      await Promise.all(
        [...watched].map(async ([check, fn]) => {
          try {
            const got = fn();
            if (got instanceof Promise) answered.set(check, await got);
          } catch (err) {
            answered.set(check, failedCheck(err));
          }
        }),
      );
      return refresh();
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    start(everyMs = 5_000) {
      if (timer) return;
      timer = setInterval(() => void this.check(), everyMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
