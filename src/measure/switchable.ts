/**
 * The measuring thread behind a handle that stays the same while the thread comes and goes: on one
 * node it runs from start to stop; with several nodes it runs only while this node holds its
 * location's scheduler lease (cluster/node.ts), and another node's thread takes over when it does not.
 * Pages, /healthz and "run now" use the handle; a node without the lease is a healthy standby.
 */
import type { MeasureStats } from './protocol.js';
import type { MeasureHost } from './host.js';
import type { SchedulerLag, SchedulerStats } from '../scheduler/scheduler.js';

export type SwitchableMeasuring = MeasureHost & {
  /** Starts a thread (and its schedule); resolves once it has warmed up and runs. */
  switchOn(): Promise<void>;
  /** Stops the thread (runs in flight get `graceMs`, then are stored as aborted). */
  switchOff(graceMs: number): Promise<void>;
  /** Whether a thread runs here now. */
  readonly on: boolean;
};

const IDLE: SchedulerStats = { started: 0, finished: 0, skipped: 0, inFlight: 0, queued: 0 };

export function switchableMeasuring(start: () => MeasureHost, opts: { graceMs: number }): SwitchableMeasuring {
  let host: MeasureHost | undefined;
  let switching: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>) => (switching = switching.then(fn, fn));
  return {
    get on() {
      return host !== undefined;
    },
    switchOn: () =>
      serial(async () => {
        if (host) return;
        const h = start();
        await h.ready;
        h.start();
        host = h;
      }),
    switchOff: (graceMs) =>
      serial(async () => {
        const h = host;
        host = undefined;
        await h?.stop(graceMs);
      }),
    ready: Promise.resolve(),
    start() {},
    stop: (graceMs = opts.graceMs) => serial(async () => {
      const h = host;
      host = undefined;
      await h?.stop(graceMs);
    }),
    // A standby node (another holds the lease) is healthy: it has nothing to run.
    isAlive: () => host?.isAlive() ?? true,
    stats: () => host?.stats() ?? { ...IDLE },
    lag: (): SchedulerLag => host?.lag() ?? { oldestWaitingPlannedAt: null, lastStart: null },
    figures: (): MeasureStats | undefined => host?.figures(),
    runNow: (id) => host?.runNow(id) ?? Promise.resolve(false),
  };
}
