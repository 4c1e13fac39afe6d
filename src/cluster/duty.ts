/**
 * A duty that must run on exactly one node at a time (a location's scheduler, the outbox sender,
 * housekeeping), held through a lease in the database. Every node keeps trying; the holder renews
 * every third of the lease. When a renewal is refused (another node took over after our lease ran out)
 * the duty stops at once. When the database cannot be reached, a duty that writes only through the
 * store's buffer (the scheduler: measurements queue in memory) keeps running, others stop once their
 * lease would have expired — a paused node never acts on a lease it no longer holds.
 */
import type { Logger } from '../log.js';
import type { Cluster } from '../store/cluster.js';

export type DutyOptions = {
  cluster: Cluster;
  /** The lease's name, e.g. `scheduler:fra`, `outbox`, `housekeeping`. */
  name: string;
  /** This node's id. */
  holder: string;
  /** How long a lease lasts without renewal (ms); takeover after a crash takes at most about this long plus a renewal period. */
  ttlMs: number;
  /** Starts the duty; the token fences what it does (see Cluster.holds). */
  start(token: number): void | Promise<void>;
  stop(): void | Promise<void>;
  /** Keep running while the database cannot be reached (default false: stop when the lease would have expired). */
  keepWhenUnreachable?: boolean;
  log?: Logger;
  now?: () => number;
};

export type Duty = {
  /** The fencing token while held, else null. */
  token(): number | null;
  /** Tries once now (also done on the timer). */
  tick(): Promise<void>;
  /** Stops the duty if held and gives the lease up. */
  close(): Promise<void>;
};

export function startDuty(opts: DutyOptions): Duty {
  const now = opts.now ?? Date.now;
  let token: number | null = null;
  let renewedAt = 0;
  let closed = false;
  // Renewals never wait for a start or stop in progress (a measuring thread may take seconds to warm
  // up): a lease renewed only after its duty started would lapse, and two nodes would take turns.
  let renewing: Promise<void> = Promise.resolve();
  let switching: Promise<void> = Promise.resolve();
  const switchTo = (fn: () => Promise<void>) => (switching = switching.then(fn, fn));

  const stopDuty = async () => {
    try {
      await opts.stop();
    } catch (err) {
      opts.log?.error(`stopping duty ${opts.name} failed`, { error: err });
    }
  };
  const lose = (why: string) => {
    if (token === null) return;
    token = null;
    opts.log?.warn(`duty given up: ${opts.name}`, { reason: why });
    void switchTo(stopDuty);
  };
  const take = (got: number, was: number | null) => {
    token = got;
    if (was !== null) opts.log?.warn(`duty ${opts.name}: the lease changed hands meanwhile; restarting it`, { token: got });
    else opts.log?.info(`duty taken: ${opts.name}`, { token: got });
    void switchTo(async () => {
      if (was !== null) await stopDuty();
      if (token !== got) return;
      try {
        await opts.start(got);
      } catch (err) {
        // Not running it: give the lease back so this node (next tick) or another tries again.
        opts.log?.error(`starting duty ${opts.name} failed; giving the lease back`, { error: err });
        await stopDuty();
        // In turn with the renewals, so none renews the lease between the release and forgetting it.
        await (renewing = renewing.then(async () => {
          if (token !== got) return;
          await opts.cluster.release(opts.name, opts.holder).catch((e) => opts.log?.warn(`giving back the lease ${opts.name} failed; it expires by itself`, { error: e }));
          token = null;
        }));
      }
    });
  };

  const renew = () =>
    (renewing = renewing.then(async () => {
      if (closed) return;
      let got: number | null;
      try {
        got = await opts.cluster.acquire(opts.name, opts.holder, opts.ttlMs);
      } catch (err) {
        // The database is away: keep what is held until the lease would have expired (or for good, for
        // a duty whose work waits in memory), then stop.
        if (token !== null && !opts.keepWhenUnreachable && now() - renewedAt > opts.ttlMs) lose(`cannot renew the lease: ${(err as Error).message}`);
        return;
      }
      if (closed) return;
      if (got === null) return lose('another node holds the lease');
      renewedAt = now();
      if (token !== got) take(got, token);
    }));

  const timer = setInterval(() => void renew(), Math.max(100, Math.floor(opts.ttlMs / 3)));
  timer.unref();
  void renew();
  return {
    token: () => token,
    async tick() {
      await renew();
      await switching;
    },
    async close() {
      clearInterval(timer);
      await renewing;
      closed = true;
      const held = token !== null;
      lose('stopping');
      await switching;
      // Not given back: another node waits for it to lapse (one lease) instead of taking it at once.
      if (held) await opts.cluster.release(opts.name, opts.holder).catch((err) => opts.log?.warn(`giving back duty ${opts.name} failed; it lapses within ${opts.ttlMs} ms`, { error: err }));
    },
  };
}
