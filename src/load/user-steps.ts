/**
 * A simulated user's own setup and teardown steps (the burst's `setup:` and `teardown:`): run once
 * when the user starts (log in once, as Locust's on_start) and once when it stops (log out, within
 * the graceful stop), with the journey runner on that user's connections, cookie jar and asset cache
 * — the ones its iterations use, so a login's session cookie carries into every iteration.
 */
import type { MonitorConfig, StepConfig } from '../config/schema.js';
import { journeyIteration, type JourneyIteration, type JourneyIterationOptions } from './journey-iteration.js';

/**
 * The monitor a user's setup or teardown runs as: the monitor's own vars, data pools, baseUrl, CSRF
 * setting and think times, with these steps. Values extracted in them serve the steps that follow in
 * the same setup (or teardown); the iterations see the cookies they set.
 */
export function userStepsMonitor(m: MonitorConfig, steps: StepConfig[]): MonitorConfig {
  return { ...m, steps, personas: undefined, load: undefined, alerts: undefined };
}

/** One run of a user's setup (or teardown); its requests are named `setup: <step>` (`teardown: <step>`). */
export function userStepsIteration(monitor: MonitorConfig, kind: 'setup' | 'teardown', opts: JourneyIterationOptions = {}): JourneyIteration {
  const pass = journeyIteration(monitor, opts);
  const run: typeof pass = Object.assign(
    async (...args: Parameters<typeof pass>) => {
      const r = await pass(...args);
      return { ...r, steps: r.steps.map((s) => ({ ...s, name: `${kind}: ${s.name}` })) };
    },
    { ready: pass.ready, connectionsPerOrigin: pass.connectionsPerOrigin },
  );
  return run;
}
