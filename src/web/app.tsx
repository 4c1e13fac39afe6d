import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { secureHeaders } from 'hono/secure-headers';
import type { History } from '../store/history.js';
import type { Queries } from '../store/queries.js';
import type { RunQueries } from '../store/run-queries.js';
import { loadStaticAssets } from './static-assets.js';
import { registerMonitorRoutes } from './monitor-routes.js';
import { StatusList, StatusPage } from './status-page.js';

export type WebDeps = {
  queries: Queries;
  /** Latency history and raw runs for monitor pages and charts (omit to serve the status page only). */
  history?: History;
  runs?: RunQueries;
  title: string;
  /** Liveness of the scheduler, for /healthz. */
  schedulerAlive: () => boolean;
  now?: () => number;
};

export function createApp(deps: WebDeps) {
  const now = deps.now ?? Date.now;
  const assets = loadStaticAssets();
  const app = new Hono();

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
  // gzip for clients that ask (pages, JSON series, htmx and uPlot): the chart page weighs a quarter.
  app.use('*', compress());

  // The 24-hour p95 line per public monitor, when history is wired in.
  const trendsFor = (monitors: { id: number }[], t: number) =>
    deps.history ? new Map(monitors.map((m) => [m.id, deps.history!.p95Trend(m.id, t)])) : undefined;

  app.get('/', (c) => {
    const t = now();
    const monitors = deps.queries.statusOverview({ publicOnly: true, now: t });
    return c.html('<!doctype html>' + (<StatusPage title={deps.title} monitors={monitors} now={t} trends={trendsFor(monitors, t)} />).toString());
  });

  // htmx partial: the same component without the layout.
  app.get('/partials/status', (c) => {
    const t = now();
    const monitors = deps.queries.statusOverview({ publicOnly: true, now: t });
    return c.html(<StatusList monitors={monitors} now={t} trends={trendsFor(monitors, t)} />);
  });

  if (deps.history && deps.runs) registerMonitorRoutes(app, { history: deps.history, runs: deps.runs, title: deps.title, now });

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

  app.get('/static/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset) return c.notFound();
    return c.body(new Uint8Array(asset.body), 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' });
  });

  app.notFound((c) => c.text('Not found', 404));
  return app;
}
