/**
 * One runner per monitor, by its `type`: HTTP journeys, or a one-step tls, tcp or dns check. Heartbeat
 * monitors have none: their runs come from the pings their jobs send (src/push/).
 */
import { checkType } from '../../config/check-schema.js';
import { monitorId } from '../../config/read.js';
import type { MonitorConfig } from '../../config/schema.js';
import { NO_REDACTION, redactorFrom } from '../../lang/redact.js';
import { internalFailure } from '../classify-error.js';
import { createJourneyRunner, type JourneyRunOptions, type JourneyRunnerOptions } from '../journey.js';
import type { RunResult, StepResult } from '../types.js';
import { runDnsCheck } from './dns-check.js';
import { oneStepRun } from './one-step.js';
import { runTcpCheck } from './tcp-check.js';
import { runTlsCheck } from './tls-check.js';

/** `run` takes a journey's options; the one-step checks use `plannedAt` and `signal` of them. */
export type CheckRunner = { run(opts?: JourneyRunOptions): Promise<RunResult> };

export type CheckRunnerOptions = JourneyRunnerOptions;

/** The runner for a monitor's type; undefined for heartbeat monitors (nothing to run: they are pinged). */
export function createCheckRunner(m: MonitorConfig, opts: CheckRunnerOptions = {}): CheckRunner | undefined {
  const type = checkType(m);
  if (type === 'http') return createJourneyRunner(m, opts);
  if (type === 'heartbeat') return undefined;
  const id = monitorId(m);
  const timeoutMs = m.timeout ?? opts.defaultTimeoutMs ?? 10_000;
  const redact = opts.redact ? redactorFrom(opts.redact) : NO_REDACTION;
  const check = (signal?: AbortSignal): Promise<StepResult> => {
    if (type === 'tcp') return runTcpCheck({ host: m.host!, port: m.port!, send: m.send, expect: m.expect, timeoutMs }, signal);
    if (type === 'tls') return runTlsCheck({ host: m.host!, port: m.port ?? 443, servername: m.servername, starttls: m.starttls, ca: m.ca, timeoutMs }, signal);
    return runDnsCheck({ host: m.host!, record: m.record ?? 'A', server: m.server, expect: m.expect, timeoutMs }, signal);
  };
  return {
    async run(runOpts = {}) {
      const plannedAt = runOpts.plannedAt ?? Date.now();
      let step: StepResult;
      try {
        step = await check(runOpts.signal);
      } catch (err) {
        // A bug of ours: stored as the run's failure, never a lost run.
        const failure = internalFailure(err);
        return { monitorId: id, plannedAt, startedAt: Date.now(), durationMs: 0, ok: false, failure, steps: [] };
      }
      const run = oneStepRun(id, plannedAt, step);
      return redact.value(run);
    },
  };
}
