import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { HealthSnapshot } from '../health/registry.js';
import type { Logger } from '../log.js';
import type { AdminQueries } from '../store/admin-queries.js';
import type { AuthStore } from '../store/auth-store.js';
import type { History } from '../store/history.js';
import type { StatusReader } from '../store/status.js';
import type { RunReader } from '../store/runs.js';
import { buildAlertView, type AlertsReader } from './alert-view.js';
import { adminRoutes, type AdminDeps, type RunNow } from './admin/admin-routes.js';
import type { IncidentsReader, MaintenanceReader } from './admin/incidents.js';
import { apiRoutes } from './api/api-routes.js';
import { outboxApiRoutes } from './api/outbox-api.js';
import type { OperationsView } from './admin/health-page.js';
import { createAuth, type AdminEnv } from './auth/auth.js';
import { authRoutes } from './auth/auth-routes.js';
import type { LoginLimiter } from './auth/login-limiter.js';
import type { LoadRuns } from '../store/load-runs.js';
import type { EventHub } from './events.js';
import { createAdmission, type AdmissionOptions } from './admission.js';
import { createPageCache, sendCached } from './page-cache.js';
import { loadStaticAssets } from './static-assets.js';
import { registerMonitorRoutes } from './monitor-routes.js';
import { StatusList, StatusPage, type StatusPageData } from './status-page.js';
import { buildStatusModel, parseStatusQuery, type StatusQuery } from './status-view.js';
import { metricsRoutes, type MetricsRouteDeps } from './metrics-routes.js';
import { embedRoutes } from './embed-routes.js';
import type { LatencySource } from '../store/latency.js';
import type { TraceLinks } from './trace-ref.js';

/** The operator's side: login, /admin and the /api/v1 JSON API. */
export type OperatorDeps = {
  users: AuthStore;
  admin: AdminQueries;
  /** Raw runs for the operator pages and the API. */
  runs: RunReader;
  events: EventHub;
  runNow?: RunNow;
  /** `server.publicUrl`, for Origin checks and Secure cookies behind HTTPS. */
  publicUrl?: string;
  /** `server.trustProxy`: how many reverse proxies' X-Forwarded-For entries to trust for client addresses. */
  trustProxy?: number;
  limiter?: LoginLimiter;
  monitorSections?: AdminDeps['monitorSections'];
  dashboardSections?: AdminDeps['dashboardSections'];
  /** Incident records for the dashboard, the monitor pages, Acknowledge and /api/v1/incidents. */
  incidents?: IncidentsReader;
  /** Maintenance windows (default: the alerting service's calendar from `alerts`). */
  maintenance?: MaintenanceReader;
  /** Burst load runs for /api/v1/load-runs. */
  loadRuns?: LoadRuns;
  /** halftime's own health and the alert outbox: /admin/health, the dashboard banner, /api/v1/outbox and /api/v1/health. */
  operations?: OperationsView;
  /** Mounts more operator routes (e.g. load runs under /admin/load-runs); called after the auth layer exists. */
  extraRoutes?: (app: Hono<AdminEnv>, auth: ReturnType<typeof createAuth>) => void;
};

export type WebDeps = {
  status: StatusReader;
  /** Latency history and raw runs for monitor pages and charts (omit to serve the status page only). */
  history?: History;
  runs?: RunReader;
  title: string;
  /** Liveness of the scheduler, for /healthz. */
  schedulerAlive: () => boolean;
  /** The health registry: its problems make /healthz answer 503 with reasons. */
  health?: { snapshot(): HealthSnapshot; check(): Promise<HealthSnapshot> };
  /** For errors no route handled (they answer a plain 500, never a stack trace). */
  log?: Logger;
  now?: () => number;
  /** Alert states, incidents and maintenance windows for the status page (optional). */
  alerts?: AlertsReader;
  /** Present: mount login, /admin and /api/v1. */
  operator?: OperatorDeps;
  /** Keep the rendered public status page this long (ms; default 0: render every time). Dropped whenever `operator.events` reports new runs. */
  statusCacheMs?: number;
  /** Monitors per status page (default 50); totals always count every public monitor. */
  statusPageSize?: number;
  /** Admission control for monitor pages, series and the API (see admission.ts); `lag` is the main loop's recent delay. */
  admission?: AdmissionOptions;
  /** GET /metrics for Prometheus (omit: not served). */
  metrics?: MetricsRouteDeps;
  /** Trace ids on run details (admin; public ones when `public`), linked by `otel.traceUrl`. */
  traceLinks?: TraceLinks;
  /**
   * The measuring thread in /healthz: its event-loop delay and how late runs started over the last
   * period (ms), and the runs its probes measured on a stalled loop since start.
   */
  measuring?: () => { loopDelayMs: { p50: number; p99: number; max: number }; latenessMs: { p50: number; p99: number; max: number }; stalledRuns: number } | undefined;
  /** Several nodes: this node in /healthz (its id, location, role and the duties it holds). */
  node?: () => { id: string; location: string; role: string; duties: string[] };
  /** Latency percentiles for the pNN badges (omit: not served). */
  latency?: LatencySource;
};

export function createApp(deps: WebDeps) {
  const now = deps.now ?? Date.now;
  const assets = loadStaticAssets();
  const app = new Hono<AdminEnv>();
  const statusCache = createPageCache({ ttlMs: deps.statusCacheMs ?? 0, now });
  deps.operator?.events.subscribe((ev) => ev !== 'closed' && statusCache.invalidate());

  const headers = (crossOriginResourcePolicy: 'same-origin' | 'cross-origin') =>
    secureHeaders({
      crossOriginResourcePolicy,
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      referrerPolicy: 'same-origin',
      xFrameOptions: 'DENY',
    });
  // Badges, the feed and the JSON summary are meant to be embedded elsewhere: readable from any origin.
  const own = headers('same-origin');
  const shared = headers('cross-origin');
  const embeddable = (path: string) => path.startsWith('/badge/') || path === '/feed.atom' || path === '/api/status.json';
  app.use('*', (c, next) => (embeddable(c.req.path) ? shared(c, next) : own(c, next)));
  // Expensive endpoints answer 503 + Retry-After when they cannot be served soon, instead of queuing.
  const admission = createAdmission(deps.admission);
  for (const path of ['/monitors/*', '/partials/monitors/*']) app.use(path, admission.middleware);
  // A job's ping is never shed: a refused ping would read as a missed one.
  app.use('/api/*', (c, next) => (c.req.path.startsWith('/api/push/') ? next() : admission.middleware(c, next)));
  // gzip for clients that ask: monitor pages, JSON series, htmx and uPlot (the status page gzips its cached render itself).
  for (const path of ['/monitors/*', '/partials/monitors/*', '/api/monitors/*', '/static/*']) app.use(path, compress());

  /** One status page: totals over every public monitor, full figures only for the ones it shows. */
  const statusData = async (query: StatusQuery): Promise<StatusPageData> => {
    const t = now();
    const index = await deps.status.statusIndex({ publicOnly: true });
    // States come from alerting's memory; the page's shape (which monitors it shows) from them.
    const states = deps.alerts && (await buildAlertView(deps.alerts, t, [], []));
    const model = buildStatusModel(index, states, query, deps.statusPageSize ?? 50);
    const shown = [...model.attention, ...model.items];
    const ids = [...new Set(shown.map((m) => m.id))];
    const alerts = deps.alerts && (await buildAlertView(deps.alerts, t, index.map((m) => m.key), shown.map((m) => m.key)));
    const trends = new Map<number, (number | null)[]>();
    if (deps.history) for (const id of ids) trends.set(id, (await deps.history.trend(id, t)).p95);
    return { model, details: await deps.status.statusDetails(ids, { now: t }), trends: deps.history ? trends : undefined, alerts, now: t };
  };
  const statusKey = (q: StatusQuery) => `${q.page}\u0000${q.q}\u0000${q.group}`;

  app.get('/', async (c) => {
    const query = parseStatusQuery(c.req.query());
    const page = await statusCache.get(`page\u0000${statusKey(query)}`, async () => '<!doctype html>' + (<StatusPage title={deps.title} data={await statusData(query)} />).toString());
    return sendCached(c, page, { maxAge: 5 });
  });

  // htmx partial: the same component without the layout.
  app.get('/partials/status', async (c) => {
    const query = parseStatusQuery(c.req.query());
    const page = await statusCache.get(`partial\u0000${statusKey(query)}`, async () => (<StatusList data={await statusData(query)} />).toString() as string);
    return sendCached(c, page, { maxAge: 5 });
  });

  // Series answers cached per monitor, range, step and bucket, invalidated when the monitor gets new runs.
  const seriesCache = createPageCache({ ttlMs: deps.statusCacheMs ? 60_000 : 0, minAgeMs: 2_000, now, maxEntries: 4_096 });
  deps.operator?.events.subscribe((ev) => {
    if (ev !== 'closed') for (const key of ev.monitors) seriesCache.invalidate(`${key}\u0000`);
  });
  // Badges, keyed by monitor so its new runs drop them; the feed and summary go with the status page.
  const badgeCache = createPageCache({ ttlMs: deps.statusCacheMs ? 60_000 : 0, minAgeMs: 5_000, now, maxEntries: 2_048 });
  deps.operator?.events.subscribe((ev) => {
    if (ev !== 'closed') for (const key of ev.monitors) badgeCache.invalidate(`${key}\u0000`);
  });
  embedRoutes(app, {
    status: deps.status,
    latency: deps.latency,
    alerts: deps.alerts,
    incidents: deps.operator?.incidents,
    title: deps.title,
    publicUrl: deps.operator?.publicUrl,
    now,
    badgeCache,
    pageCache: statusCache,
  });

  if (deps.history && deps.runs)
    registerMonitorRoutes(app, { history: deps.history, runs: deps.runs, title: deps.title, now, seriesCache, traceLinks: deps.traceLinks?.public ? deps.traceLinks : undefined });

  // 200 only when all is well; otherwise 503 naming each reason (the same list the admin health page shows).
  app.get('/healthz', async (c) => {
    let db = false;
    let dbError = '';
    try {
      db = await deps.status.ping();
    } catch (err) {
      dbError = err instanceof Error ? err.message : String(err);
    }
    const scheduler = deps.schedulerAlive();
    const snap = await (deps.health ?? deps.operator?.operations?.health)?.check();
    const problems = (snap?.problems ?? []).map((p) => ({ check: p.check, reason: p.reason, since: new Date(p.since).toISOString() }));
    const t = new Date(now()).toISOString();
    if (!db) problems.unshift({ check: 'database-connection', reason: `the database does not answer${dbError ? `: ${dbError}` : ''}`, since: t });
    if (!scheduler && !problems.some((p) => p.check === 'scheduler')) problems.push({ check: 'scheduler', reason: 'the scheduler is not running', since: t });
    const warnings = (snap?.warnings ?? []).map((p) => ({ check: p.check, reason: p.reason, since: new Date(p.since).toISOString() }));
    const ok = problems.length === 0;
    c.header('cache-control', 'no-store');
    const measuring = deps.measuring?.();
    return c.json({ ok, db, scheduler, problems, warnings, ...(measuring ? { measuring } : {}), ...(deps.node ? { node: deps.node() } : {}) }, ok ? 200 : 503);
  });

  if (deps.metrics) app.route('/', metricsRoutes(deps.metrics));

  app.get('/static/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset) return c.notFound();
    return c.body(new Uint8Array(asset.body), 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' });
  });

  const op = deps.operator;
  if (op) {
    const auth = createAuth({ auth: op.users, publicUrl: op.publicUrl, trustProxy: op.trustProxy, limiter: op.limiter, now });
    authRoutes(app, { auth, users: op.users, title: deps.title });
    const history = deps.history && deps.runs ? { history: deps.history, runs: deps.runs } : undefined;
    const maintenance = op.maintenance ?? deps.alerts?.maintenance;
    const state = deps.alerts ? (key: string) => deps.alerts!.status(key) : undefined;
    adminRoutes(app, {
      auth,
      users: op.users,
      admin: op.admin,
      runs: op.runs,
      events: op.events,
      title: deps.title,
      runNow: op.runNow,
      history,
      incidents: op.incidents,
      maintenance,
      monitorSections: op.monitorSections,
      dashboardSections: op.dashboardSections,
      state,
      certificate: deps.alerts?.certificate ? (key) => deps.alerts!.certificate!(key) : undefined,
      operations: op.operations,
      now,
      traceLinks: deps.traceLinks,
    });
    apiRoutes(app, { auth, admin: op.admin, runs: op.runs, status: deps.status, runNow: op.runNow, history, incidents: op.incidents, loadRuns: op.loadRuns, state, now });
    if (op.operations) outboxApiRoutes(app, { ops: op.operations });
    op.extraRoutes?.(app, auth);
  }

  app.notFound((c) => c.text('Not found', 404));
  // Whatever a route throws: logged here, and the client gets a plain sentence, never a stack trace.
  app.onError((err, c) => {
    // Deliberate answers (a refused origin's 403…) keep their own response.
    if (err instanceof HTTPException) return err.getResponse();
    if (deps.log) deps.log.error('request failed', { method: c.req.method, path: new URL(c.req.url).pathname, error: err });
    else process.stderr.write(`halftime: request failed: ${c.req.method} ${new URL(c.req.url).pathname}: ${err.message}\n`);
    return c.text('Internal error: the request could not be handled (the halftime log says why).', 500);
  });
  return app;
}
