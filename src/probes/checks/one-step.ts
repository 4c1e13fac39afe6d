/**
 * The check types other than HTTP journeys (tls, tcp, dns, heartbeat) each return a RunResult with one
 * step, so the writer, rollups, charts, alerting and pages treat them exactly as a one-step journey.
 */
import { classifyError } from '../classify-error.js';
import { zeroTimings, type Evidence, type Failure, type RunResult, type StepResult, type Timings } from '../types.js';

export type CheckStep = {
  name: string;
  /** What kind of exchange, shown where an HTTP step shows its method: TLS, TCP, DNS, PUSH. */
  method: string;
  /** What was checked, shown where an HTTP step shows its URL (never a secret: no tokens). */
  url: string;
  startedAt: number;
  timings?: Partial<Timings>;
  bytes?: number;
  evidence: Evidence[];
  failure?: Failure;
  tls?: StepResult['tls'];
};

export function checkStep(s: CheckStep): StepResult {
  return {
    index: 0,
    name: s.name,
    method: s.method,
    url: s.url,
    startedAt: s.startedAt,
    ok: !s.failure,
    ...(s.failure ? { failure: s.failure } : {}),
    timings: { ...zeroTimings(), ...s.timings },
    bytes: s.bytes ?? 0,
    redirects: 0,
    headers: {},
    evidence: s.evidence,
    ...(s.tls ? { tls: s.tls } : {}),
  };
}

/** A run made of one step; its duration is the step's total. */
export function oneStepRun(monitorId: string, plannedAt: number, step: StepResult, durationMs = step.timings.total): RunResult {
  return {
    monitorId,
    plannedAt,
    startedAt: step.startedAt,
    durationMs,
    ok: step.ok,
    ...(step.failure ? { failure: { ...step.failure, step: 0 } } : {}),
    steps: [step],
  };
}

/**
 * A failure from a socket error or a timeout, in the words HTTP steps use (refused, timeout, dns, tls,
 * reset…); `what` says what was being waited for when the time ran out.
 */
export function socketFailure(err: unknown, ctx: { timedOut: boolean; timeoutMs: number; host: string; what: string; aborted?: boolean }): Failure {
  if (ctx.aborted) return { code: 'aborted', message: 'run was stopped before the check finished' };
  if (ctx.timedOut) return { code: 'timeout', message: `${ctx.what} within ${ctx.timeoutMs} ms` };
  return classifyError(err, { timedOut: false, timeoutMs: ctx.timeoutMs, host: ctx.host });
}

/** `host:port`, with brackets around an IPv6 address. */
export const hostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** Text as evidence shows it: JSON-quoted, at most `max` characters. */
export function shown(text: string, max = 200): string {
  const s = JSON.stringify(text.length > max ? text.slice(0, max) + '…' : text);
  return s;
}
