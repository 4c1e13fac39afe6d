import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createAlerting, type Alerting } from './alerting/service.js';
import { monitorId, type LoadedConfig } from './config/read.js';
import { createLoadControl } from './load/control.js';
import { loadJobs } from './load/jobs.js';
import { createLogger, type Logger } from './log.js';
import { createJourneyRunner } from './probes/journey.js';
import { warmUp } from './probes/warm-up.js';
import { createScheduler, type Job, type Scheduler } from './scheduler/scheduler.js';
import { createRetention, openStore, startRetentionJob, type Store } from './store/index.js';
import { createApp } from './web/app.js';
import { loadControlApiRoutes } from './web/load/control-api.js';
import { loadCheckSection, loadControlRoutes } from './web/load/control-routes.js';
import { loadRunRoutes } from './web/load/run-pages.js';
import { ensureAdmin } from './web/auth/bootstrap.js';
import { createEventHub, type EventHub } from './web/events.js';

export type HalftimeOptions = {
  loaded: LoadedConfig;
  /** Overrides config storage.path. */
  dbPath?: string;
  port?: number;
  host?: string;
  logger?: Logger;
  /** Password of the `admin` account (default: HALFTIME_ADMIN_PASSWORD). Unset and no account: /setup from loopback. */
  adminPassword?: string;
  /** How long the public status page render is kept (default 5000 ms; re-rendered at most once a second after runs are written). */
  statusCacheMs?: number;
};

export type Halftime = { url: string; store: Store; scheduler: Scheduler; alerting: Alerting; events: EventHub; stop(graceMs?: number): Promise<void> };

function scheduleLabel(m: { every?: number; cron?: string }, fallback: number): string {
  return m.cron ? `cron ${m.cron}` : `every ${(m.every ?? fallback) / 1000}s`;
}

/** The composition root: config → store → scheduler (probes → writer) → web. */
export async function startHalftime(opts: HalftimeOptions): Promise<Halftime> {
  const { config, redact } = opts.loaded;
  const log = opts.logger ?? createLogger({ redact });
  const dbPath = opts.dbPath ?? config.storage.path;
  const events = createEventHub();
  const store = openStore(
    dbPath,
    config.monitors.map((m) => ({ key: monitorId(m), name: m.name, description: m.description, public: m.public, schedule: scheduleLabel(m, config.scheduler.defaultEvery), steps: m.personas ? undefined : m.steps.length })),
    {
      onError: (err) => log.error('writing results failed; will retry', { error: err }),
      // Live pages (SSE) and the status page cache learn about new runs once they are committed.
      onWritten: (runs) => events.publish({ type: 'runs', monitors: [...new Set(runs.map((r) => r.monitorId))] }),
    },
  );
  try {
    const admin = await ensureAdmin(store.auth, opts.adminPassword ?? process.env.HALFTIME_ADMIN_PASSWORD);
    if (admin === 'setup-needed') log.warn('no admin account yet: open /setup from this machine, or set HALFTIME_ADMIN_PASSWORD');
    else if (admin === 'created' || admin === 'updated') log.info(`admin account ${admin} from HALFTIME_ADMIN_PASSWORD`, { user: 'admin' });
  } catch (err) {
    store.close();
    throw err;
  }

  const alerting = createAlerting({ config, alertStore: store.alerts, latency: store.latency, flush: () => store.writer.flush(), log, redact });

  const jobs: Job[] = config.monitors.map((m) => {
    const runner = createJourneyRunner(m, { redact, defaultTimeoutMs: config.scheduler.defaultTimeout });
    return {
      id: monitorId(m),
      schedule: m.cron ? { cron: m.cron } : { every: m.every ?? config.scheduler.defaultEvery },
      run: async (plannedAt, signal) => {
        const result = await runner.run({ plannedAt, signal });
        store.writer.write(result);
        alerting.onRun(result);
        if (!result.ok) log.warn('check failed', { monitor: result.monitorId, ...(result.persona ? { persona: result.persona } : {}), step: result.failure?.step, reason: result.failure?.message });
      },
    };
  });
  // One burst at a time per server, whether started from /admin or by a cron schedule.
  const loadControl = createLoadControl({ loaded: opts.loaded, loadRuns: store.loadRuns, log, dbPath });
  jobs.push(...loadJobs(opts.loaded, loadControl, log));
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

  const jobIds = new Set(jobs.map((j) => j.id));
  const app = createApp({
    queries: store.queries,
    history: store.history,
    runs: store.runs,
    title: config.server.title,
    schedulerAlive: () => scheduler.isAlive(),
    alerts: alerting,
    statusCacheMs: opts.statusCacheMs ?? 5000,
    operator: {
      users: store.auth,
      admin: store.admin,
      incidents: store.alerts,
      events,
      publicUrl: config.server.publicUrl,
      trustProxy: config.server.trustProxy,
      // Load runs under /admin/load-runs, behind the same login as the rest of /admin.
      loadRuns: store.loadRuns,
      extraRoutes: (app) => {
        loadRunRoutes(app, { loadRuns: store.loadRuns, title: config.server.title, isRunning: (id) => loadControl.active()?.runId === id });
        loadControlRoutes(app, { control: loadControl, loadRuns: store.loadRuns, title: config.server.title });
        loadControlApiRoutes(app, { control: loadControl, loadRuns: store.loadRuns });
      },
      // The "Start load check" form on the page of a monitor with a load: block (or a loads[] entry).
      monitorSections: (key, c) => [loadCheckSection(loadControl, key, c.get('admin').csrfToken)],
      runNow: async (key) => {
        if (!jobIds.has(key)) return undefined;
        const started = await scheduler.runNow(key);
        store.writer.flush();
        return { started };
      },
    },
  });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? config.server.port, hostname: opts.host ?? config.server.host }, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  // halftime's own first-use costs (cold code, parsers, modules) paid before the first measurement.
  log.info('probes warmed up', await warmUp(config.monitors));
  scheduler.start();
  alerting.start();
  log.info('halftime is running', { url, monitors: jobs.length, db: dbPath });

  let stopping: Promise<void> | undefined;
  return {
    url,
    store,
    scheduler,
    alerting,
    events,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        await scheduler.stop(graceMs);
        await loadControl.close();
        await retention.stop();
        await alerting.stop();
        events.close();
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
