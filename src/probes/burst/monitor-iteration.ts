/**
 * Adapter: one burst iteration = one pass over a monitor's steps with `runHttpStep`, on the
 * simulated user's own long-lived session, carrying that user's cookies from step to step and from
 * iteration to iteration. The first request is timed from the iteration's intended start.
 */
import type { MonitorConfig } from '../../config/schema.js';
import { runHttpStep, type HttpStepInput } from '../http-step.js';
import type { Session } from '../session.js';
import { hostAllowed } from './safety.js';
import type { Iteration, Poll, Vu } from './types.js';

export type MonitorIterationOptions = {
  defaultTimeoutMs?: number;
  /** Checked before every request, so a URL built at run time cannot leave the allowlist. */
  allowHosts?: readonly string[];
};

/** Cookies of each simulated user (name → value), kept as long as its session lives. */
const jars = new WeakMap<Session, Map<string, string>>();

function jarOf(session: Session): Map<string, string> {
  let jar = jars.get(session);
  if (!jar) jars.set(session, (jar = new Map()));
  return jar;
}

/** Splits a `set-cookie` header whose values were joined with ", " (dates contain commas too). */
export function splitSetCookie(joined: string): string[] {
  return joined.split(/,\s*(?=[^;,=\s]+=)/).filter((s) => s.trim().length > 0);
}

function storeCookies(jar: Map<string, string>, setCookie: string | undefined) {
  if (!setCookie) return;
  for (const line of splitSetCookie(setCookie)) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attrs.some((a) => {
      const [k, v = ''] = a.split('=');
      const key = k.trim().toLowerCase();
      return (key === 'max-age' && Number(v) <= 0) || (key === 'expires' && Date.parse(v.trim()) < Date.now());
    });
    if (expired) jar.delete(name);
    else jar.set(name, value);
  }
}

function label(step: { name?: string; method: string; url: string }, index: number): string {
  if (step.name) return step.name;
  try {
    return `${step.method} ${new URL(step.url).pathname}`;
  } catch {
    return `step ${index + 1}`;
  }
}

function stepInput(step: MonitorConfig['steps'][number], index: number, defaultTimeoutMs: number, cookie: string | undefined): HttpStepInput {
  const headers = { ...step.headers };
  if (cookie) headers.cookie = headers.cookie ? `${headers.cookie}; ${cookie}` : cookie;
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

const cookieHeader = (jar: Map<string, string>) => (jar.size ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : undefined);

/** The monitor's steps as one iteration; stops at the first failing step, as a scheduled run does. */
export function monitorIteration(monitor: Pick<MonitorConfig, 'steps'>, opts: MonitorIterationOptions = {}): Iteration {
  const timeout = opts.defaultTimeoutMs ?? 10_000;
  return async (vu: Vu, signal, intendedStart) => {
    const jar = jarOf(vu.session);
    const steps = [];
    for (const [index, step] of monitor.steps.entries()) {
      if (signal.aborted) {
        steps.push({ name: label(step, index), ms: 0, ok: false, error: 'burst stopped' });
        return { ok: false, steps };
      }
      if (opts.allowHosts && !hostAllowed(step.url, opts.allowHosts)) {
        steps.push({ name: label(step, index), ms: 0, ok: false, error: `host not in load.allowHosts: ${step.url}` });
        return { ok: false, steps };
      }
      // No per-request signal: combining one with each request's timeout (AbortSignal.any) costs
      // about as much CPU as the request itself. The engine ends in-flight requests at a hard stop
      // by closing the user's session instead; the signal is checked between steps.
      const { result } = await runHttpStep(stepInput(step, index, timeout, cookieHeader(jar)), vu.session, {
        intendedStart: index === 0 ? intendedStart : undefined,
      });
      storeCookies(jar, result.headers['set-cookie']);
      steps.push({ name: result.name, ms: result.timings.total, ok: result.ok, error: result.failure?.message });
      if (!result.ok) return { ok: false, steps };
    }
    return { ok: true, steps };
  };
}

/** A background GET of `url` on the user's session (with its cookies), named "poll <path>". */
export function pollRequest(url: string, opts: MonitorIterationOptions = {}): Poll {
  let name = `poll ${url}`;
  try {
    name = `poll ${new URL(url).pathname}`;
  } catch {
    /* validated by config */
  }
  return async (vu, signal, intendedStart) => {
    if (opts.allowHosts && !hostAllowed(url, opts.allowHosts)) return { name, ms: 0, ok: false, error: `host not in load.allowHosts: ${url}` };
    const jar = jarOf(vu.session);
    if (signal.aborted) return { name, ms: 0, ok: false, error: 'burst stopped' };
    const { result } = await runHttpStep(
      stepInput({ method: 'GET', url, headers: {}, followRedirects: true, maxRedirects: 5, maxBodyBytes: 10 * 1024 * 1024, expect: {} }, 0, opts.defaultTimeoutMs ?? 10_000, cookieHeader(jar)),
      vu.session,
      { intendedStart },
    );
    storeCookies(jar, result.headers['set-cookie']);
    return { name, ms: result.timings.total, ok: result.ok, error: result.failure?.message };
  };
}
