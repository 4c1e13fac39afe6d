/**
 * Adapter: one burst iteration = one pass over a monitor's steps with `runHttpStep`, on the
 * simulated user's own long-lived session, carrying that user's cookies from step to step and from
 * iteration to iteration. The first request is timed from the iteration's intended start.
 */
import type { MonitorConfig } from '../config/schema.js';
import { createCookies, type Cookies } from '../probes/cookies.js';
import { runHttpStep, type HttpStepInput } from '../probes/http-step.js';
import type { Session } from '../probes/session.js';
import { hostAllowed } from './safety.js';
import type { Iteration, Poll, Vu } from './types.js';

export type MonitorIterationOptions = {
  defaultTimeoutMs?: number;
  /** Checked before every request, so a URL built at run time cannot leave the allowlist. */
  allowHosts?: readonly string[];
};

/** Cookies of each simulated user, kept as long as its session lives (per hop, redirects included; journeys share it). */
const jars = new WeakMap<Session, Cookies>();

export function jarOf(session: Session): Cookies {
  let jar = jars.get(session);
  if (!jar) jars.set(session, (jar = lazyCookies()));
  return jar;
}

/**
 * A cookie jar that only builds the real one when the first Set-Cookie arrives: most API targets set
 * none, and asking an empty jar for its header still costs about as much as the step's own work.
 */
function lazyCookies(): Cookies {
  let real: Cookies | undefined;
  return {
    header: (url) => (real ? real.header(url) : ''),
    store(url, setCookie) {
      if (!setCookie || (Array.isArray(setCookie) && setCookie.length === 0)) return;
      (real ??= createCookies()).store(url, setCookie);
    },
    get: (url, name) => real?.get(url, name),
    names: (url) => real?.names(url) ?? [],
    clear: () => real?.clear(),
  };
}

function label(step: { name?: string; method: string; url: string }, index: number): string {
  if (step.name) return step.name;
  try {
    return `${step.method} ${new URL(step.url).pathname}`;
  } catch {
    return `step ${index + 1}`;
  }
}

export type PlainStep = Pick<MonitorConfig['steps'][number], 'name' | 'method' | 'url' | 'headers' | 'body' | 'timeout' | 'followRedirects' | 'maxRedirects' | 'maxBodyBytes' | 'expect'>;

function stepInput(step: PlainStep, index: number, defaultTimeoutMs: number): HttpStepInput {
  const headers = { ...step.headers };
  return {
    index,
    name: label(step, index),
    method: step.method,
    url: step.url,
    headers,
    body: step.body,
    timeoutMs: step.timeout ?? defaultTimeoutMs,
    followRedirects: step.followRedirects,
    maxRedirects: step.maxRedirects,
    maxBodyBytes: step.maxBodyBytes,
    expect: step.expect,
  };
}

/** The monitor's steps as one iteration; stops at the first failing step, as a scheduled run does. */
/** `hostAllowed` with a small memo: a burst sends the same few URLs over and over. */
function allowedCheck(allowHosts: readonly string[] | undefined): (url: string) => boolean {
  if (!allowHosts) return () => true;
  const memo = new Map<string, boolean>();
  return (url) => {
    let ok = memo.get(url);
    if (ok === undefined) {
      ok = hostAllowed(url, allowHosts);
      if (memo.size < 1_000) memo.set(url, ok);
    }
    return ok;
  };
}

export function monitorIteration(monitor: { steps: PlainStep[] }, opts: MonitorIterationOptions = {}): Iteration {
  const timeout = opts.defaultTimeoutMs ?? 10_000;
  const allowed = allowedCheck(opts.allowHosts);
  // Plain steps are the same every time: built once, not per request.
  const inputs = monitor.steps.map((step, index) => stepInput(step, index, timeout));
  return async (vu: Vu, signal, intendedStart) => {
    const jar = jarOf(vu.session);
    const steps = [];
    for (const input of inputs) {
      // The hard stop came between steps: the rest is never sent.
      if (signal.aborted) return { ok: false, steps, cutOff: true };
      if (!allowed(input.url)) {
        steps.push({ name: input.name, ms: 0, ok: false, error: `host not in load.allowHosts: ${input.url}` });
        return { ok: false, steps };
      }
      // No per-request signal: combining one with each request's timeout (AbortSignal.any) costs
      // about as much CPU as the request itself. The engine ends in-flight requests at a hard stop
      // by closing the user's session instead; the signal is checked between steps.
      const { result } = await runHttpStep(input, vu.session, {
        intendedStart: input.index === 0 ? intendedStart : undefined,
        lean: true,
        cookies: jar,
      });
      // A request the hard stop ended (by closing the user's connections) measured nothing.
      const cutOff = signal.aborted;
      steps.push({ name: result.name, ms: result.timings.total, ok: result.ok, error: result.failure?.message, cutOff: cutOff && !result.ok ? true : undefined });
      if (!result.ok || cutOff) return { ok: result.ok && !cutOff, steps, cutOff: cutOff || undefined };
    }
    return { ok: true, steps };
  };
}

/** A background GET of `url` on the user's session (with its cookies), named "poll <path>". */
export function pollRequest(url: string, opts: MonitorIterationOptions = {}): Poll {
  const ok = !opts.allowHosts || hostAllowed(url, opts.allowHosts);
  let name = `poll ${url}`;
  try {
    name = `poll ${new URL(url).pathname}`;
  } catch {
    /* validated by config */
  }
  const input = stepInput({ method: 'GET', url, headers: {}, followRedirects: true, maxRedirects: 5, maxBodyBytes: 10 * 1024 * 1024, expect: {} }, 0, opts.defaultTimeoutMs ?? 10_000);
  return async (vu, signal, intendedStart) => {
    if (!ok) return { name, ms: 0, ok: false, error: `host not in load.allowHosts: ${url}` };
    const jar = jarOf(vu.session);
    if (signal.aborted) return { name, ms: 0, ok: false, error: 'burst stopped', cutOff: true };
    const { result } = await runHttpStep(input, vu.session, { intendedStart, cookies: jar, lean: true });
    return { name, ms: result.timings.total, ok: result.ok, error: result.failure?.message, cutOff: !result.ok && signal.aborted ? true : undefined };
  };
}
