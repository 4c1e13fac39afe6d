/**
 * The open model: iterations arrive on a timetable (the arrival rate), whether or not earlier ones
 * finished. Each runs on a free simulated user (created as needed, up to maxUsers); when none is
 * free it waits in a queue, and its wait counts in its latency because every iteration is timed from
 * its intended start on the timetable. A stalling server therefore shows as a latency spike instead
 * of hiding behind fewer requests (coordinated omission, corrected as wrk2 does).
 */
import { performance } from 'node:perf_hooks';
import { arrivalTime, totalArrivals, type OpenPlan } from './shapes.js';
import type { Iteration, UserSteps, Vu } from './types.js';
import { makeVu, type SessionFactory, type VuHooks } from './vu.js';

export type OpenModelOptions = {
  plan: OpenPlan;
  iteration: Iteration;
  hooks: VuHooks;
  /** performance.now() of t = 0. */
  start: number;
  /** Ends the timetable early (abort on errors, shutdown). */
  stopSignal: AbortSignal;
  /** Aborts iterations in flight. */
  killSignal: AbortSignal;
  newSession?: SessionFactory;
  /** Waiting arrivals beyond this are dropped and counted (default 100 × maxUsers). */
  maxQueue?: number;
  /** Each new user's setup runs before its first iteration (whose wait for it counts, as any wait for a free user); teardown when the burst drains. */
  userSteps?: UserSteps;
};

export type OpenModel = {
  /** Resolves when the timetable is done (or stopped); in-flight iterations may still run. */
  scheduled: Promise<void>;
  /** Resolves when every iteration has finished and the users' sessions are closed. */
  drained(): Promise<void>;
  busy(): number;
  created(): number;
  dropped(): number;
};

export function startOpenModel(o: OpenModelOptions): OpenModel {
  const total = totalArrivals(o.plan);
  const maxQueue = o.maxQueue ?? 100 * o.plan.maxUsers;
  const idle: Vu[] = [];
  const all: { vu: Vu }[] = [];
  const queue: number[] = []; // intended starts (performance.now() times), oldest first
  let queueHead = 0;
  let busy = 0;
  let dropped = 0;
  let inFlight = 0;
  let onIdle: (() => void) | undefined;

  const finished = (vu: Vu) => {
    inFlight--;
    if (queueHead < queue.length && !o.killSignal.aborted) {
      const next = queue[queueHead++];
      if (queueHead > 1024 && queueHead * 2 > queue.length) queue.splice(0, queueHead), (queueHead = 0);
      busy--;
      run(vu, next);
      return;
    }
    busy--;
    idle.push(vu);
    if (inFlight === 0) onIdle?.();
  };

  /** `lag`: how late the generator itself was with this arrival (a new user's setup is not its lateness). */
  const run = (vu: Vu, intended: number, lag = Math.max(0, performance.now() - intended)) => {
    busy++;
    inFlight++;
    void o.iteration(vu, o.killSignal, intended).then((res) => {
      o.hooks.onIteration(res, lag);
      finished(vu);
    });
  };

  /** A new user: its setup first (once), then the arrival it was created for. */
  const start = (vu: Vu, intended: number) => {
    const setup = o.userSteps?.setup;
    if (!setup) return run(vu, intended);
    busy++;
    inFlight++;
    const lag = Math.max(0, performance.now() - intended);
    void setup(vu, o.killSignal, performance.now()).then((res) => {
      o.hooks.onUserSteps('setup', res);
      busy--;
      inFlight--;
      if (o.killSignal.aborted) {
        idle.push(vu);
        if (inFlight === 0) onIdle?.();
        return;
      }
      run(vu, intended, lag);
    });
  };

  const dispatch = (intended: number) => {
    const free = idle.pop();
    if (free) return run(free, intended);
    if (all.length < o.plan.maxUsers) {
      const v = makeVu(all.length + 1, o.newSession);
      const vu: Vu = { id: v.id, session: v.session };
      all.push({ vu });
      return start(vu, intended);
    }
    if (queue.length - queueHead >= maxQueue) dropped++;
    else queue.push(intended);
  };

  // Closing the connections ends whatever request is in flight, even one not watching the signal.
  o.killSignal.addEventListener('abort', () => void Promise.all(all.map((a) => a.vu.session.close())), { once: true });

  const scheduled = (async () => {
    let k = 0;
    // Bounded: one pass per batch of due arrivals, and the timetable has `total` entries.
    while (k < total && !o.stopSignal.aborted) {
      const now = performance.now() - o.start;
      for (let due = arrivalTime(o.plan, k); due !== undefined && due <= now && k < total; due = arrivalTime(o.plan, k)) {
        dispatch(o.start + due);
        k++;
      }
      const next = arrivalTime(o.plan, k);
      if (next === undefined) break;
      const wait = next - (performance.now() - o.start);
      await new Promise<void>((r) => (wait > 1 ? setTimeout(r, wait) : setImmediate(r)));
    }
  })();

  return {
    scheduled,
    async drained() {
      await scheduled;
      if (inFlight > 0) await new Promise<void>((r) => (onIdle = r));
      // Arrivals still waiting when the run was cut off were never sent.
      dropped += queue.length - queueHead;
      queue.length = 0;
      queueHead = 0;
      // Every user stops now: each tears down once (the hard stop ends what is still in flight).
      const teardown = o.userSteps?.teardown;
      if (teardown && !o.killSignal.aborted) {
        await Promise.all(all.map(async (a) => o.hooks.onUserSteps('teardown', await teardown(a.vu, o.killSignal, performance.now()))));
      }
      await Promise.all(all.map((a) => a.vu.session.close()));
    },
    busy: () => busy,
    created: () => all.length,
    dropped: () => dropped,
  };
}
