/** Scheduler jobs for bursts with a cron schedule (monitors[].load.cron and loads[].cron). */
import type { LoadedConfig } from './config/load.js';
import { runBurstAndStore } from './burst-run.js';
import type { Logger } from './log.js';
import { resolveBurst, scheduledBursts } from './probes/burst/from-config.js';
import type { Job } from './scheduler/scheduler.js';
import type { LoadRuns } from './store/load-runs.js';

export function loadJobs(loaded: LoadedConfig, loadRuns: LoadRuns, log: Logger): Job[] {
  const { config, redact } = loaded;
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
        const resolved = resolveBurst(config, b.name, {}, loaded.source);
        log.info('burst starting', { burst: b.name });
        const { summary, runId } = await runBurstAndStore(resolved, {
          loadRuns,
          trigger: 'schedule',
          signal,
          redact,
          onStoreError: (err) => log.error('storing the burst failed', { burst: b.name, error: err }),
        });
        const failed = summary.thresholds.filter((t) => !t.pass).map((t) => t.threshold);
        const fields = { burst: b.name, run: runId, rps: Math.round(summary.rps), p95: summary.p95 && Math.round(summary.p95), knee: summary.knee.sentence };
        if (summary.stopReason !== 'completed' || failed.length) log.warn('burst finished with problems', { ...fields, stopped: summary.stopMessage, failed: failed.join(', ') });
        else log.info('burst finished', fields);
      },
    });
  }
  return jobs;
}
