import { performance } from 'node:perf_hooks';
import type { MonitorConfig } from '../config/schema.js';
import { monitorId } from '../config/load.js';
import { runHttpStep } from './http-step.js';
import { createSession } from './session.js';
import type { RunResult, StepResult } from './types.js';

export type RunOptions = {
  /** Epoch ms the run was planned for (default: now). */
  plannedAt?: number;
  /** Step timeout when a step gives none. */
  defaultTimeoutMs?: number;
  signal?: AbortSignal;
  redact?: (text: string) => string;
};

export function stepLabel(step: { name?: string; method: string; url: string }, index: number): string {
  if (step.name) return step.name;
  try {
    const u = new URL(step.url);
    return `${step.method} ${u.pathname}`;
  } catch {
    return `step ${index + 1}`;
  }
}

/** Runs a monitor's steps once, as one new visitor: fresh connections, kept alive for the run. */
export async function runMonitor(monitor: MonitorConfig, opts: RunOptions = {}): Promise<RunResult> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const session = createSession();
  const runTimeout = monitor.timeout !== undefined ? AbortSignal.timeout(monitor.timeout) : undefined;
  const signals = [opts.signal, runTimeout].filter((s): s is AbortSignal => !!s);
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  const steps: StepResult[] = [];
  let failure: RunResult['failure'];
  try {
    for (const [index, step] of monitor.steps.entries()) {
      const { result } = await runHttpStep(
        {
          index,
          name: stepLabel(step, index),
          method: step.method,
          url: step.url,
          headers: step.headers,
          body: step.body,
          timeoutMs: step.timeout ?? opts.defaultTimeoutMs ?? 10_000,
          followRedirects: step.followRedirects,
          maxRedirects: step.maxRedirects,
          maxBodyBytes: step.maxBodyBytes,
          expect: step.expect,
        },
        session,
        { signal, redact: opts.redact },
      );
      if (result.failure?.code === 'aborted' && runTimeout?.aborted) {
        result.failure = { code: 'timeout', message: `the whole run exceeded its ${monitor.timeout} ms timeout` };
      }
      steps.push(result);
      if (!result.ok) {
        failure = { ...result.failure!, step: index };
        break;
      }
    }
  } finally {
    await session.close();
  }
  return {
    monitorId: monitorId(monitor),
    plannedAt: opts.plannedAt ?? startedAt,
    startedAt,
    durationMs: performance.now() - t0,
    ok: !failure,
    failure,
    steps,
  };
}
