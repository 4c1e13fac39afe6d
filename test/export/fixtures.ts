import { parseConfigText } from '../../src/configure.js';
import type { LoadedConfig } from '../../src/config/read.js';
import { newSpanId, newTraceId } from '../../src/probes/trace-context.js';
import type { RunResult, StepResult } from '../../src/probes/types.js';

/** A finished, traced run as the journey runner returns it: `steps` steps of ~`ms` each. */
export function fakeRun(opts: { monitor?: string; steps?: number; ms?: number; ok?: boolean; startedAt?: number; traced?: boolean; url?: string } = {}): RunResult {
  const startedAt = opts.startedAt ?? Date.now() - 1000;
  const ms = opts.ms ?? 40;
  const n = opts.steps ?? 3;
  const steps: StepResult[] = Array.from({ length: n }, (_, i) => {
    const failed = opts.ok === false && i === n - 1;
    return {
      index: i,
      name: `step ${i + 1}`,
      method: 'GET',
      url: opts.url ?? `http://127.0.0.1:9/page/${i}?token=abc`,
      startedAt: startedAt + i * ms,
      ok: !failed,
      status: failed ? 500 : 200,
      failure: failed ? { code: 'status', message: 'expected status 2xx or 3xx, got 500' } : undefined,
      timings: { dns: 0, connect: 1, tls: 0, ttfb: ms - 3, download: 2, total: ms },
      bytes: 512,
      redirects: 0,
      headers: {},
      evidence: failed ? [{ what: 'status', expected: '2xx or 3xx', actual: '500', pass: false }] : [{ what: 'status', expected: '2xx or 3xx', actual: '200', pass: true }],
      ...(opts.traced === false ? {} : { spanId: newSpanId() }),
    };
  });
  return {
    monitorId: opts.monitor ?? 'shop',
    plannedAt: startedAt,
    startedAt,
    durationMs: n * ms,
    ok: opts.ok !== false,
    failure: opts.ok === false ? { code: 'status', message: 'expected status 2xx or 3xx, got 500', step: n - 1 } : undefined,
    steps,
    ...(opts.traced === false ? {} : { traceId: newTraceId(), spanId: newSpanId() }),
  };
}

/** A loaded config with the given YAML (no environment variables). */
export const config = (yaml: string, env: NodeJS.ProcessEnv = {}): LoadedConfig => parseConfigText(yaml, 'test.yaml', env);
