import type { Context, Hono } from 'hono';
import type { AdminQueries, OperatorState, PageCursor } from '../../store/admin-queries.js';
import type { RunReader } from '../../store/runs.js';
import type { StatusReader } from '../../store/status.js';
import { judgedState, stateJudge, type AlertStatusReader } from '../monitor-state.js';
import type { AdminEnv, Auth } from '../auth/auth.js';
import type { RunNow } from '../admin/admin-routes.js';
import type { IncidentsReader } from '../admin/incidents.js';
import type { LoadRuns } from '../../store/load-runs.js';
import { registerSeriesRoute, type MonitorRouteDeps } from '../monitor-routes.js';
import { loadRunApiRoutes } from './load-run-api.js';

export type ApiDeps = {
  auth: Auth;
  admin: AdminQueries;
  status: StatusReader;
  runs: RunReader;
  runNow?: RunNow;
  /** Latency history: mounts /api/v1/monitors/:key/series. */
  history?: Pick<MonitorRouteDeps, 'history' | 'runs'>;
  /** Incident records: mounts /api/v1/incidents. */
  incidents?: IncidentsReader;
  /** Burst load runs: mounts /api/v1/load-runs. */
  loadRuns?: LoadRuns;
  /** The alert engine's state per monitor: every state the API gives is the judged one (as on the status page). */
  state?: AlertStatusReader;
  now?: () => number;
};

const STATES = new Set(['up', 'down', 'unknown', 'degraded', 'maintenance']);

/** A positive integer query parameter, or a 400 naming it. */
function intParam(c: Context, name: string): number | undefined | Error {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : new Error(`query parameter ${name} must be a positive integer (got ${JSON.stringify(raw)})`);
}

/** A paging cursor: `<ms>:<id>` as `next` gives it, or a plain `<ms>` (everything older); or a 400 naming it. */
function cursorParam(c: Context, name: string): PageCursor | undefined | Error {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  const m = /^(\d{1,16})(?::(\d{1,16}))?$/.exec(raw);
  const at = m ? Number(m[1]) : NaN;
  const id = m?.[2] !== undefined ? Number(m[2]) : undefined;
  if (!m || !Number.isSafeInteger(at) || (id !== undefined && !Number.isSafeInteger(id))) {
    return new Error(`query parameter ${name} must be a cursor from "next" (<ms>:<id>) or a time in epoch ms (got ${JSON.stringify(raw)})`);
  }
  return { at, id };
}

/** The cursor of the page after this one: the last row's time and id. */
const nextCursor = (rows: { startedAt: number; id: number }[]) => (rows.length > 0 ? `${rows[rows.length - 1].startedAt}:${rows[rows.length - 1].id}` : null);

/**
 * JSON API for scripts and CI under /api/v1, authenticated with `Authorization: Bearer <token>`.
 * Later features mount their own routes on the same app with `auth.requireToken` (series, incidents, load runs).
 */
export function apiRoutes(app: Hono<AdminEnv>, deps: ApiDeps) {
  const now = deps.now ?? Date.now;
  app.use('/api/v1/*', deps.auth.requireToken);

  const bad = (c: Context, err: Error) => c.json({ error: err.message }, 400);
  const judge = stateJudge(deps.state);

  app.get('/api/v1/status', async (c) => {
    const t = now();
    const monitors = (await deps.status.statusOverview({ publicOnly: false, now: t, days: 1 })).map((m) => ({ ...m, state: judgedState(m.state, deps.state?.(m.key)) }));
    const count = (s: OperatorState) => monitors.filter((m) => m.state === s).length;
    return c.json({
      at: t,
      up: count('up'),
      down: count('down'),
      degraded: count('degraded'),
      maintenance: count('maintenance'),
      unknown: count('unknown'),
      monitors: monitors.map((m) => ({ key: m.key, name: m.name, public: m.public, state: m.state, lastRunAt: m.lastRunAt, lastLatencyMs: m.lastLatencyMs, lastFailure: m.lastFailure, uptime24h: m.uptime24h })),
    });
  });

  app.get('/api/v1/monitors', async (c) => {
    const state = c.req.query('state');
    if (state !== undefined && !STATES.has(state)) return bad(c, new Error('query parameter state must be up, degraded, down, maintenance or unknown'));
    const page = intParam(c, 'page');
    const pageSize = intParam(c, 'pageSize');
    if (page instanceof Error) return bad(c, page);
    if (pageSize instanceof Error) return bad(c, pageSize);
    const p = await deps.admin.monitorPage({ state: state as OperatorState | undefined, q: c.req.query('q'), page, pageSize: pageSize ?? 100, now: now(), judge });
    return c.json(p);
  });

  app.get('/api/v1/monitors/:key', async (c) => {
    const m = await deps.admin.monitor(c.req.param('key'), now(), judge);
    return m ? c.json(m) : c.json({ error: `no monitor "${c.req.param('key')}"` }, 404);
  });

  const listRuns = async (c: Context, monitor: string | undefined) => {
    const limit = intParam(c, 'limit');
    const before = cursorParam(c, 'before');
    if (limit instanceof Error) return bad(c, limit);
    if (before instanceof Error) return bad(c, before);
    const runs = await deps.runs.list({ monitor, limit, before });
    // `next` pages back in time: pass it as `before`.
    return c.json({ runs, next: nextCursor(runs) });
  };

  app.get('/api/v1/monitors/:key/runs', async (c) => {
    const key = c.req.param('key');
    if (!(await deps.admin.monitor(key))) return c.json({ error: `no monitor "${key}"` }, 404);
    return listRuns(c, key);
  });

  app.get('/api/v1/runs', (c) => listRuns(c, c.req.query('monitor') || undefined));

  app.get('/api/v1/runs/:id', async (c) => {
    const id = Number(c.req.param('id'));
    const run = Number.isSafeInteger(id) ? await deps.runs.get(id) : undefined;
    return run ? c.json(run) : c.json({ error: 'no such run' }, 404);
  });

  if (deps.history) {
    // Any active monitor, public or private (the public /api/monitors/:key/series serves public ones only).
    registerSeriesRoute(app, { ...deps.history, title: '', now }, '/api/v1/monitors/:key/series', (m) => m.active, 'no such monitor');
  }

  if (deps.incidents) {
    const incidents = deps.incidents;
    app.get('/api/v1/incidents', async (c) => {
      const open = c.req.query('open');
      if (open !== undefined && open !== 'true' && open !== 'false') return bad(c, new Error('query parameter open must be true or false'));
      const limit = intParam(c, 'limit');
      const before = cursorParam(c, 'before');
      if (limit instanceof Error) return bad(c, limit);
      if (before instanceof Error) return bad(c, before);
      const list = await incidents.listIncidents({ open: open === 'true', monitor: c.req.query('monitor') || undefined, limit, before });
      // `next` pages back in time: pass it as `before`.
      return c.json({ incidents: list, next: nextCursor(list) });
    });

    app.post('/api/v1/incidents/:id/acknowledge', async (c) => {
      const id = Number(c.req.param('id'));
      const r = Number.isSafeInteger(id) ? await incidents.acknowledge(id, `token ${c.get('apiToken').name}`, now()) : ({ ok: false, reason: 'not-found' } as const);
      if (!r.ok) return r.reason === 'not-found' ? c.json({ error: 'no such incident' }, 404) : c.json({ error: 'the incident has ended' }, 409);
      return c.json(r.incident);
    });
  }

  if (deps.loadRuns) loadRunApiRoutes(app, { loadRuns: deps.loadRuns });

  app.post('/api/v1/monitors/:key/run', async (c) => {
    const key = c.req.param('key');
    const outcome = deps.runNow ? await deps.runNow(key) : undefined;
    if (!outcome) return c.json({ error: `no scheduled monitor "${key}"` }, 404);
    const [latest] = await deps.runs.list({ monitor: key, limit: 1 });
    const run = latest ? await deps.runs.get(latest.id) : undefined;
    return run ? c.json({ started: outcome.started, run }) : c.json({ error: 'the run finished but its result was not stored' }, 500);
  });
}
