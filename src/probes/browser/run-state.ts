/** A browser run's shared state, and the deadline that guards each of its steps. */
import type { BrowserContext, Page } from 'playwright-core';
import type { Artifact, StepResult } from '../types.js';
import { StepFailed } from './actions.js';
import type { Lease } from './pool.js';
import type { PageTracker } from './vitals.js';

/** Time allowed beyond a step's own timeout before the step counts as hung and its browser is killed. */
export const HANG_GRACE_MS = 3_000;

/** What one run is doing, shared by the steps, the script and the clean-up. */
export type RunState = {
  page: Page;
  context: BrowserContext;
  lease: Lease;
  tracker: PageTracker;
  steps: StepResult[];
  artifacts: Artifact[];
  /** Set when the run must kill its browser at the end (a hang, a timeout). */
  poisoned?: string;
  keep(step: number, data: Uint8Array, mime: string, label: string): string;
};

/** Settles with `p`, or rejects with StepFailed(timeout) after `ms`, killing the browser (a hung page or protocol). */
export async function withDeadline<T>(p: Promise<T>, ms: number, run: RunState, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.poisoned = `${what} hung past its ${ms - HANG_GRACE_MS} ms timeout`;
      void run.lease.kill(run.poisoned);
      reject(new StepFailed({ code: 'timeout', message: `${what}: no answer within ${ms - HANG_GRACE_MS} ms; the browser was killed` }));
    }, ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
    p.catch(() => undefined);
  }
}

