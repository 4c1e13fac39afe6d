import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { createAlerting, soonestCertificate, type Alerting } from './alerting/service.js';
import { startSelfAlert, type SelfAlert } from './alerting/self-alert.js';
import { alertRuleReadings } from './export/alert-readings.js';
import { createObserver, type Observer } from './export/observe.js';
import { negotiate } from './export/prom-registry.js';
import { checkType } from './config/check-schema.js';
import { monitorId, type LoadedConfig } from './config/read.js';
import { watchOutbox, watchScheduler, writesFailingReason } from './health/checks.js';
import { startHeartbeat, type Heartbeat } from './health/heartbeat.js';
import { createHealth, type Health } from './health/registry.js';
import { createLoadControl } from './load/control.js';
import { chromiumPath, chromiumProblem } from './probes/browser/chromium.js';
import { loadJobs } from './load/jobs.js';
import { createLogger, type Logger } from './log.js';
import { startMeasuring } from './measure/host.js';
import { switchableMeasuring, type SwitchableMeasuring } from './measure/switchable.js';
import { checkClock, joinCluster, type ClusterNode } from './cluster/node.js';
import { VERSION } from './export/version.js';
import { createLoopLag } from './measure/loop-lag.js';
import { createHeartbeats } from './push/heartbeats.js';
import type { RunResult } from './probes/types.js';
import { createScheduler } from './scheduler/scheduler.js';
import { describeHolder } from './store/file-lock.js';
import { describeDatabase, isPostgresUrl, openStore, startRetentionJob, type RetentionJob, type Store } from './store/index.js';
import { DatabaseCorrupt, describeIntegrity, isCorruptionError, quickCheck, type IntegrityResult } from './store/integrity.js';
import { acquireServeLock } from './store/serve-lock.js';
import { createApp } from './web/app.js';
import { loadControlApiRoutes } from './web/load/control-api.js';
import { loadCheckSection, loadControlRoutes } from './web/load/control-routes.js';
import { loadRunRoutes } from './web/load/run-pages.js';
import { ensureAdmin } from './web/auth/bootstrap.js';
import { createEventHub, type EventHub } from './web/events.js';
import { pushAdminRoutes, pushRoutes, PushSection } from './web/push-routes.js';

export type HalftimeOptions = {
  loaded: LoadedConfig;
  /** The database: a SQLite path or a PostgreSQL URL (default: HALFTIME_DATABASE_URL, storage.url, storage.path). */
  dbPath?: string;
  /** This node's location (default: HALFTIME_LOCATION, node.location). */
  location?: string;
  /** `web`: pages only, no checks or duties (default: HALFTIME_ROLE, node.role). */
  role?: 'all' | 'web';
  port?: number;
  host?: string;
  logger?: Logger;
  /** Password of the `admin` account (default: HALFTIME_ADMIN_PASSWORD). Unset and no account: /setup from loopback. */
  adminPassword?: string;
  /** How long the public status page render is kept (default 5000 ms; re-rendered at most once a second after runs are written). */
  statusCacheMs?: number;
  /** The health registry (default: a new one). */
  health?: Health;
  /** Integrity check: time cap (default 60 s) and how often it runs after the one at start (default daily). */
  integrity?: { timeoutMs?: number; everyMs?: number };
  /** How often health is looked at for the log, the self-alert and the heartbeat (default 5 s). */
  healthEveryMs?: number;
  /** A check waiting or starting later than this counts as the scheduler falling behind (default 60 s). */
  schedulerBehindMs?: number;
};

export type Halftime = {
  url: string;
  store: Store;
  /** The measuring thread (scheduler and probes): run now, stats, lag. */
  scheduler: SwitchableMeasuring;
  /** With several nodes (PostgreSQL): this node in the cluster (its id, the duties it holds). */
  node?: ClusterNode;
  alerting: Alerting;
  events: EventHub;
  health: Health;
  /** Prometheus and OTLP exporters, fed with every stored run. */
  observe: Observer;
  /** Runs the integrity check now (it also runs at start and daily); problems go to health and the log. */
  checkIntegrity(): Promise<IntegrityResult>;
  /** A clean stop within `graceMs` (default server.shutdownGrace): checks still running at the end are stored as aborted. */
  stop(graceMs?: number): Promise<void>;
};

/** A start that failed for a reason the operator must act on; `exitCode` for the command line. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'StartError';
  }
}

function scheduleLabel(m: { every?: number; cron?: string; type?: string; grace?: number }, fallback: number): string {
  if (m.type === 'heartbeat') return `pinged every ${(m.every ?? fallback) / 1000}s (+${(m.grace ?? HEARTBEAT_GRACE) / 1000}s grace)`;
  return m.cron ? `cron ${m.cron}` : `every ${(m.every ?? fallback) / 1000}s`;
}

/** How late a heartbeat monitor's ping may be when its config gives no grace. */
const HEARTBEAT_GRACE = 60_000;

/** Waits for `p`, but no longer than `ms`. */
async function atMost(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}

/** The composition root: config → store → scheduler (probes → writer) → web. */
export async function startHalftime(opts: HalftimeOptions): Promise<Halftime> {
  const { config, redact } = opts.loaded;
  const log = opts.logger ?? createLogger({ redact });
  const dbPath = opts.dbPath ?? process.env.HALFTIME_DATABASE_URL ?? config.storage.url ?? config.storage.path;
  // PostgreSQL: several nodes may share it (leases, locations); SQLite: one process per file.
  const shared = isPostgresUrl(dbPath);
  const location = opts.location ?? process.env.HALFTIME_LOCATION ?? config.node.location;
  const role = opts.role ?? (process.env.HALFTIME_ROLE as 'all' | 'web' | undefined) ?? config.node.role;
  if (!/^([a-z0-9][a-z0-9_-]{0,31})?$/.test(location)) throw new StartError(`not a location name: "${location}" (lowercase letters, digits, - or _, at most 32)`, 2);
  if (role !== 'all' && role !== 'web') throw new StartError(`not a role: "${role}" (all or web)`, 2);
  const health = opts.health ?? createHealth({ log });
  const events = createEventHub();
  // Browser monitors need Chromium: said at start, on /healthz and in each of their runs, not found at 3 a.m.
  const browserProblem = config.monitors.some((m) => m.browser) ? chromiumProblem(chromiumPath(config.browser.chromium)) : undefined;
  if (browserProblem) {
    log.error('browser monitors cannot run', { reason: browserProblem });
    health.fail('browser', browserProblem);
  }
  // Prometheus metrics, OTLP traces and metrics: fed by the writer once runs are stored, off the probes' timing path.
  const observe = createObserver({ loaded: opts.loaded, log, location: location || undefined });
  // What has been started so far, undone in reverse when a later step fails.
  const undo: (() => unknown)[] = [];
  const unwind = async () => {
    for (const f of undo.reverse()) {
      try {
        await f();
      } catch (err) {
        log.error('cleaning up after a failed start failed', { error: err });
      }
    }
  };
  let lastIntegrity: { at: number; result: IntegrityResult } | null = null;
  const integrityFound = (result: IntegrityResult) => {
    lastIntegrity = { at: Date.now(), result };
    if (result.status === 'corrupt') health.fail('database', `database damaged: ${describeIntegrity(result)}`);
    else if (result.status === 'ok') health.ok('database');
    health.warn('integrity-check', result.status === 'timeout' || result.status === 'error' ? describeIntegrity(result) : null);
    if (result.status === 'ok') log.info('integrity check passed', { ms: result.ms });
  };

  try {
    // SQLite: one server per database file, taken before the file is opened; damaged pages are
    // refused before anything reads or writes them (see DatabaseCorrupt).
    const lock = shared
      ? undefined
      : acquireServeLock(dbPath, {
          onLost: (h) => health.fail('database', `lost the lock on ${resolve(dbPath)}: ${h ? `now held by ${describeHolder(h)}` : 'the lock file was removed'}; another server may write this database`),
        });
    if (lock) undo.push(() => lock.release());
    if (!shared) {
      const first = await quickCheck(dbPath, { timeoutMs: opts.integrity?.timeoutMs });
      if (first.status === 'corrupt') throw new DatabaseCorrupt(resolve(dbPath), first.problems);
      integrityFound(first);
    }

    let store: Store;
    try {
      store = await openStore(
        dbPath,
        config.monitors.map((m) => ({ key: monitorId(m), name: m.name, description: m.description, public: m.public, group: m.group, schedule: scheduleLabel(m, config.scheduler.defaultEvery), steps: checkType(m) !== 'http' ? 1 : m.personas ? undefined : m.steps.length })),
        {
          onError: (err, state) => {
            // Without a state it was a listener of written runs that failed, not the write.
            if (!state) return log.error('after writing results: a listener failed', { error: err });
            observe.writeFailed();
            health.fail('writes', writesFailingReason(state), state.failingSince ?? undefined);
            if (isCorruptionError(err)) health.fail('database', `the database reports damage: ${(err as Error).message}`);
          },
          onRecovered: (s) => {
            health.ok('writes');
            log.info('writes work again; results kept in memory meanwhile are written', { failedSince: new Date(s.failedSince).toISOString(), failures: s.failures });
          },
          // Live pages (SSE) and the status page cache learn about new runs once they are committed.
          onWritten: (runs) => {
            events.publish({ type: 'runs', monitors: [...new Set(runs.map((r) => r.monitorId))] });
            observe.runs(runs);
          },
        },
      );
    } catch (err) {
      if (!shared && isCorruptionError(err)) throw new DatabaseCorrupt(resolve(dbPath), [(err as Error).message]);
      if (shared) throw new StartError(`cannot use the PostgreSQL database at ${describeDatabase(dbPath)}: ${redact((err as Error).message || String((err as NodeJS.ErrnoException).code))}`);
      throw err;
    }
    undo.push(() => store.close());
    if (shared) await checkClock(store.cluster, config.node.maxClockSkew).catch((err) => Promise.reject(new StartError((err as Error).message)));

    const admin = await ensureAdmin(store.auth, opts.adminPassword ?? process.env.HALFTIME_ADMIN_PASSWORD);
    if (admin === 'setup-needed') log.warn('no admin account yet: open /setup from this machine, or set HALFTIME_ADMIN_PASSWORD');
    else if (admin === 'created' || admin === 'updated') log.info(`admin account ${admin} from HALFTIME_ADMIN_PASSWORD`, { user: 'admin' });

    // Several nodes: only the outbox lease holder sends (fenced right before each delivery).
    let node: ClusterNode | undefined;
    const alerting = await createAlerting({
      config,
      alertStore: store.alerts,
      latency: store.latency,
      flush: () => store.writer.flush(),
      log,
      redact,
      health,
      shared,
      fence: shared ? () => node?.fenceOutbox() ?? Promise.resolve(false) : undefined,
    });
    undo.push(() => alerting.stop(1_000));

    const judging = new Map<string, Promise<unknown>>();
    /** Every run, from the probes or from a heartbeat: written, then judged. */
    // Each monitor's soonest-expiring certificate, as its last run saw it (for /metrics).
    const certificates = new Map<string, number>();
    const handleRun = (result: RunResult, aborted = false) => {
      store.writer.write(result);
      const cert = aborted ? undefined : soonestCertificate(result);
      if (cert) certificates.set(result.monitorId, cert.validTo);
      // A run cut off by shutdown says nothing about the target: stored as aborted, not judged.
      if (aborted) return log.info('check cut off by shutdown; stored as aborted', { monitor: result.monitorId });
      // Judged in the background (it may read the store); "run now" waits for it.
      const judged = alerting.onRun(result).finally(() => judging.get(result.monitorId) === judged && judging.delete(result.monitorId));
      judging.set(result.monitorId, judged);
      if (!result.ok) log.warn('check failed', { monitor: result.monitorId, ...(result.persona ? { persona: result.persona } : {}), step: result.failure?.step, reason: result.failure?.message });
    };
    // Scheduler and probes run in their own thread; every finished run comes back here to be written
    // and judged, so nothing on this thread (pages, API, writer, alerting) can delay a measurement.
    // This location's monitors: those that name it (or every location), none on a web node.
    const here = config.monitors.filter((m) => {
      const where = m.locations ?? config.locations;
      return role === 'all' && (!where || !location || where.includes(location));
    });
    const measure = switchableMeasuring(() => startMeasuring({
      loaded: opts.loaded,
      log,
      trace: observe.trace,
      location,
      monitors: here.map((m) => monitorId(m)),
      onRun(result, { aborted }) {
        observe.lateness(result.startedAt - result.plannedAt);
        handleRun(result, aborted);
      },
    }), { graceMs: config.server.shutdownGrace });
    // Heartbeat monitors: their jobs' pings, and the deadlines they miss, become runs here (see src/push/).
    const heartbeats = createHeartbeats({
      monitors: config.monitors.filter((m) => m.type === 'heartbeat').map((m) => ({ key: monitorId(m), every: m.every!, grace: m.grace ?? HEARTBEAT_GRACE })),
      lastPings: await store.pushTokens.lastPings(),
      onRun: (run) => handleRun(run),
      // Several nodes: a ping may arrive at any node; the one judging deadlines (housekeeping) reads the newest first.
      ...(shared ? { refresh: () => store.pushTokens.lastPings(), onRefreshError: (err: unknown) => log.error('reading the last heartbeat pings failed; judging deadlines on what this node saw', { error: err }) } : {}),
    });
    undo.push(() => heartbeats.stop());
    undo.push(() => measure.stop(0));
    // One burst at a time per server, whether started from /admin or by a cron schedule; scheduled
    // bursts are few and start a worker of their own, so their schedule stays on this thread.
    const loadControl = createLoadControl({ loaded: opts.loaded, loadRuns: store.loadRuns, log, dbPath, exportPoint: (p, run) => observe.loadPoint(p, run) });
    undo.push(() => loadControl.close());
    const loadScheduler = createScheduler(loadJobs(opts.loaded, loadControl, log), {
      onError: (id, err) => log.error('run crashed', { monitor: id, error: err }),
      onSkip: (id) => log.warn('previous run still going; skipped this slot', { monitor: id }),
    });
    undo.push(() => loadScheduler.stop(0));
    // One node: its thread warms up now and starts with the server. Several: every node keeps a warm
    // thread and starts its schedule when it gets its location's lease, so a takeover waits for no warm-up.
    if (!shared && role === 'all') await measure.switchOn();
    else if (role === 'all') await measure.prepare();
    observe.watch({
      monitorState: (key) => alerting.status(key),
      alertRules: async () => alertRuleReadings(await store.alerts.loadStates()),
      openIncidents: async () => (await store.alerts.listIncidents({ open: true, limit: 500 })).map((i) => i.kind),
      outboxPending: () => store.alerts.outbox.pending(),
      outboxDead: () => store.alerts.outbox.deadCount(),
      scheduler: () => measure.stats(),
      measuring: () => measure.figures(),
      certificates: () => certificates,
      writer: () => ({ pending: store.writer.pending, written: store.writer.written }),
      duties: () => node?.duties() ?? [],
    });
    undo.push(() => observe.stop());

    const { every: retentionEvery, batchSize: retentionBatch, ...policy } = config.retention;
    let retention: RetentionJob | undefined;
    const housekeeping = {
      start() {
        retention ??= startRetentionJob(store.retention(policy, { batchSize: retentionBatch }), {
          everyMs: retentionEvery,
          onDone: (c) => {
            if (c.runs + c.minute + c.hourly + c.daily + c.dailyUptime + c.screenshots > 0) log.info('retention removed old history', c);
          },
          onError: (err) => log.error('retention failed; will retry', { error: err }),
        });
        alerting.startReminders();
        // Heartbeat deadlines: judged on the one node that keeps house (every node takes pings).
        heartbeats.start();
      },
      async stop() {
        heartbeats.stop();
        alerting.stopReminders();
        const r = retention;
        retention = undefined;
        await r?.stop();
      },
    };
    undo.push(() => housekeeping.stop());

    // How late this thread runs: monitor pages, series and the API shed load while it runs late.
    const mainLoop = createLoopLag({ intervalMs: 20, keepMs: 10_000 });
    undo.push(() => mainLoop.stop());
    const jobIds = new Set(config.monitors.filter((m) => m.type !== 'heartbeat').map((m) => monitorId(m)));
    const push = { pushTokens: store.pushTokens, heartbeats, publicUrl: config.server.publicUrl, redact, title: config.server.title };
    const app = createApp({
      status: store.status,
      history: store.history,
      runs: store.runs,
      latency: store.latency,
      title: config.server.title,
      schedulerAlive: () => measure.isAlive() && loadScheduler.isAlive(),
      health,
      alerts: alerting,
      statusCacheMs: opts.statusCacheMs ?? 5000,
      admission: { lag: () => mainLoop.recent(1_000) },
      metrics: config.metrics.enabled ? { ...config.metrics, scrape: observe.scrape, negotiate, onError: (err) => log.error('/metrics failed', { error: err }) } : undefined,
      traceLinks: { href: observe.traceLink?.href, public: observe.traceLink?.public ?? false },
      measuring: () => {
        const f = measure.figures();
        return f && { loopDelayMs: f.loop, stalledRuns: f.stalledRuns, latenessMs: { p50: f.lateness.p50, p99: f.lateness.p99, max: f.lateness.max } };
      },
      node: shared ? () => (node ? { id: node.info.id, location, role, duties: node.held() } : { id: '(joining)', location, role, duties: [] }) : undefined,
      log,
      operator: {
        users: store.auth,
        admin: store.admin,
        runs: store.runs,
        incidents: store.alerts,
        events,
        publicUrl: config.server.publicUrl,
        trustProxy: config.server.trustProxy,
        // Load runs under /admin/load-runs, behind the same login as the rest of /admin.
        loadRuns: store.loadRuns,
        operations: {
          health,
          outbox: store.alerts.outbox,
          writer: () => store.writer.health(),
          integrity: () => lastIntegrity,
          scheduler: () => measure.stats(),
        },
        extraRoutes: (app) => {
          pushRoutes(app, push);
          pushAdminRoutes(app, push);
          loadRunRoutes(app, { loadRuns: store.loadRuns, title: config.server.title, isRunning: (id) => loadControl.active()?.runId === id });
          loadControlRoutes(app, { control: loadControl, loadRuns: store.loadRuns, title: config.server.title });
          loadControlApiRoutes(app, { control: loadControl, loadRuns: store.loadRuns });
        },
        // The "Start load check" form on the page of a monitor with a load: block (or a loads[] entry).
        monitorSections: (key, c) => [
          heartbeats.has(key) ? store.pushTokens.info(key).then((info) => PushSection({ monitorKey: key, info, due: heartbeats.due(key), now: Date.now(), csrfToken: c.get('admin').csrfToken })) : null,
          loadCheckSection(loadControl, key, c.get('admin').csrfToken),
        ],
        runNow: async (key) => {
          if (!jobIds.has(key)) return undefined;
          const started = await measure.runNow(key);
          await store.writer.flush();
          await judging.get(key);
          return { started };
        },
      },
    });
    const host = opts.host ?? config.server.host;
    const port = opts.port ?? config.server.port;
    const server: ServerType = await new Promise<ServerType>((resolveListen, reject) => {
      const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolveListen(s));
      s.once('error', (err: NodeJS.ErrnoException) => {
        s.close();
        const why = err.code === 'EADDRINUSE' ? 'the port is taken (another halftime, or another program, listens there)' : err.code === 'EACCES' ? 'not allowed (ports below 1024 need privileges)' : err.message;
        reject(new StartError(`could not listen on ${host}:${port}: ${why}. Choose another with server.port, --port or HALFTIME_PORT.`));
      });
    });
    const addr = server.address() as AddressInfo;
    const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;

    // Started: from here on, nothing fails the start.
    loadScheduler.start();
    if (!shared) {
      // One node does everything: checks (already warm), the sender, reminders and retention.
      alerting.start();
      housekeeping.start();
    } else {
      // Several nodes: each duty runs on the one node holding its lease; another takes over when it lapses.
      node = joinCluster({
        cluster: store.cluster,
        location,
        role,
        leaseMs: config.node.lease,
        version: VERSION,
        log,
        scheduler: { start: () => measure.switchOn(), stop: () => measure.switchOff(config.server.shutdownGrace, { standby: true }) },
        outbox: { start: () => alerting.sender.start(), stop: () => alerting.sender.stop(1_000) },
        housekeeping,
        health,
        locations: [...new Set([...(config.locations ?? []), ...config.monitors.flatMap((m) => m.locations ?? [])])],
      });
    }
    watchScheduler(health, measure, { behindMs: opts.schedulerBehindMs ?? 60_000 });
    watchOutbox(health, store.alerts.outbox, { unhealthyAfterMs: config.alerts?.retry.unhealthyAfter ?? 900_000 });
    health.start(opts.healthEveryMs ?? 5_000);
    const runIntegrity = async (): Promise<IntegrityResult> => {
      if (shared) {
        // PostgreSQL keeps its own page checksums; from here, the check is that it answers.
        const t0 = Date.now();
        const r: IntegrityResult = await store.cluster.clock().then(
          () => ({ status: 'ok' as const, ms: Date.now() - t0 }),
          (err: Error) => ({ status: 'error' as const, ms: Date.now() - t0, error: redact(err.message) }),
        );
        integrityFound(r);
        return r;
      }
      const r = await quickCheck(dbPath, { timeoutMs: opts.integrity?.timeoutMs });
      integrityFound(r);
      if (r.status === 'corrupt') log.error('the database is damaged', { db: resolve(dbPath), problems: r.problems.slice(0, 5).join('; ') });
      return r;
    };
    // PostgreSQL looks after its own pages; the file check is SQLite's.
    const integrityTimer = shared ? undefined : setInterval(() => void runIntegrity(), opts.integrity?.everyMs ?? 86_400_000);
    integrityTimer?.unref();
    const self = config.selfCheck;
    const heartbeat: Heartbeat | undefined = self.url ? startHeartbeat({ url: self.url, everyMs: self.every, health, log }) : undefined;
    const channels = alerting.channels;
    const selfAlert: SelfAlert | undefined =
      self.alertAfter !== null && channels.length > 0
        ? startSelfAlert({ health, channels, afterMs: self.alertAfter, everyMs: opts.healthEveryMs, link: config.server.publicUrl ? `${config.server.publicUrl.replace(/\/$/, '')}/admin/health` : null, log })
        : undefined;
    log.info('halftime is running', { url, monitors: config.monitors.length, db: dbPath });

    let stopping: Promise<void> | undefined;
    return {
      url,
      store,
      scheduler: measure,
      node,
      alerting,
      events,
      health,
      observe,
      checkIntegrity: runIntegrity,
      stop(graceMs = config.server.shutdownGrace) {
        stopping ??= (async () => {
          const deadline = Date.now() + graceMs;
          const left = () => Math.max(0, deadline - Date.now());
          // Checks get the grace less a reserve for cutting off the rest, writing and closing.
          const checksGrace = Math.max(0, graceMs - Math.min(1_500, graceMs / 4));
          // Leases are given up at once, so another node takes over without waiting for them to lapse.
          await atMost(node?.close() ?? Promise.resolve(), left());
          heartbeats.stop();
          await Promise.all([measure.stop(checksGrace), loadScheduler.stop(checksGrace)]);
          clearInterval(integrityTimer);
          heartbeat?.stop();
          selfAlert?.stop();
          health.stop();
          await atMost(loadControl.close(), left());
          await housekeeping.stop();
          // Deliveries still in progress when time is up stay in the outbox and go out after the restart.
          // Judgements of the last runs finish before their store closes.
          await atMost(Promise.all(judging.values()), left());
          await alerting.stop(left());
          events.close();
          mainLoop.stop();
          const closed = new Promise<void>((r) => server.close(() => r()));
          (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          await atMost(closed, left());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          await store.close();
          // After the store: its last flush hands the final runs to the exporters, which send what they can.
          await observe.stop();
          lock?.release();
        })();
        return stopping;
      },
    };
  } catch (err) {
    events.close();
    await unwind();
    throw err;
  }
}
