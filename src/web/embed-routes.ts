/**
 * What other sites embed: SVG badges of public monitors (state, uptime, latency percentile), the
 * status page's Atom feed and a JSON summary. All are public, cacheable (ETag, 304) and readable
 * from any origin; a private monitor answers 404 exactly like an unknown one.
 */
import type { Context, Hono } from 'hono';
import type { IncidentListItem } from '../store/alerts.js';
import type { LatencySource } from '../store/latency.js';
import type { MonitorIndexRow, StatusReader } from '../store/status.js';
import { buildAlertView, type AlertsReader } from './alert-view.js';
import { renderAtomFeed } from './atom-feed.js';
import { renderBadge, type BadgeColour } from './badge-svg.js';
import type { PageCache } from './page-cache.js';
import { sendCached } from './page-cache.js';
import { bannerOf, buildStatusModel, displayState, type DisplayState } from './status-view.js';

export type EmbedDeps = {
  status: StatusReader;
  /** Latency percentiles for the pNN badges (omit: those answer 404). */
  latency?: LatencySource;
  alerts?: AlertsReader;
  /** Incidents across monitors, for the feed. */
  incidents?: { listIncidents(opts: { limit?: number }): Promise<IncidentListItem[]> };
  title: string;
  /** `server.publicUrl`: links and ids in the feed (default: the request's origin). */
  publicUrl?: string;
  now: () => number;
  /** Badges, keyed `<monitor>\0…` so new runs of a monitor drop its badges. */
  badgeCache: PageCache;
  /** The feed and the JSON summary (dropped on any new run). */
  pageCache: PageCache;
};

const DAY = 86_400_000;
const UPTIME_DAYS: Record<string, number> = { '24h': 1, '7d': 7, '30d': 30, '90d': 90 };
const LATENCY_SPANS: Record<string, number> = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY };
const SVG = 'image/svg+xml; charset=utf-8';

const STATE_BADGE: Record<DisplayState, [string, BadgeColour]> = {
  up: ['up', 'green'],
  degraded: ['degraded', 'yellow'],
  down: ['down', 'red'],
  maintenance: ['maintenance', 'blue'],
  unknown: ['no data', 'grey'],
};

function uptimeColour(u: number): BadgeColour {
  if (u >= 0.999) return 'green';
  if (u >= 0.99) return 'yellowgreen';
  if (u >= 0.97) return 'yellow';
  if (u >= 0.95) return 'orange';
  return 'red';
}

/** `99.95%`, `100%`: never rounded up to 100 % while a run failed. */
export function fmtUptime(u: number): string {
  if (u >= 1) return '100%';
  const floor = Math.floor(u * 10_000) / 100;
  return `${floor.toFixed(floor >= 10 ? 2 : 1)}%`;
}

const fmtLatency = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${+(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);

/** `p95` → 0.95, `p99.9` → 0.999; undefined for anything else. */
export function parsePercentileName(s: string): number | undefined {
  const m = /^p(\d{1,2}(?:\.\d{1,2})?)$/.exec(s);
  if (!m) return undefined;
  const p = Number(m[1]) / 100;
  return p > 0 && p < 1 ? p : undefined;
}

const cors = (c: Context) => {
  c.header('access-control-allow-origin', '*');
  c.header('access-control-expose-headers', 'etag, last-modified');
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mounted on the app whatever its variables
export function embedRoutes(app: Hono<any>, deps: EmbedDeps) {
  const notFound = (c: Context) => c.text('Not found', 404);
  const publicMonitor = async (id: string): Promise<MonitorIndexRow | undefined> => (await deps.status.statusIndex({ publicOnly: true })).find((m) => m.key === id);
  const base = (c: Context) => (deps.publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '');
  /** `?label=` replaces the left-hand text (at most 40 characters). */
  const labelOf = (c: Context, fallback: string) => {
    const l = c.req.query('label');
    return l !== undefined && l.length > 0 && l.length <= 40 ? l : fallback;
  };

  const badge = async (c: Context, id: string, key: string, draw: (m: MonitorIndexRow) => Promise<string>) => {
    const m = await publicMonitor(id);
    if (!m) return notFound(c);
    cors(c);
    const page = await deps.badgeCache.get(`${id}\u0000${key}\u0000${c.req.query('label') ?? ''}`, () => draw(m), SVG);
    return sendCached(c, page, { maxAge: 60 });
  };

  app.get('/badge/:id/state.svg', (c) =>
    badge(c, c.req.param('id'), 'state', async (m) => {
      const view = deps.alerts && (await buildAlertView(deps.alerts, deps.now(), [], []));
      const [text, colour] = STATE_BADGE[displayState(m, view)];
      return renderBadge(labelOf(c, m.name), text, colour);
    }),
  );

  app.get('/badge/:id/uptime/:file', (c) => {
    const range = /^(24h|7d|30d|90d)\.svg$/.exec(c.req.param('file'))?.[1];
    if (!range) return notFound(c);
    return badge(c, c.req.param('id'), `uptime/${range}`, async (m) => {
      const t = deps.now();
      const d = (await deps.status.statusDetails([m.id], { now: t, days: UPTIME_DAYS[range] })).get(m.id)!;
      // 24h from the raw runs (as the status page); longer ranges from the daily counts (UTC days, today included).
      let uptime: number | null = d.uptime24h;
      if (range !== '24h') {
        const runs = d.days.reduce((a, x) => a + x.runs, 0);
        const failures = d.days.reduce((a, x) => a + x.failures, 0);
        uptime = runs > 0 ? (runs - failures) / runs : null;
      }
      return renderBadge(labelOf(c, `uptime ${range}`), uptime === null ? 'no data' : fmtUptime(uptime), uptime === null ? 'grey' : uptimeColour(uptime));
    });
  });

  app.get('/badge/:id/:metric/:file', (c) => {
    const p = parsePercentileName(c.req.param('metric'));
    const range = /^(24h|7d|30d)\.svg$/.exec(c.req.param('file'))?.[1];
    if (p === undefined || !range || !deps.latency) return notFound(c);
    const latency = deps.latency;
    return badge(c, c.req.param('id'), `${c.req.param('metric')}/${range}`, async (m) => {
      const t = deps.now();
      const r = await latency({ monitorKey: m.key, percentile: p, from: t - LATENCY_SPANS[range], to: t + 1 });
      return renderBadge(labelOf(c, `${c.req.param('metric')} ${range}`), r.value === null ? 'no data' : fmtLatency(r.value), r.value === null ? 'grey' : 'blue');
    });
  });

  /** Every public monitor with its judged state, for the summary. */
  const summary = async (c: Context) => {
    const t = deps.now();
    const index = await deps.status.statusIndex({ publicOnly: true });
    const view = deps.alerts && (await buildAlertView(deps.alerts, t, index.map((m) => m.key), []));
    const model = buildStatusModel(index, view, { page: 1, q: '', group: '' }, Math.max(1, index.length));
    const details = await deps.status.statusDetails(index.map((m) => m.id), { now: t, days: 1 });
    const keys = new Set(index.map((m) => m.key));
    const open = deps.incidents ? (await deps.incidents.listIncidents({ limit: 200 })).filter((i) => i.endedAt === null && keys.has(i.monitorKey)) : [];
    return {
      title: deps.title,
      updated: new Date(t).toISOString(),
      status: bannerOf(model.totals),
      totals: model.totals,
      monitors: index.map((m) => {
        const cert = view?.certificate(m.key) ?? null;
        return {
          id: m.key,
          name: m.name,
          group: m.group,
          state: displayState(m, view),
          lastCheckAt: m.lastRunAt === null ? null : new Date(m.lastRunAt).toISOString(),
          lastLatencyMs: m.lastLatencyMs,
          uptime24h: details.get(m.id)?.uptime24h ?? null,
          certificate: cert && { host: cert.host, expiresAt: new Date(cert.validTo).toISOString(), daysLeft: cert.daysLeft },
          url: `${base(c)}/monitors/${encodeURIComponent(m.key)}`,
        };
      }),
      groups: model.groups.map((g) => ({ name: g.name, state: g.state, total: g.total, down: g.down, degraded: g.degraded })),
      incidents: open.map((i) => ({ id: i.id, monitor: i.monitorKey, kind: i.kind, startedAt: new Date(i.startedAt).toISOString(), summary: i.summary })),
      // Private monitors are never named, not even in a maintenance window's list.
      maintenance: (view?.maintenance ?? []).map((w) => ({ name: w.name, start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString(), monitors: w.monitors && w.monitors.filter((k) => keys.has(k)) })),
    };
  };

  app.get('/api/status.json', async (c) => {
    cors(c);
    const page = await deps.pageCache.get(`status.json\u0000${base(c)}`, async () => JSON.stringify(await summary(c)), 'application/json; charset=utf-8');
    return sendCached(c, page, { maxAge: 15 });
  });

  app.get('/feed.atom', async (c) => {
    cors(c);
    const page = await deps.pageCache.get(
      `feed\u0000${base(c)}`,
      async () => {
        const t = deps.now();
        const index = await deps.status.statusIndex({ publicOnly: true });
        const keys = new Set(index.map((m) => m.key));
        const incidents = deps.incidents ? (await deps.incidents.listIncidents({ limit: 200 })).filter((i) => keys.has(i.monitorKey)).slice(0, 50) : [];
        const maintenance = deps.alerts
          ? deps.alerts.maintenance
              .upcoming(t, 7 * DAY)
              .filter((w) => w.monitors === null || w.monitors.some((k) => keys.has(k)))
              .map((w) => ({ ...w, monitors: w.monitors && w.monitors.filter((k) => keys.has(k)) }))
          : [];
        return renderAtomFeed({ title: deps.title, base: base(c), incidents, maintenance, fallbackUpdated: Math.floor(t / DAY) * DAY });
      },
      'application/atom+xml; charset=utf-8',
    );
    return sendCached(c, page, { maxAge: 60 });
  });
}
