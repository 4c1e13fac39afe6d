import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { monitorId, type LoadedConfig } from './config/load.js';
import { createLogger, type Logger } from './log.js';
import { runMonitor } from './probes/run-monitor.js';
import { createScheduler, type Job, type Scheduler } from './scheduler/scheduler.js';
import { createRetention, openStore, startRetentionJob, type Store } from './store/index.js';
import { createApp } from './web/app.js';

export type HalftimeOptions = {
  loaded: LoadedConfig;
  /** Overrides config storage.path. */
  dbPath?: string;
  port?: number;
  host?: string;
  logger?: Logger;
};

export type Halftime = { url: string; store: Store; scheduler: Scheduler; stop(graceMs?: number): Promise<void> };

function scheduleLabel(m: { every?: number; cron?: string }, fallback: number): string {
  return m.cron ? `cron ${m.cron}` : `every ${(m.every ?? fallback) / 1000}s`;
}

/** The composition root: config → store → scheduler (probes → writer) → web. */
export async function startHalftime(opts: HalftimeOptions): Promise<Halftime> {
  const { config, redact } = opts.loaded;
  const log = opts.logger ?? createLogger({ redact });
  const dbPath = opts.dbPath ?? config.storage.path;
  const store = openStore(
    dbPath,
    config.monitors.map((m) => ({ key: monitorId(m), name: m.name, description: m.description, public: m.public, schedule: scheduleLabel(m, config.scheduler.defaultEvery), steps: m.steps.length })),
    { onError: (err) => log.error('writing results failed; will retry', { error: err }) },
  );

  const jobs: Job[] = config.monitors.map((m) => ({
    id: monitorId(m),
    schedule: m.cron ? { cron: m.cron } : { every: m.every ?? config.scheduler.defaultEvery },
    run: async (plannedAt, signal) => {
      const result = await runMonitor(m, { plannedAt, signal, redact, defaultTimeoutMs: config.scheduler.defaultTimeout });
      store.writer.write(result);
      if (!result.ok) log.warn('check failed', { monitor: result.monitorId, step: result.failure?.step, reason: result.failure?.message });
    },
  }));
  const scheduler = createScheduler(jobs, {
    concurrency: config.scheduler.concurrency,
    onError: (id, err) => log.error('run crashed', { monitor: id, error: err }),
    onSkip: (id) => log.warn('previous run still going; skipped this slot', { monitor: id }),
  });

  const { every: retentionEvery, batchSize: retentionBatch, ...policy } = config.retention;
  const retention = startRetentionJob(createRetention(store.db, policy, { batchSize: retentionBatch }), {
    everyMs: retentionEvery,
    onDone: (c) => {
      if (c.runs + c.minute + c.hourly + c.daily + c.dailyUptime > 0) log.info('retention removed old history', c);
    },
    onError: (err) => log.error('retention failed; will retry', { error: err }),
  });

  const app = createApp({ queries: store.queries, history: store.history, runs: store.runs, title: config.server.title, schedulerAlive: () => scheduler.isAlive() });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? config.server.port, hostname: opts.host ?? config.server.host }, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  scheduler.start();
  log.info('halftime is running', { url, monitors: jobs.length, db: dbPath });

  let stopping: Promise<void> | undefined;
  return {
    url,
    store,
    scheduler,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        await scheduler.stop(graceMs);
        await retention.stop();
        await new Promise<void>((r) => {
          server.close(() => r());
          (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
        store.close();
      })();
      return stopping;
    },
  };
}
