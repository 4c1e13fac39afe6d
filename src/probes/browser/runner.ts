/**
 * A browser monitor's runner: each run takes a browser from the pool, opens a fresh context (no
 * cookies, no cache, no storage from any earlier run), injects the Web Vitals measurement into every
 * document, walks the steps (or runs the script) and comes back with a RunResult — one StepResult per
 * step, the pages each step opened with their vitals, and on failure a screenshot, the locator, the
 * last URL, console errors and failed requests. A run that hangs is cut at its timeout and its browser
 * killed; whatever throws is stored as the run's failure, never thrown.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Faker } from '@faker-js/faker';
import { BROWSER_DEFAULTS, type BrowserSettings, type BrowserStepConfig } from '../../config/browser-schema.js';
import { monitorId } from '../../config/read.js';
import type { MonitorConfig } from '../../config/schema.js';
import { createRedactor, NO_REDACTION, redactorFrom, type Redactor } from '../../lang/redact.js';
import { render, TemplateError, type TemplateContext } from '../../lang/template.js';
import { createDataPools } from '../data-pools.js';
import { createHelpers, loadFaker, usesFaker } from '../helpers.js';
import { createRng, randomSeed, type Rng } from '../random.js';
import { zeroTimings, type Artifact, type Failure, type RunResult, type StepResult } from '../types.js';
import { runAction, StepFailed, toFailure } from './actions.js';
import { actionOf, browserStepLabel } from './labels.js';
import { BrowserKilled, type BrowserPool, type Lease } from './pool.js';
import { HANG_GRACE_MS, withDeadline, type RunState } from './run-state.js';
import { runScript } from './script.js';
import { takeScreenshot } from './screenshot.js';
import { plainView, trackPage, vitalsInitScript, type PageTracker } from './vitals.js';

export type BrowserRunOptions = {
  plannedAt?: number;
  signal?: AbortSignal;
  noThink?: boolean;
  seed?: number;
  /** Save a Playwright trace of the run to this file (`halftime run --trace`). */
  tracePath?: string;
};

export type BrowserRunnerOptions = {
  pool: BrowserPool;
  settings?: BrowserSettings;
  /** Hides config secrets; applied to the whole finished result. */
  redact?: Redactor;
  seed?: number;
};

export type BrowserRunner = { run(opts?: BrowserRunOptions): Promise<RunResult> };

export function createBrowserRunner(monitor: MonitorConfig, opts: BrowserRunnerOptions): BrowserRunner {
  const journey = monitor.browser;
  if (!journey) throw new Error(`monitor ${monitorId(monitor)} is not a browser monitor`);
  const settings = opts.settings ?? BROWSER_DEFAULTS;
  const id = monitorId(monitor);
  const root = createRng(opts.seed ?? randomSeed());
  const pools = createDataPools(monitor.data ?? {});
  const baseRedact = opts.redact ?? NO_REDACTION;
  const templates: string[] = [];
  JSON.stringify(journey.steps, (_k, v) => (typeof v === 'string' && templates.push(v), v));
  const wantsFaker = usesFaker(templates);
  const runTimeoutMs = monitor.timeout ?? settings.runTimeout;
  let faker: Faker | undefined;

  async function run(runOpts: BrowserRunOptions = {}): Promise<RunResult> {
    if (wantsFaker) faker ??= await loadFaker(monitor.locale ?? 'en');
    const plannedAt = runOpts.plannedAt ?? Date.now();
    const seed = runOpts.seed ?? root.int(0, 2 ** 31 - 1);
    const runTimeout = AbortSignal.timeout(runTimeoutMs);
    const signal = runOpts.signal ? AbortSignal.any([runOpts.signal, runTimeout]) : runTimeout;
    let startedAt = Date.now();
    let t0 = performance.now();
    const secrets = new Map<string, string>();
    let extractedSecrets: Redactor = NO_REDACTION;
    const redact = redactorFrom((s) => baseRedact(extractedSecrets(s)));
    let state: RunState | undefined;
    let failure: RunResult['failure'];
    let memory: number | undefined;
    let killedBecause: string | undefined;
    try {
      await opts.pool.use(
        async (lease) => {
          // The clock starts once a browser is ours: waiting for a free one is halftime's, not the target's.
          startedAt = Date.now();
          t0 = performance.now();
          const onAbort = () => {
            const why = runOpts.signal?.aborted ? 'the run was stopped (shutdown)' : `the whole run exceeded its ${runTimeoutMs} ms timeout`;
            if (state) state.poisoned = why;
            void lease.kill(why);
          };
          signal.addEventListener('abort', onAbort, { once: true });
          try {
            state = await openRun(lease, runOpts);
            const rng = createRng(seed);
            const vars: Record<string, unknown> = { ...monitor.vars, ...(monitor.baseUrl ? { baseUrl: monitor.baseUrl } : {}) };
            const poolView = pools.forRun(rng);
            const ctx: TemplateContext = { lookup: (name) => (name in vars ? vars[name] : poolView(name)), call: createHelpers(rng, { faker, seeded: true }) };
            const onSecret = (name: string, value: string) => {
              secrets.set(name, value);
              extractedSecrets = createRedactor(secrets, { label: (n) => `[redacted:${n}]`, minLength: 1 });
            };
            if (journey!.script) failure = await runScript(journey!.script, state, { vars, stepTimeoutMs: journey!.stepTimeout ?? settings.stepTimeout, signal });
            else failure = await runSteps(journey!.steps, state, { ctx, vars, rng, onSecret, noThink: !!runOpts.noThink, signal });
            // Killed under a step (memory cap, a hang, the run's timeout): the step that was going says why.
            const killed = lease.killedBecause();
            if (killed) failure = blameKill(state, killed, runOpts.signal?.aborted ? 'aborted' : /memory/.test(killed) ? 'browser' : 'timeout');
            else if (failure?.code === 'timeout' && !(await answers(state))) state.poisoned = 'the page stopped answering';
            if (failure && journey!.screenshotOnFailure) await failureScreenshot(state, failure.step);
            await finish(state, runOpts);
          } finally {
            signal.removeEventListener('abort', onAbort);
            memory = lease.peakMemory();
            killedBecause = lease.killedBecause();
          }
        },
        { signal },
      );
    } catch (err) {
      // The browser was killed before the steps began (memory cap, timeout while opening the page), or
      // under a run that then did not end by itself (BrowserKilled).
      if (err instanceof BrowserKilled) killedBecause ??= err.reason;
      if (!failure && killedBecause) failure = { code: runOpts.signal?.aborted ? 'aborted' : /memory/.test(killedBecause) ? 'browser' : 'timeout', message: killedBecause };
      if (!failure) {
        const f = toFailure(err, { timeoutMs: runTimeoutMs, what: 'browser' }).failure;
        failure = signal.aborted ? { code: runOpts.signal?.aborted ? 'aborted' : 'timeout', message: runOpts.signal?.aborted ? 'the run was stopped before a browser was free' : `no browser within the run's ${runTimeoutMs} ms timeout` } : f;
        if (/Chromium .*not/.test(String((err as Error)?.message))) failure = { code: 'config', message: String((err as Error).message) };
      }
    }
    const steps = state?.steps ?? [];
    for (const s of steps) {
      if (!s.browser) continue;
      // Vitals and byte counts that arrived after the step ended (LCP after a click, CLS, late sizes) are in now.
      s.browser.pages = s.browser.pages.map(plainView);
      s.bytes = s.browser.pages.reduce((n, p) => n + p.bytes, 0);
    }
    const out: RunResult = redact.value({
      monitorId: id,
      plannedAt,
      startedAt,
      durationMs: steps.reduce((sum, s) => sum + s.timings.total, 0) || performance.now() - t0,
      ok: !failure,
      failure: failure && { ...failure, message: failure.message },
      steps,
      seed,
      browserMemory: memory,
    } satisfies RunResult);
    // Images are bytes, not text: attached after redaction, which walks only plain data.
    if (state?.artifacts.length) out.artifacts = state.artifacts;
    return out;
  }

  async function openRun(lease: Lease, runOpts: BrowserRunOptions): Promise<RunState> {
    const context = await lease.browser.newContext({ viewport: journey!.viewport, userAgent: journey!.userAgent, ignoreHTTPSErrors: false, serviceWorkers: 'block' });
    await context.addInitScript({ content: vitalsInitScript() });
    if (runOpts.tracePath) await context.tracing.start({ screenshots: true, snapshots: true, sources: false });
    const page = await context.newPage();
    const tracker = await trackPage(context, page);
    const artifacts: Artifact[] = [];
    return {
      page,
      context,
      lease,
      tracker,
      steps: [],
      artifacts,
      keep(step, data, mime, label) {
        const name = `${label}.${mime === 'image/png' ? 'png' : 'jpg'}`;
        artifacts.push({ name, step, mime, data });
        return name;
      },
    };
  }

  /** The step that was going when the browser was killed fails with the reason. */
  function blameKill(state: RunState, reason: string, code: Failure['code']): RunResult['failure'] {
    const last = [...state.steps].reverse().find((s) => !s.ok) ?? state.steps[state.steps.length - 1];
    if (!last) return { code, message: reason };
    last.ok = false;
    last.failure = { code, message: reason };
    return { code, message: reason, step: last.index };
  }

  /** After a timeout: does the page still run script? A renderer stuck in a loop does not, and its browser is killed rather than waited on. */
  async function answers(state: RunState): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 1_000)));
    const ok = await Promise.race([state.page.evaluate(() => 1).then(() => true, () => false), late]);
    clearTimeout(timer);
    return ok;
  }

  async function failureScreenshot(state: RunState, stepIndex: number | undefined) {
    if (state.poisoned || state.lease.killedBecause() || stepIndex === undefined) return;
    const step = state.steps.find((s) => s.index === stepIndex);
    let missing = '';
    const shot = await withDeadline(takeScreenshot(state.page, { maxBytes: settings.screenshotMaxBytes, timeoutMs: 5_000 }), 5_000 + HANG_GRACE_MS, state, 'the failure screenshot').catch((err) => {
      missing = err instanceof Error ? err.message : String(err);
      return undefined;
    });
    // No screenshot: the step says why, beside its failure, instead of the picture being silently absent.
    if (!shot) step?.evidence.push({ what: 'screenshot', expected: 'taken on failure', actual: missing ? `not taken: ${missing.split('\n')[0]}` : 'not taken', pass: true });
    if (!shot || !step) return;
    const name = state.keep(stepIndex, shot.data, shot.mime, `failure-step-${stepIndex + 1}`);
    step.browser ??= { action: step.method, pages: [] };
    (step.browser.artifacts ??= []).push(name);
  }

  /** Trace saved, vitals settled, context closed; a browser that hung or does not close in time is killed. */
  async function finish(state: RunState, runOpts: BrowserRunOptions) {
    if (state.poisoned || state.lease.killedBecause()) {
      await state.lease.kill(state.poisoned ?? state.lease.killedBecause()!);
      return;
    }
    try {
      // One round trip through the page: vitals it reported before it are in, and INP of the last input is out.
      await withDeadline(state.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 30)))), 2_000 + HANG_GRACE_MS, state, 'the page').catch(() => undefined);
      await state.tracker.settle(1_000);
      if (runOpts.tracePath) await withDeadline(state.context.tracing.stop({ path: runOpts.tracePath }), 30_000, state, 'saving the trace');
      await withDeadline(state.context.close(), 5_000, state, 'closing the browser context');
    } catch {
      await state.lease.kill(state.poisoned ?? 'the browser context did not close');
    }
  }

  type StepsEnv = { ctx: TemplateContext; vars: Record<string, unknown>; rng: Rng; onSecret(name: string, value: string): void; noThink: boolean; signal: AbortSignal };

  async function runSteps(steps: BrowserStepConfig[], state: RunState, env: StepsEnv): Promise<RunResult['failure']> {
    let failure: RunResult['failure'];
    for (const [index, step] of steps.entries()) {
      if (failure && !step.alwaysRun) continue;
      if (env.signal.aborted && !step.alwaysRun) break;
      const prev = steps[index - 1];
      const think = prev ? (prev.think ?? monitor.think) : undefined;
      if (think && !failure && !env.noThink && think.max > 0) await sleep(think.min + env.rng.next() * (think.max - think.min), undefined, { signal: env.signal }).catch(() => undefined);
      const result = await runStep(step, index, state, env, !!failure);
      state.steps.push(result);
      if (!result.ok && !failure) failure = { ...result.failure!, step: index };
    }
    return failure;
  }

  async function runStep(step: BrowserStepConfig, index: number, state: RunState, env: StepsEnv, afterFailure: boolean): Promise<StepResult> {
    const action = actionOf(step)!;
    const timeoutMs = step.timeout ?? journey!.stepTimeout ?? settings.stepTimeout;
    const startedAt = Date.now();
    const t0 = performance.now();
    const result: StepResult = {
      index, name: browserStepLabel(step, index), method: action, url: state.page.url(), startedAt, ok: true,
      timings: zeroTimings(), bytes: 0, redirects: 0, headers: {}, evidence: [], browser: { action, pages: [] },
      ...(afterFailure ? { afterFailure: true } : {}),
    };
    state.tracker.takeProblems();
    try {
      const out = await withDeadline(
        runAction(step, {
          page: state.page,
          render: (text) => render(text, env.ctx),
          baseUrl: monitor.baseUrl,
          timeoutMs,
          screenshotMaxBytes: settings.screenshotMaxBytes,
          keep: (data, mime) => state.keep(index, data, mime, `step-${index + 1}`),
        }),
        timeoutMs + HANG_GRACE_MS,
        state,
        result.name,
      );
      result.evidence.push(...out.evidence);
      if (out.status !== undefined) result.status = out.status;
      if (out.timings) Object.assign(result.timings, out.timings);
      if (out.artifacts) result.browser!.artifacts = out.artifacts;
      if (out.extracted) {
        const { values, secret, failures } = out.extracted;
        for (const n of secret) if (values[n] !== undefined) env.onSecret(n, values[n]);
        Object.assign(env.vars, values);
        result.extracted = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secret.includes(k) ? '[redacted]' : v.length > 200 ? `${v.slice(0, 197)}...` : v]));
        if (failures.length) {
          result.ok = false;
          result.failure = { code: 'extract', message: failures.join('; ') };
        }
      }
    } catch (err) {
      const f = err instanceof TemplateError ? new StepFailed({ code: 'template', message: err.message }) : toFailure(err, { timeoutMs, what: action });
      result.ok = false;
      result.failure = f.failure;
      result.evidence.push(...f.evidence);
      if (f.locator) result.browser!.locator = f.locator;
      if (env.signal.aborted && f.failure.code !== 'timeout') result.failure = { code: 'timeout', message: `the whole run exceeded its ${runTimeoutMs} ms timeout` };
    }
    result.timings.total = performance.now() - t0;
    result.browser!.pages = state.tracker.takeNew();
    result.bytes = result.browser!.pages.reduce((n, p) => n + p.bytes, 0);
    if (!state.lease.killedBecause()) result.url = state.page.url();
    if (!result.ok) {
      const problems = state.tracker.takeProblems();
      result.browser!.lastUrl = result.url;
      if (problems.consoleErrors.length) result.browser!.consoleErrors = problems.consoleErrors;
      if (problems.failedRequests.length) result.browser!.failedRequests = problems.failedRequests;
    }
    return result;
  }

  return { run };
}

