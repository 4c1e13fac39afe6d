/**
 * `script: ./checks/checkout.mjs`: a module exporting `async ({ page, vars, step }) => …` runs instead
 * of YAML steps, for what YAML cannot say. `step('name', fn)` marks a step, so history, charts and
 * alert rules stay per step; a script that marks none is one step named "script". Whatever it throws
 * fails the step it was in (or the script's own step), with the same evidence as a YAML step.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { errors } from 'playwright-core';
import type { RunResult, StepResult } from '../types.js';
import { zeroTimings } from '../types.js';
import { StepFailed, toFailure } from './actions.js';
import { withDeadline, type RunState } from './run-state.js';

type ScriptFn = (args: { page: RunState['page']; context: RunState['context']; vars: Record<string, unknown>; step: <T>(name: string, fn: () => Promise<T> | T) => Promise<T> }) => Promise<unknown>;

const loaded = new Map<string, Promise<ScriptFn>>();

/** The script's function (loaded once per path). */
function load(path: string): Promise<ScriptFn> {
  let p = loaded.get(path);
  if (!p) {
    p = import(pathToFileURL(path).href).then((m: { default?: unknown; run?: unknown }) => {
      const fn = m.default ?? m.run;
      if (typeof fn !== 'function') throw new StepFailed({ code: 'config', message: `script ${path} must export a function (export default async ({ page, vars, step }) => …)` });
      return fn as ScriptFn;
    });
    // A script that failed to load is tried again on the next run (it may have been fixed).
    p.catch(() => loaded.delete(path));
    loaded.set(path, p);
  }
  return p;
}

/** An error the script threw, as a failure: Playwright's own errors keep their meaning, anything else failed a check. */
function scriptFailure(err: unknown, timeoutMs: number, what: string): StepFailed {
  if (err instanceof StepFailed) return err;
  if (err instanceof errors.TimeoutError || /net::ERR_|has been closed|Target closed/.test(String((err as Error)?.message))) return toFailure(err, { timeoutMs, what });
  const message = err instanceof Error ? err.message : String(err);
  return new StepFailed({ code: 'assertion', message: `${what}: ${message.split('\n')[0]}` });
}

export async function runScript(path: string, run: RunState, opts: { vars: Record<string, unknown>; stepTimeoutMs: number; signal: AbortSignal }): Promise<RunResult['failure']> {
  let failure: RunResult['failure'];
  const open = (name: string): StepResult => ({
    index: run.steps.length, name, method: 'script', url: run.page.url(), startedAt: Date.now(), ok: true,
    timings: zeroTimings(), bytes: 0, redirects: 0, headers: {}, evidence: [], browser: { action: 'script', pages: [] },
  });
  const close = (s: StepResult, t0: number, err?: unknown) => {
    s.timings.total = performance.now() - t0;
    s.browser!.pages = run.tracker.takeNew();
    if (!run.lease.killedBecause()) s.url = run.page.url();
    if (err !== undefined) {
      const f = scriptFailure(err, opts.stepTimeoutMs, s.name);
      s.ok = false;
      s.failure = f.failure;
      s.evidence.push(...f.evidence);
      if (f.locator) s.browser!.locator = f.locator;
      const problems = run.tracker.takeProblems();
      s.browser!.lastUrl = s.url;
      if (problems.consoleErrors.length) s.browser!.consoleErrors = problems.consoleErrors;
      if (problems.failedRequests.length) s.browser!.failedRequests = problems.failedRequests;
      failure ??= { ...f.failure, step: s.index };
    }
    run.steps.push(s);
  };
  let inStep = false;
  const step = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    if (typeof name !== 'string' || !name) throw new StepFailed({ code: 'config', message: 'step(name, fn) needs a name' });
    if (inStep) return fn(); // a step inside a step is part of it
    if (opts.signal.aborted) throw new StepFailed({ code: 'timeout', message: 'the run was stopped' });
    const s = open(name);
    const t0 = performance.now();
    run.tracker.takeProblems();
    inStep = true;
    try {
      const v = await withDeadline(Promise.resolve().then(fn), opts.stepTimeoutMs + 3_000, run, name);
      close(s, t0);
      return v;
    } catch (err) {
      close(s, t0, err);
      // Already recorded: the script sees it as a StepFailed, and a catch in the script may go on.
      throw err instanceof StepFailed ? err : new StepFailed(s.failure!, s.browser?.locator);
    } finally {
      inStep = false;
    }
  };
  const t0 = performance.now();
  const whole = open('script');
  run.page.setDefaultTimeout(opts.stepTimeoutMs);
  try {
    const fn = await load(path);
    await fn({ page: run.page, context: run.context, vars: opts.vars, step });
    // A script without steps is one step; pages opened after its last step go to that step.
    if (run.steps.length === 0) close(whole, t0);
    else run.steps[run.steps.length - 1].browser!.pages.push(...run.tracker.takeNew());
  } catch (err) {
    // An error outside any step (or one a step recorded and the script let through).
    if (!failure) close(run.steps.length === 0 ? whole : { ...open('script (after the last step)') }, t0, err);
  }
  return failure;
}
