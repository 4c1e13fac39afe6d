/**
 * Adapter: one burst iteration = one pass of the monitor's journey (personas, tasks, templates,
 * extraction, CSRF, page assets, the journey's own think times) by a simulated user, on that user's
 * own long-lived connections and cookie jar, like a real visitor returning again and again.
 */
import { forEachStep, type MonitorConfig } from '../config/schema.js';
import type { AssetCache } from '../probes/assets.js';
import { createJourneyRunner } from '../probes/journey.js';
import type { Session } from '../probes/session.js';
import type { StepResult } from '../probes/types.js';
import { jarOf } from './monitor-iteration.js';
import type { Iteration, StepTiming } from './types.js';

export type JourneyIterationOptions = {
  /** Step timeout when a step gives none. */
  defaultTimeoutMs?: number;
  /** Makes the burst's random choices (personas, tasks, inputs) repeatable. */
  seed?: number;
};

export type JourneyIteration = Iteration & {
  /** Loads faker and the HTML parser before the burst, so the first users do not wait for them. */
  ready(): Promise<void>;
  /** Connections per origin each user's session needs (6 when pages load assets, else 1). */
  connectionsPerOrigin: number;
};

const STEP_KEYS = ['query', 'form', 'json', 'extract', 'csrf', 'assets', 'think'] as const;

const hasTemplate = (v: unknown): boolean =>
  typeof v === 'string' ? v.includes('{{') : Array.isArray(v) ? v.some(hasTemplate) : !!v && typeof v === 'object' && Object.values(v).some(hasTemplate);

/**
 * Whether a monitor needs the journey runner in a burst: personas, variables, data pools, CSRF,
 * think times, templates, or steps that extract, fetch assets, send query/form/JSON, or clean up.
 * Monitors with only plain steps take the lighter `monitorIteration`.
 */
export function needsJourney(m: MonitorConfig): boolean {
  if (m.personas?.length || m.vars || m.data || m.think || (m.csrf !== undefined && m.csrf !== false)) return true;
  let yes = false;
  forEachStep(m, (s) => (yes ||= s.alwaysRun || STEP_KEYS.some((k) => s[k] !== undefined && s[k] !== false) || hasTemplate(s)));
  return yes;
}

/**
 * What the burst records of one pass: each step's own latency (the document), and each page asset
 * as its own request named `<step> assets`, so requests/s counts what the server saw while the
 * step's percentiles stay the document's. A step whose only problem was its assets counts as a good
 * request (the failed assets are counted as failed requests of their own). Steps skipped after a
 * failure are not there; clean-up steps that ran are. Steps (and assets) the burst's hard stop ended
 * are marked cut off.
 */
export function stepTimings(steps: StepResult[], stoppedAt = Infinity): StepTiming[] {
  const out: StepTiming[] = [];
  for (const s of steps) {
    const ok = s.ok || s.failure?.code === 'assets';
    // Ended by the burst's hard stop (at epoch ms `stoppedAt`): in flight then, so no measurement.
    const cutOff = !ok && stoppedAt !== Infinity && (s.failure?.code === 'aborted' || s.startedAt + s.timings.total >= stoppedAt);
    out.push({ name: s.name, ms: s.timings.total, ok, error: ok ? undefined : s.failure?.message, cutOff: cutOff || undefined });
    for (const a of s.assets?.items ?? []) out.push({ name: `${s.name} assets`, ms: a.ms, ok: !a.error, error: a.error, cutOff: (!!a.error && stoppedAt !== Infinity) || undefined });
  }
  return out;
}

/** Each simulated user's browser cache of page assets, kept as long as its session lives. */
const caches = new WeakMap<Session, AssetCache>();
function assetsOf(session: Session): AssetCache {
  let c = caches.get(session);
  if (!c) caches.set(session, (c = new Map()));
  return c;
}

export function journeyIteration(monitor: MonitorConfig, opts: JourneyIterationOptions = {}): JourneyIteration {
  const runner = createJourneyRunner(monitor, { defaultTimeoutMs: opts.defaultTimeoutMs, seed: opts.seed });
  const iteration: Iteration = async (vu, signal, intendedStart) => {
    let stoppedAt = Infinity;
    const onStop = () => (stoppedAt = Date.now());
    if (signal.aborted) onStop();
    else signal.addEventListener('abort', onStop, { once: true });
    try {
      const run = await runner.runAs({ session: vu.session, cookies: jarOf(vu.session), assets: assetsOf(vu.session) }, { signal, intendedStart });
      if (stoppedAt === Infinity) return { ok: run.ok, steps: stepTimings(run.steps) };
      // The hard stop came during this pass: it is cut off. A step begun after it (say, at the end of a
      // think time) was never sent; one in flight measured nothing; those done before it count.
      const steps = run.steps.filter((s) => s.startedAt < stoppedAt);
      return { ok: false, steps: stepTimings(steps, stoppedAt), cutOff: true };
    } finally {
      signal.removeEventListener('abort', onStop);
    }
  };
  return Object.assign(iteration, { ready: runner.ready, connectionsPerOrigin: runner.connectionsPerOrigin });
}
