import { Hono, type Context } from 'hono';
import { compress } from 'hono/compress';
import { secureHeaders } from 'hono/secure-headers';
import type { AdminQueries } from '../store/admin-queries.js';
import type { AuthStore } from '../store/auth-store.js';
import type { History } from '../store/history.js';
import type { Queries } from '../store/queries.js';
import type { RunQueries } from '../store/run-queries.js';
import { buildAlertView, type AlertsReader } from './alert-view.js';
import { adminRoutes, type AdminDeps, type RunNow } from './admin/admin-routes.js';
import type { IncidentsReader, MaintenanceReader } from './admin/incidents.js';
import { apiRoutes } from './api/api-routes.js';
import { createAuth, type AdminEnv } from './auth/auth.js';
import { authRoutes } from './auth/auth-routes.js';
import type { LoginLimiter } from './auth/login-limiter.js';
import type { LoadRuns } from '../store/load-runs.js';
import type { EventHub } from './events.js';
import { createRenderCache, type Rendered } from './render-cache.js';
import { loadStaticAssets } from './static-assets.js';
import { registerMonitorRoutes } from './monitor-routes.js';
import { StatusList, StatusPage } from './status-page.js';
import { metricsRoutes, type MetricsRouteDeps } from './metrics-routes.js';
import type { TraceLinks } from './trace-ref.js';

/** The operator's side: login, /admin and the /api/v1 JSON API. */
export type OperatorDeps = {
  users: AuthStore;
  admin: AdminQueries;
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
  /** Mounts more operator routes (e.g. load runs under /admin/load-runs); called after the auth layer exists. */
  extraRoutes?: (app: Hono<AdminEnv>, auth: ReturnType<typeof createAuth>) => void;
};

export type WebDeps = {
  queries: Queries;
  /** Latency history and raw runs for monitor pages and charts (omit to serve the status page only). */
  history?: History;
  runs?: RunQueries;
  title: string;
  /** Liveness of the scheduler, for /healthz. */
  schedulerAlive: () => boolean;
  now?: () => number;
  /** Alert states, incidents and maintenance windows for the status page (optional). */
  alerts?: AlertsReader;
  /** Present: mount login, /admin and /api/v1. */
  operator?: OperatorDeps;
  /** Keep the rendered public status page this long (ms; default 0: render every time). Dropped whenever `operator.events` reports new runs. */
  statusCacheMs?: number;
  /** GET /metrics for Prometheus (omit: not served). */
  metrics?: MetricsRouteDeps;
  /** Trace ids on run details (admin; public ones when `public`), linked by `otel.traceUrl`. */
  traceLinks?: TraceLinks;
};

export function createApp(deps: WebDeps) {
  const now = deps.now ?? Date.now;
  const assets = loadStaticAssets();
  const app = new Hono<AdminEnv>();
  const statusCache = createRenderCache({ ttlMs: deps.statusCacheMs ?? 0, now });
  deps.operator?.events.subscribe((ev) => ev !== 'closed' && statusCache.invalidate());

  app.use(
    '*',
    secureHeaders({
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
    }),
  );
  // gzip for clients that ask: monitor pages, JSON series, htmx and uPlot (the status page gzips its cached render itself).
  for (const path of ['/monitors/*', '/partials/monitors/*', '/api/monitors/*', '/static/*']) app.use(path, compress());

  // The 24-hour p95 line per public monitor, when history is wired in.
  const trendsFor = (monitors: { id: number }[], t: number) =>
    deps.history ? new Map(monitors.map((m) => [m.id, deps.history!.p95Trend(m.id, t)])) : undefined;

  const view = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
  /** Sends a (cached) render as HTML, gzipped when the client accepts it. */
  const sendHtml = (c: Context, page: Rendered) => {
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=UTF-8', vary: 'accept-encoding' };
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '') && page.body.length > 1024) {
      headers['content-encoding'] = 'gzip';
      return c.body(view(page.gzip()), 200, headers);
    }
    return c.body(view(page.body), 200, headers);
  };

  app.get('/', (c) =>
    sendHtml(
      c,
      statusCache.get('page', () => {
        const t = now();
        const monitors = deps.queries.statusOverview({ publicOnly: true, now: t });
        const alerts = deps.alerts && buildAlertView(deps.alerts, t, monitors.map((m) => m.key));
        return '<!doctype html>' + (<StatusPage title={deps.title} monitors={monitors} now={t} alerts={alerts} trends={trendsFor(monitors, t)} />).toString();
      }),
    ),
  );

  // htmx partial: the same component without the layout.
  app.get('/partials/status', (c) =>
    sendHtml(
      c,
      statusCache.get('partial', () => {
        const t = now();
        const monitors = deps.queries.statusOverview({ publicOnly: true, now: t });
        const alerts = deps.alerts && buildAlertView(deps.alerts, t, monitors.map((m) => m.key));
        return (<StatusList monitors={monitors} now={t} alerts={alerts} trends={trendsFor(monitors, t)} />).toString() as string;
      }),
    ),
  );

  if (deps.history && deps.runs) registerMonitorRoutes(app, { history: deps.history, runs: deps.runs, title: deps.title, now, traceLinks: deps.traceLinks?.public ? deps.traceLinks : undefined });

  app.get('/healthz', (c) => {
    let db = false;
    try {
      db = deps.queries.ping();
    } catch {
      db = false;
    }
    const scheduler = deps.schedulerAlive();
    const ok = db && scheduler;
    return c.json({ ok, db, scheduler }, ok ? 200 : 503);
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
    adminRoutes(app, {
      auth,
      users: op.users,
      admin: op.admin,
      events: op.events,
      title: deps.title,
      runNow: op.runNow,
      history,
      incidents: op.incidents,
      maintenance,
      monitorSections: op.monitorSections,
      dashboardSections: op.dashboardSections,
      now,
      traceLinks: deps.traceLinks,
    });
    apiRoutes(app, { auth, admin: op.admin, queries: deps.queries, runNow: op.runNow, history, incidents: op.incidents, loadRuns: op.loadRuns, now });
    op.extraRoutes?.(app, auth);
  }

  app.notFound((c) => c.text('Not found', 404));
  return app;
}
