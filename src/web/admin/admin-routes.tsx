import type { Context, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { streamSSE } from 'hono/streaming';
import type { CertificateEvidence } from '../../alerting/types.js';
import type { AdminQueries } from '../../store/admin-queries.js';
import type { AuthStore } from '../../store/auth-store.js';
import type { RunReader } from '../../store/runs.js';
import type { OperatorState } from '../../store/admin-queries.js';
import type { AdminEnv, Auth } from '../auth/auth.js';
import { safeNext } from '../auth/auth.js';
import { newApiToken } from '../auth/secrets.js';
import type { EventHub } from '../events.js';
import { ADMIN_PREFIXES } from '../monitor-page.js';
import { historyFor, registerHistoryRoutes, type MonitorRouteDeps } from '../monitor-routes.js';
import { stateJudge, type AlertStatusReader } from '../monitor-state.js';
import { DashboardPage, filterQuery, MonitorTable, type DashboardFilters } from './dashboard.js';
import { HealthBanner, healthRoutes, type OperationsView } from './health-page.js';
import { IncidentRow, MonitorIncidents, OpenIncidents, type IncidentsReader, type MaintenanceReader } from './incidents.js';
import { MonitorPageView, RecentRuns, RunPage, RunResultView, type AdminHistory } from './monitor-page.js';
import { TokensPage } from './tokens-page.js';
import { traceOf, type TraceLinks } from '../trace-ref.js';

/** Runs a monitor once now and waits until its result is written; undefined when no such monitor is scheduled. */
export type RunNow = (key: string) => Promise<{ started: boolean } | undefined>;

export type AdminDeps = {
  auth: Auth;
  users: AuthStore;
  admin: AdminQueries;
  /** Raw runs: the monitor page's list, one run's details, the run-now result. */
  runs: RunReader;
  events: EventHub;
  title: string;
  runNow?: RunNow;
  /** Latency history: the charts on the monitor page and their partials and series under /admin (every active monitor). */
  history?: Pick<MonitorRouteDeps, 'history' | 'runs'>;
  /** Incident records: open ones on the dashboard, a monitor's on its page, the Acknowledge button. */
  incidents?: IncidentsReader;
  /** Maintenance windows, shown next to the incidents. */
  maintenance?: MaintenanceReader;
  /** The alert engine's state per monitor: shown (and filtered on) instead of the last run's result. */
  state?: AlertStatusReader;
  /** Certificate warnings in force (alerts.certificate), shown on the monitor page. */
  certificate?: (monitorKey: string) => CertificateEvidence | null;
  /** halftime's own health and its outbox: the dashboard banner and /admin/health. */
  operations?: OperationsView;
  /** Extra sections at the top of the dashboard (open incidents, maintenance windows), in order. */
  dashboardSections?: (c: Context<AdminEnv>) => Child[];
  /** Extra sections on a monitor's admin page (history charts, load checks, incidents), in order. */
  monitorSections?: (key: string, c: Context<AdminEnv>) => Child[];
  now?: () => number;
  pageSize?: number;
  /** Seconds between SSE keep-alive comments (default 25). */
  keepAliveSec?: number;
  /** Run details show the run's trace id, linked by `otel.traceUrl` when set. */
  traceLinks?: TraceLinks;
};

/** A full document; sections that read the store (async components) are awaited. */
const page = (el: { toString(): string | Promise<string> }): string | Promise<string> => {
  const html = el.toString();
  return typeof html === 'string' ? '<!doctype html>' + html : html.then((h) => '<!doctype html>' + h);
};
const STATES = new Set<OperatorState>(['up', 'down', 'unknown', 'degraded', 'maintenance']);

function filtersOf(c: Context): DashboardFilters {
  const state = c.req.query('state') as OperatorState | undefined;
  const q = (c.req.query('q') ?? '').trim().slice(0, 200);
  const n = Number(c.req.query('page'));
  return { state: state && STATES.has(state) ? state : undefined, q: q || undefined, page: Number.isInteger(n) && n > 0 ? n : 1 };
}

/** The operator's pages under /admin, all behind a session (and its CSRF token for every POST). */
export function adminRoutes(app: Hono<AdminEnv>, deps: AdminDeps) {
  const now = deps.now ?? Date.now;
  const { auth } = deps;
  // ('/admin/*' covers '/admin' itself too.)
  app.use('/admin/*', auth.originCheck, auth.requireAdmin);

  const judge = stateJudge(deps.state);
  const monitorPage = (f: DashboardFilters, t: number) => deps.admin.monitorPage({ ...f, pageSize: deps.pageSize ?? 50, now: t, judge });
  const healthBanner = async (t: number) => (deps.operations ? <HealthBanner snapshot={await deps.operations.health.check()} now={t} /> : null);
  if (deps.operations) healthRoutes(app, { ops: deps.operations, title: deps.title, now });
  const WEEK = 7 * 86_400_000;
  const openIncidents = async (c: Context<AdminEnv>, t: number) =>
    deps.incidents ? (
      <OpenIncidents incidents={await deps.incidents.listIncidents({ open: true, limit: 100 })} maintenance={deps.maintenance?.upcoming(t, WEEK) ?? []} now={t} csrfToken={c.get('admin').csrfToken} />
    ) : null;
  const traceLinks: TraceLinks = deps.traceLinks ?? { public: false };
  const historyDeps = deps.history && { ...deps.history, title: deps.title, now, traceLinks };
  if (historyDeps) registerHistoryRoutes(app, historyDeps, ADMIN_PREFIXES, (m) => m.active);

  app.get('/admin', async (c) => {
    const t = now();
    const f = filtersOf(c);
    const s = c.get('admin');
    const [monitors, incidents, banner] = await Promise.all([monitorPage(f, t), openIncidents(c, t), healthBanner(t)]);
    return c.html(
      page(
        <DashboardPage
          title={deps.title}
          username={s.username}
          csrfToken={s.csrfToken}
          page={monitors}
          filters={f}
          now={t}
          sections={[banner, incidents, ...(deps.dashboardSections?.(c) ?? [])]}
        />,
      ),
    );
  });

  app.get('/admin/partials/incidents', async (c) => (deps.incidents ? c.html((await openIncidents(c, now()))!) : c.text('Alerting is not wired in', 404)));

  app.post('/admin/incidents/:id/acknowledge', async (c) => {
    const id = Number(c.req.param('id'));
    if (!deps.incidents || !Number.isSafeInteger(id)) return c.text('No such incident', 404);
    const body = await c.req.parseBody();
    const t = now();
    const r = await deps.incidents.acknowledge(id, c.get('admin').username, t);
    if (!r.ok) return r.reason === 'not-found' ? c.text('No such incident', 404) : c.text('This incident has ended; there is nothing to acknowledge.', 409);
    if (!c.req.header('hx-request')) return c.redirect(safeNext(typeof body.next === 'string' ? body.next : undefined), 303);
    const next = typeof body.next === 'string' ? safeNext(body.next) : '/admin';
    return c.html(<IncidentRow incident={r.incident} now={t} csrfToken={c.get('admin').csrfToken} showMonitor={body.showMonitor === '1'} next={next} />);
  });

  app.get('/admin/partials/monitors', async (c) => {
    const t = now();
    const f = filtersOf(c);
    const p = await monitorPage(f, t);
    // Keep the address bar in step with what the table shows.
    // (not on the live refreshes, which the table triggers itself: they would flood the history).
    if (c.req.header('hx-request') && c.req.header('hx-trigger') !== 'monitor-table') c.header('hx-push-url', `/admin${filterQuery({ ...f, page: p.page })}`);
    return c.html(<MonitorTable page={p} filters={f} now={t} />);
  });

  app.get('/admin/events', (c) => {
    const keepAliveMs = (deps.keepAliveSec ?? 25) * 1000;
    return streamSSE(c, async (stream) => {
      const pending = new Set<string>();
      let done = false;
      // Resolves the current pause early: on any news, or (while coalescing) only when the stream ends.
      let wake: { resolve: () => void; onEvents: boolean } | undefined;
      const pause = async (ms: number, onEvents: boolean) => {
        if (done) return;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = { resolve, onEvents };
          timer = setTimeout(resolve, ms);
        }).finally(() => {
          clearTimeout(timer);
          wake = undefined;
        });
      };
      const finish = () => {
        done = true;
        wake?.resolve();
      };
      const unsubscribe = deps.events.subscribe((ev) => {
        if (ev === 'closed') return finish();
        for (const m of ev.monitors) pending.add(m);
        if (wake?.onEvents) wake.resolve();
      });
      stream.onAbort(finish);
      try {
        await stream.writeSSE({ event: 'hello', data: 'connected', retry: 3000 });
        while (!done) {
          if (pending.size === 0) await pause(keepAliveMs, true);
          if (done) break;
          if (pending.size === 0) {
            await stream.write(': keep-alive\n\n');
            continue;
          }
          const monitors = [...pending];
          pending.clear();
          await stream.writeSSE({ event: 'runs', data: JSON.stringify(monitors) });
          for (const m of monitors) await stream.writeSSE({ event: `run-${m}`, data: m });
          // Coalesce bursts: at most one update a second per browser.
          await pause(1000, false);
        }
      } finally {
        unsubscribe();
      }
    });
  });

  app.get('/admin/monitors/:key', async (c) => {
    const t = now();
    const key = c.req.param('key');
    const m = await deps.admin.monitor(key, t, judge);
    if (!m) return c.text(`No monitor "${key}"`, 404);
    let history: AdminHistory | undefined;
    const info = await historyDeps?.history.monitor(key);
    if (historyDeps && info) {
      const h = await historyFor(historyDeps, info, (n) => c.req.query(n));
      if (!h.ok) return c.text(h.error, 400);
      history = { info, s: h.s, steps: h.steps };
    }
    const s = c.get('admin');
    const incidents = deps.incidents ? (
      <MonitorIncidents
        monitorKey={key}
        incidents={await deps.incidents.listIncidents({ monitor: key, limit: 10 })}
        maintenance={(deps.maintenance?.upcoming(t, WEEK) ?? []).filter((w) => w.monitors === null || w.monitors.includes(key))}
        now={t}
        csrfToken={s.csrfToken}
      />
    ) : undefined;
    return c.html(
      page(
        <MonitorPageView
          title={deps.title}
          username={s.username}
          csrfToken={s.csrfToken}
          m={m}
          runs={await deps.runs.list({ monitor: key, limit: 20 })}
          now={t}
          canRun={!!deps.runNow}
          history={history}
          incidents={incidents}
          certificate={deps.certificate?.(key) ?? null}
          sections={deps.monitorSections?.(key, c)}
        />,
      ),
    );
  });

  app.get('/admin/partials/monitors/:key/runs', async (c) => {
    const key = c.req.param('key');
    if (!(await deps.admin.monitor(key))) return c.text(`No monitor "${key}"`, 404);
    return c.html(<RecentRuns monitorKey={key} runs={await deps.runs.list({ monitor: key, limit: 20 })} expandable={!!historyDeps} />);
  });

  app.post('/admin/monitors/:key/run', async (c) => {
    const key = c.req.param('key');
    const outcome = deps.runNow ? await deps.runNow(key) : undefined;
    if (!outcome) return c.text(`No scheduled monitor "${key}"`, 404);
    const [latest] = await deps.runs.list({ monitor: key, limit: 1 });
    const run = latest ? await deps.runs.get(latest.id) : undefined;
    if (!c.req.header('hx-request')) return c.redirect(run ? `/admin/runs/${run.id}` : `/admin/monitors/${encodeURIComponent(key)}`, 303);
    if (!run) return c.html(<p class="error">The run finished but its result was not stored; see the log.</p>, 500);
    return c.html(<RunResultView run={run} trace={traceOf(traceLinks, run.monitor, run)} note={outcome.started ? undefined : 'A run was already in progress; this is its result.'} />);
  });

  app.get('/admin/runs/:id', async (c) => {
    const id = Number(c.req.param('id'));
    const run = Number.isSafeInteger(id) ? await deps.runs.get(id) : undefined;
    if (!run) return c.text('No such run', 404);
    const s = c.get('admin');
    const name = (await deps.admin.monitor(run.monitor))?.name ?? run.monitor;
    return c.html(page(<RunPage title={deps.title} username={s.username} csrfToken={s.csrfToken} run={run} monitorName={name} trace={traceOf(traceLinks, run.monitor, run)} />));
  });

  // A browser run's screenshot, for the operator (never on public pages).
  app.get('/admin/runs/:id/artifacts/:name', async (c) => {
    const id = Number(c.req.param('id'));
    const a = Number.isSafeInteger(id) ? await deps.runs.artifact(id, c.req.param('name')) : undefined;
    if (!a) return c.text('No such file', 404);
    return c.body(new Uint8Array(a.data), 200, { 'content-type': a.mime, 'cache-control': 'private, max-age=86400', 'x-content-type-options': 'nosniff' });
  });

  const tokensPage = async (c: Context<AdminEnv>, extra: { created?: { name: string; token: string }; error?: string } = {}, status: 200 | 400 = 200) => {
    const s = c.get('admin');
    return c.html(page(<TokensPage title={deps.title} username={s.username} csrfToken={s.csrfToken} tokens={await deps.users.listTokens()} now={now()} {...extra} />), status);
  };

  app.get('/admin/tokens', (c) => tokensPage(c));

  app.post('/admin/tokens', async (c) => {
    const body = await c.req.parseBody();
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (!name || name.length > 100) return tokensPage(c, { error: 'Give the token a name (up to 100 characters).' }, 400);
    const t = newApiToken();
    await deps.users.createToken(name, t.hash, t.prefix, c.get('admin').userId, now());
    return tokensPage(c, { created: { name, token: t.token } });
  });

  app.post('/admin/tokens/:id/revoke', async (c) => {
    await deps.users.revokeToken(Number(c.req.param('id')), now());
    return c.redirect('/admin/tokens', 303);
  });
}
