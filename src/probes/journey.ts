import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Faker } from '@faker-js/faker';
import type { CheerioAPI } from 'cheerio';
import { monitorId } from '../config/read.js';
import { forEachStep, type MonitorConfig, type StepConfig } from '../config/schema.js';
import { assetSettings, fetchAssets, type AssetCache } from './assets.js';
import { createCookies, type Cookies } from './cookies.js';
import type { CsrfPage } from './csrf.js';
import { createDataPools } from './data-pools.js';
import { extractAll } from './extract.js';
import { createHelpers, loadFaker, usesFaker } from './helpers.js';
import { loadHtmlParser, looksLikeHtml, parseHtml } from './html.js';
import { internalFailure } from './classify-error.js';
import { runHttpStep } from './http-step.js';
import { planJourney } from './persona.js';
import { createRng, randomSeed } from './random.js';
import { journeyStepLabel, renderRequest } from './step-request.js';
import { createSession, type Session } from './session.js';
import { newSpanId, newTraceId, traceparent, type TraceSettings } from './trace-context.js';
import { stringify, type TemplateContext } from '../lang/template.js';
import { createRedactor, NO_REDACTION, redactorFrom, type Redactor } from '../lang/redact.js';
import { zeroTimings, type RunResult, type StepResult } from './types.js';

export type JourneyRunOptions = {
  /** Epoch ms the run was planned for (default: now). */
  plannedAt?: number;
  signal?: AbortSignal;
  /** Skip think time (one-off runs from the command line). */
  noThink?: boolean;
  /** Makes this run's random choices repeatable. */
  seed?: number;
  /**
   * performance.now() time the run was meant to start (a burst's timetable): the first request's
   * latency, and the run's duration, count from it.
   */
  intendedStart?: number;
  /** Send `traceparent` on this pass's requests (default: on for `run`, off for `runAs`, a burst's passes). */
  trace?: boolean;
};

export type JourneyRunnerOptions = {
  /** Step timeout when a step gives none. */
  defaultTimeoutMs?: number;
  /** Hides config secrets (`LoadedConfig.redact`); applied to the whole finished result. */
  redact?: (text: string) => string;
  /** Seed for the sequence of runs (each run gets its own seed from it). */
  seed?: number;
  /** W3C trace context on the requests of `run` (default on, `tracestate` none); the monitor's `trace: false` turns it off. */
  trace?: TraceSettings;
  /** The node's location: sent as `x-halftime-location` and kept on every run. */
  location?: string;
};

/**
 * Who runs a pass: the connections and cookies it uses (and leaves open for the next pass), and
 * the page assets its browser has cached (fresh ones are not fetched again; default: none).
 */
export type Visitor = { session: Session; cookies: Cookies; assets?: AssetCache };

export type JourneyRunner = {
  /** One run as a new visitor: fresh connections (closed afterwards), fresh cookies unless `session: keep`. */
  run(opts?: JourneyRunOptions): Promise<RunResult>;
  /** One pass as this visitor, on its connections and cookies, which stay open for its next pass. */
  runAs(visitor: Visitor, opts?: JourneyRunOptions): Promise<RunResult>;
  /** Connections per origin a visitor's session needs: 6 when pages load their assets (as a browser), else 1. */
  connectionsPerOrigin: number;
  /** Loads what the journey needs on first use (faker, the HTML parser); runs call it themselves. */
  ready(): Promise<void>;
};

/** Every template string in a monitor (to see whether it needs faker). */
function allTemplates(m: MonitorConfig): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  forEachStep(m, (s) => walk(s));
  return out;
}

function fetchesAssets(m: MonitorConfig): boolean {
  let yes = false;
  forEachStep(m, (s) => (yes ||= !!s.assets));
  return yes;
}

/** True when the monitor reads HTML (forms, CSRF tokens, CSS extraction, page assets): it needs the HTML parser. */
export function needsHtml(m: MonitorConfig): boolean {
  let yes = m.csrf !== undefined && m.csrf !== false;
  forEachStep(m, (s) => {
    if (s.assets || (s.csrf !== undefined && s.csrf !== false) || Object.values(s.extract ?? {}).some((e) => e.css !== undefined)) yes = true;
  });
  return yes;
}

const safeDecode = (s: string) => {
  if (!s.includes('%')) return s;
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
};

/** An extracted value as shown: secrets hidden first, then cut to 200 characters. */
const shownValue = (v: unknown, redact: (s: string) => string) => {
  const s = redact(stringify(v));
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
};

/**
 * A monitor's journey runner. It keeps what lasts between runs (data pool positions, the seed
 * sequence, cookies when `session: keep`); each `run` is a new visitor on fresh connections, each
 * `runAs` a pass by a visitor the caller keeps (a burst's simulated user, returning again and again).
 */
export function createJourneyRunner(monitor: MonitorConfig, opts: JourneyRunnerOptions = {}): JourneyRunner {
  const root = createRng(opts.seed ?? randomSeed());
  const pools = createDataPools(monitor.data ?? {});
  const keptCookies = monitor.session === 'keep' ? createCookies() : undefined;
  const wantsFaker = usesFaker(allTemplates(monitor));
  const wantsHtml = needsHtml(monitor);
  // Steps go one at a time, so one connection per origin serves them exactly as six would; only
  // page assets load in parallel (six per origin, as a browser does) and need a pool.
  const connectionsPerOrigin = fetchesAssets(monitor) ? 6 : 1;
  const baseRedact = opts.redact ?? NO_REDACTION;
  const id = monitorId(monitor);
  const tracing = monitor.trace === false ? false : (opts.trace ?? {});
  let faker: Faker | undefined;

  const ready = async () => {
    if (wantsFaker) faker ??= await loadFaker(monitor.locale ?? 'en');
    if (wantsHtml) await loadHtmlParser();
  };

  return {
    connectionsPerOrigin,
    ready,
    async run(runOpts = {}) {
      const session = createSession({ connectionsPerOrigin, ca: monitor.ca });
      try {
        return await guarded({ session, cookies: keptCookies ?? createCookies() }, { trace: true, ...runOpts });
      } finally {
        await session.close();
      }
    },
    runAs: (visitor, runOpts = {}) => guarded(visitor, runOpts),
  };

  /** A run always comes back as a result: whatever throws on the way is stored as its failure. */
  async function guarded(visitor: Visitor, runOpts: JourneyRunOptions): Promise<RunResult> {
    const startedAt = Date.now();
    const t0 = runOpts.intendedStart ?? performance.now();
    try {
      return await pass(visitor, runOpts);
    } catch (err) {
      const failure = internalFailure(err);
      return { monitorId: id, plannedAt: runOpts.plannedAt ?? startedAt, startedAt, durationMs: performance.now() - t0, ok: false, failure: { ...failure, message: baseRedact(failure.message) }, steps: [] };
    }
  }

  function stepCrashed(step: StepConfig, index: number, err: unknown): StepResult {
    const failure = internalFailure(err);
    return {
      index, name: journeyStepLabel(step, index), method: step.method, url: baseRedact(step.url), startedAt: Date.now(), ok: false,
      failure: { ...failure, message: baseRedact(failure.message) }, timings: zeroTimings(), bytes: 0, redirects: 0, headers: {}, evidence: [],
    };
  }

  async function pass({ session, cookies, assets: visitorAssets }: Visitor, runOpts: JourneyRunOptions): Promise<RunResult> {
    // Loading faker or the HTML parser (first run only) is halftime's cost, not the target's: done
    // before the run's clock starts.
    await ready();
    const startedAt = Date.now();
    const t0 = runOpts.intendedStart ?? performance.now();
    const seed = runOpts.seed ?? root.int(0, 2 ** 31 - 1);
    const rng = createRng(seed);
    const call = createHelpers(rng, { faker, seeded: true });
    const poolView = pools.forRun(rng);
    const vars: Record<string, unknown> = { ...monitor.vars, ...(monitor.baseUrl ? { baseUrl: monitor.baseUrl } : {}) };
    const ctx: TemplateContext = { lookup: (name) => (name in vars ? vars[name] : poolView(name)), call };
    // Values extracted as secret are hidden from this run's result like config secrets are.
    const secrets = new Map<string, string>();
    let extractedSecrets: Redactor = NO_REDACTION;
    const redact = redactorFrom((s) => baseRedact(extractedSecrets(s)));

    // This run's trace: the steps' span ids are what their requests carry in `traceparent`.
    const trace = tracing && runOpts.trace ? { traceId: newTraceId(), spanId: newSpanId(), tracestate: tracing.tracestate, stepSpans: [] as string[] } : undefined;
    const plan = planJourney(monitor, rng);
    const runTimeout = monitor.timeout !== undefined ? AbortSignal.timeout(monitor.timeout) : undefined;
    const outer = runOpts.signal;
    const journeySignal = runTimeout ? (outer ? AbortSignal.any([outer, runTimeout]) : runTimeout) : outer;
    const steps: StepResult[] = [];
    let failure: RunResult['failure'];
    let lastPage: CsrfPage | undefined;
    let thinkMs = 0;
    const assetCache: AssetCache = visitorAssets ?? new Map();
    for (const [i, planned] of plan.steps.entries()) {
      const { step, task } = planned;
      if (failure && !step.alwaysRun) continue;
      if (outer?.aborted) break;
      const prev = i > 0 ? plan.steps[i - 1] : undefined;
      const think = prev ? (prev.step.think ?? prev.think) : undefined;
      if (think && !failure && !runOpts.noThink && think.max > 0) {
        const ms = think.min + rng.next() * (think.max - think.min);
        const tThink = performance.now();
        await sleep(ms, undefined, { signal: journeySignal }).catch(() => undefined);
        thinkMs += performance.now() - tThink;
      }
      const result = await runStep(step, i, { task, afterFailure: !!failure }).catch((err: unknown) => stepCrashed(step, i, err));
      steps.push(result);
      if (!result.ok && !failure) failure = { ...result.failure!, step: result.index };
    }
    const durationMs = performance.now() - t0 - thinkMs;
    // One pass over the finished result hides every secret in every string it holds (URLs,
    // headers, messages, evidence, asset URLs), before anything stores, cuts or shows it.
    const out: RunResult = redact.value({
      monitorId: id,
      plannedAt: runOpts.plannedAt ?? startedAt,
      startedAt,
      durationMs,
      ok: !failure,
      failure,
      steps,
      persona: plan.persona,
      tasks: plan.persona ? plan.tasks : undefined,
      seed,
    } satisfies RunResult);
    // Ids go on after redaction: hex digits are text a short secret could match, and they must stay whole.
    if (trace) {
      out.traceId = trace.traceId;
      out.spanId = trace.spanId;
      out.steps.forEach((s, i) => (s.spanId = trace.stepSpans[i]));
    }
    return out;

    async function runStep(step: StepConfig, index: number, meta: { task?: string; afterFailure: boolean }): Promise<StepResult> {
      const name = journeyStepLabel(step, index);
      const timeoutMs = step.timeout ?? opts.defaultTimeoutMs ?? 10_000;
      const rendered = renderRequest({ step, ctx, baseUrl: monitor.baseUrl, csrfDefault: monitor.csrf, lastPage, cookies });
      const spanId = trace ? newSpanId() : undefined;
      if (trace) trace.stepSpans.push(spanId!);
      if ('failure' in rendered) {
        return {
          index, name, method: step.method, url: step.url, startedAt: Date.now(), ok: false,
          failure: rendered.failure,
          timings: zeroTimings(), bytes: 0, redirects: 0, headers: {}, evidence: [], task: meta.task, afterFailure: meta.afterFailure || undefined,
        };
      }
      const req = rendered.request;
      // The step's requests (redirect hops and page assets too) carry its span as their parent; a
      // traceparent the step sets itself is left alone.
      // Where this check runs from, for targets (and tests) that answer per location.
      if (opts.location && req.headers['x-halftime-location'] === undefined) req.headers['x-halftime-location'] = opts.location;
      let traceHeaders: Record<string, string> | undefined;
      if (trace && req.headers.traceparent === undefined) {
        traceHeaders = { traceparent: traceparent(trace.traceId, spanId!) };
        if (trace.tracestate && req.headers.tracestate === undefined) traceHeaders.tracestate = trace.tracestate;
        Object.assign(req.headers, traceHeaders);
      }
      // Clean-up steps still run after the journey's own timeout; only a shutdown stops them.
      const signal = meta.afterFailure && step.alwaysRun ? outer : journeySignal;
      const { result, body, headers, finalUrl } = await runHttpStep(
        { index, name, method: req.method, url: req.url, headers: req.headers, body: req.body, timeoutMs, followRedirects: step.followRedirects, maxRedirects: step.maxRedirects, maxBodyBytes: step.maxBodyBytes, expect: req.expect },
        session,
        // The body is held whole only when something reads it: extraction, or HTML (forms, CSRF, assets).
        { signal, redact, cookies, intendedStart: index === 0 ? runOpts.intendedStart : undefined, keepBody: wantsHtml || step.extract !== undefined },
      );
      // Shown decoded, so a secret inside the URL is recognised however the URL encoder wrote it.
      result.url = safeDecode(req.url);
      result.task = meta.task;
      if (meta.afterFailure) result.afterFailure = true;
      result.evidence.unshift(...req.evidence);
      if (result.failure && result.failure.code !== 'timeout' && runTimeout?.aborted && !outer?.aborted && signal === journeySignal) {
        result.failure = { code: 'timeout', message: `the whole run exceeded its ${monitor.timeout} ms timeout` };
      }
      let $: CheerioAPI | undefined;
      const html = () => ($ ??= parseHtml(body));
      const isHtml = result.status !== undefined && looksLikeHtml(headers['content-type'], body);
      if (isHtml) lastPage = { url: finalUrl, html };
      const fail = (code: 'extract' | 'assets', message: string) => {
        result.ok = false;
        result.failure ??= { code, message };
      };
      if (result.ok && step.extract) {
        const ex = extractAll(step.extract, { status: result.status!, body, headers, url: finalUrl, cookies, html }, rng);
        for (const n of ex.secret) if (ex.values[n] !== undefined) secrets.set(n, stringify(ex.values[n]));
        if (ex.secret.length) extractedSecrets = createRedactor(secrets, { label: (n) => `[redacted:${n}]`, minLength: 1 });
        Object.assign(vars, ex.values);
        result.extracted = Object.fromEntries(Object.entries(ex.values).map(([k, v]) => [k, ex.secret.includes(k) ? '[redacted]' : shownValue(v, redact)]));
        if (ex.failures.length) fail('extract', ex.failures.join('; '));
      }
      const assets = assetSettings(step.assets);
      if (result.ok && assets && isHtml) {
        result.assets = await fetchAssets(html(), finalUrl, assets, { session, cookies, signal, timeoutMs, cache: assetCache, headers: traceHeaders });
        const bad = result.assets.items.filter((a) => a.error);
        result.evidence.push({ what: 'assets', expected: 'all load', actual: bad.length ? `${bad.length} of ${result.assets.count} failed (${bad.slice(0, 3).map((a) => `${a.url}: ${a.error}`).join(', ')})` : `${result.assets.count} loaded`, pass: bad.length === 0 });
        if (bad.length) fail('assets', `${bad.length} of ${result.assets.count} assets failed: ${bad.slice(0, 3).map((a) => `${a.url} (${a.error})`).join(', ')}`);
      }
      return result;
    }
  }
}
