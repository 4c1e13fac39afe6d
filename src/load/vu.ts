/** Simulated users: each with its own session, an iteration loop with think times, and optional polling. */
import { performance } from 'node:perf_hooks';
import { createSession, type Session } from '../probes/session.js';
import type { Iteration, IterationResult, Poll, StepTiming, ThinkTime, UserSteps, Vu } from './types.js';

export type VuHooks = {
  /** An iteration finished; `lag` is how late the generator started it (ms). */
  onIteration(result: IterationResult, lag: number): void;
  onPoll(result: StepTiming): void;
  /** A user's setup or teardown ran (once per user each). */
  onUserSteps(kind: 'setup' | 'teardown', result: IterationResult): void;
};

export type RunningVu = Vu & {
  /** Stop after the current iteration (a think time in progress ends at once). */
  stop(): void;
  /** Abort whatever is in flight now. */
  kill(): void;
  /** Settles when the user's loops have ended. */
  done: Promise<void>;
};

/** Waits `ms`, or less if `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function thinkMs(think: ThinkTime | undefined, random: () => number = Math.random): number {
  if (!think) return 0;
  return think.max > think.min ? think.min + random() * (think.max - think.min) : think.min;
}

/** Longest a user's back-to-back iterations run without giving timers and I/O a turn (ms). */
const YIELD_EVERY_MS = 5;

export type SessionFactory = () => Session;

/** A user object with a session and abort controllers; loops are attached by the models. */
export function makeVu(id: number, newSession: SessionFactory = () => createSession()) {
  const stopCtl = new AbortController();
  const killCtl = new AbortController();
  return { id, session: newSession(), stopCtl, killCtl };
}

export type ClosedVuOptions = {
  iteration: Iteration;
  think?: ThinkTime;
  poll?: { every: number; run: Poll };
  hooks: VuHooks;
  newSession?: SessionFactory;
  /** First iteration starts after a random share of one think time, so users do not march in lockstep. */
  stagger?: boolean;
  userSteps?: UserSteps;
};

/** Starts a closed-model user: iteration, think, iteration… until stopped. */
export function startClosedVu(id: number, o: ClosedVuOptions): RunningVu {
  const v = makeVu(id, o.newSession);
  const vu: Vu = { id, session: v.session };
  const loops: Promise<void>[] = [];

  // The user has started (after its stagger, and its setup): polling begins, and it will tear down.
  let started = false;
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));

  loops.push(
    (async () => {
      let intended = performance.now();
      if (o.stagger && o.think) {
        const wait = Math.random() * o.think.max;
        intended += wait;
        await pause(wait, v.stopCtl.signal);
      }
      if (v.stopCtl.signal.aborted) return markReady();
      started = true;
      if (o.userSteps?.setup) {
        // Once per user, before its first iteration; that iteration is timed from when setup ended.
        o.hooks.onUserSteps('setup', await o.userSteps.setup(vu, v.killCtl.signal, performance.now()));
        intended = performance.now();
      }
      markReady();
      let yielded = performance.now();
      while (!v.stopCtl.signal.aborted) {
        const lag = Math.max(0, performance.now() - intended);
        const res = await o.iteration(vu, v.killCtl.signal, intended);
        o.hooks.onIteration(res, lag);
        if (v.stopCtl.signal.aborted) break;
        const think = thinkMs(o.think);
        const now = performance.now();
        intended = now + think;
        if (think > 0) {
          await pause(think, v.stopCtl.signal);
          yielded = performance.now();
        } else if (now - yielded > YIELD_EVERY_MS) {
          // Back-to-back iterations that never wait on I/O (a step refused before it is sent) would
          // otherwise keep timers and I/O from running; one that waited on a response already let them.
          await new Promise<void>((r) => setImmediate(r));
          yielded = performance.now();
        }
      }
    })(),
  );

  if (o.poll) {
    const { every, run } = o.poll;
    loops.push(
      (async () => {
        await ready;
        let intended = performance.now() + every;
        await pause(every, v.stopCtl.signal);
        while (!v.stopCtl.signal.aborted) {
          o.hooks.onPoll(await run(vu, v.killCtl.signal, intended));
          intended += every;
          const now = performance.now();
          // A poll that came back after several periods does not fire a volley to catch up.
          if (intended < now - every) intended = now;
          await pause(intended - now, v.stopCtl.signal);
        }
      })(),
    );
  }

  const done = Promise.all(loops)
    .then(async () => {
      // Once per user that started, when it stops; the hard stop (kill) ends it like anything in flight.
      if (started && o.userSteps?.teardown && !v.killCtl.signal.aborted) o.hooks.onUserSteps('teardown', await o.userSteps.teardown(vu, v.killCtl.signal, performance.now()));
    })
    .then(() => v.session.close());
  return {
    ...vu,
    stop: () => v.stopCtl.abort(),
    kill: () => {
      v.stopCtl.abort();
      v.killCtl.abort();
      // Closing the connections ends whatever request is in flight, even one not watching the signal.
      void v.session.close();
    },
    done,
  };
}
