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
  /** Starts a thread and warms it up without starting its schedule (a warm standby): switchOn is then instant. */
  prepare(): Promise<void>;
  /** Starts the schedule (in the warm thread, or a new one); resolves once it runs. */
  switchOn(): Promise<void>;
  /** Stops the schedule and its thread (runs in flight get `graceMs`, then are stored as aborted); with `standby`, warms up the next one. */
  switchOff(graceMs: number, opts?: { standby?: boolean }): Promise<void>;
  /** Whether a schedule runs here now. */
  readonly on: boolean;
};

const IDLE: SchedulerStats = { started: 0, finished: 0, skipped: 0, inFlight: 0, queued: 0 };

export function switchableMeasuring(start: () => MeasureHost, opts: { graceMs: number }): SwitchableMeasuring {
  /** The running thread (its schedule started). */
  let host: MeasureHost | undefined;
  /** A warm thread whose schedule has not started. */
  let warm: MeasureHost | undefined;
  let switching: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>) => (switching = switching.then(fn, fn));
  const prepareNow = async () => {
    if (host || warm) return;
    const h = start();
    try {
      await h.ready;
    } catch (err) {
      await h.stop(0).catch(() => undefined);
      throw err;
    }
    warm = h;
  };
  const off = async (graceMs: number) => {
    const h = host;
    host = undefined;
    await h?.stop(graceMs);
  };
  return {
    get on() {
      return host !== undefined;
    },
    prepare: () => serial(prepareNow),
    switchOn: () =>
      serial(async () => {
        if (host) return;
        await prepareNow();
        host = warm;
        warm = undefined;
        host!.start();
      }),
    switchOff: (graceMs, o = {}) =>
      serial(async () => {
        await off(graceMs);
        if (o.standby) await prepareNow();
      }),
    ready: Promise.resolve(),
    start() {},
    stop: (graceMs = opts.graceMs) =>
      serial(async () => {
        const w = warm;
        warm = undefined;
        await Promise.all([off(graceMs), w?.stop(0)]);
      }),
    // A standby node (another holds the lease) is healthy: it has nothing to run.
    isAlive: () => host?.isAlive() ?? true,
    stats: () => host?.stats() ?? { ...IDLE },
    lag: (): SchedulerLag => host?.lag() ?? { oldestWaitingPlannedAt: null, lastStart: null },
    figures: (): MeasureStats | undefined => host?.figures(),
    runNow: (id) => host?.runNow(id) ?? Promise.resolve(false),
  };
}
