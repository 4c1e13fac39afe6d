/** Scheduler jobs for bursts with a cron schedule (monitors[].load.cron and loads[].cron). */
import type { LoadedConfig } from '../config/read.js';
import { BurstBusy, type LoadControl } from './control.js';
import type { Logger } from '../log.js';
import { resolveBurst, scheduledBursts } from './from-config.js';
import type { Job } from '../scheduler/scheduler.js';

/** Scheduled bursts start through `control`, so they share its one-burst-at-a-time rule with the admin pages. */
export function loadJobs(loaded: LoadedConfig, control: LoadControl, log: Logger): Job[] {
  const { config } = loaded;
  const jobs: Job[] = [];
  for (const b of scheduledBursts(config)) {
    // Checked once at start-up, so a refused burst is reported before its first due time.
    try {
      resolveBurst(config, b.name, {}, loaded.source);
    } catch (err) {
      log.error('scheduled burst refused; it will not run', { burst: b.name, reason: (err as Error).message });
      continue;
    }
    jobs.push({
      id: `load:${b.name}`,
      schedule: { cron: b.cron },
      run: async (_plannedAt, signal) => {
        let started;
        try {
          started = await control.start(b.name, {}, { trigger: 'schedule' });
        } catch (err) {
          if (!(err instanceof BurstBusy)) throw err;
          log.warn('scheduled burst skipped: another burst is running', { burst: b.name, running: err.active?.runId ?? err.message });
          return;
        }
        const { runId, done } = started;
        const stop = () => control.stop(runId);
        if (signal.aborted) stop();
        signal.addEventListener('abort', stop, { once: true });
        const summary = await done.finally(() => signal.removeEventListener('abort', stop));
        if (!summary) return; // the worker failed; logged and stored as an error
        const failed = summary.thresholds.filter((t) => !t.pass).map((t) => t.threshold);
        const fields = { burst: b.name, run: runId, rps: Math.round(summary.rps), p95: summary.p95 && Math.round(summary.p95), knee: summary.knee.sentence };
        if (summary.stopReason !== 'completed' || failed.length) log.warn('burst finished with problems', { ...fields, stopped: summary.stopMessage, failed: failed.join(', ') });
        else log.info('burst finished', fields);
      },
    });
  }
  return jobs;
}
