import type { Context, Env, Hono } from 'hono';
import type { History, MonitorInfo, Range, Series } from '../store/history.js';
import { isRange, RANGES } from '../store/history.js';
import { LEVELS } from '../store/rollups.js';
import type { RunReader } from '../store/runs.js';
import { sendCached, type PageCache } from './page-cache.js';
import { HistorySection, monitorUrls, MonitorPage, PUBLIC_PREFIXES, RunDetail, RunsTable, type MonitorPrefixes, type StepChoice } from './monitor-page.js';
import { traceOf, type TraceLinks } from './trace-ref.js';

export type MonitorRouteDeps = {
  history: History;
  runs: RunReader;
  title: string;
  now: () => number;
  /** Keeps series answers (keys start with the monitor key and a NUL, so one monitor's can be invalidated). */
  seriesCache?: PageCache;
  /** Show each run's trace id (and link) on its details; omitted: not shown. */
  traceLinks?: TraceLinks;
};

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseRange(v: string | undefined): Parsed<Range> {
  if (v === undefined || v === '') return { ok: true, value: '24h' };
  return isRange(v) ? { ok: true, value: v } : { ok: false, error: `range must be one of ${Object.keys(RANGES).join(', ')} (got ${JSON.stringify(v)})` };
}

/** `step`: -1 (or absent) for the whole run, else a step key from the monitor's step list (`steps` in the series JSON). */
export function parseStep(v: string | undefined): Parsed<number> {
  if (v === undefined || v === '') return { ok: true, value: -1 };
  const n = Number(v);
  return Number.isInteger(n) && n >= -1 && n <= 2 ** 31 ? { ok: true, value: n } : { ok: false, error: `step must be -1 (whole run) or a step key from 0, as listed in the series' steps (got ${JSON.stringify(v)})` };
}

/** `location`: one location's history (as runs are labelled, `fra`), or absent for every location merged. */
export function parseLocation(v: string | undefined): Parsed<string | null> {
  if (v === undefined || v === '') return { ok: true, value: null };
  return /^[a-z0-9][a-z0-9_-]{0,31}$/.test(v) ? { ok: true, value: v } : { ok: false, error: `location must be a location name such as fra (lowercase letters, digits, - or _; got ${JSON.stringify(v)})` };
}

/** Series fields a client can ask for with `fields=` (default: all). `t` and the metadata always come. */
export const SERIES_FIELDS = ['runs', 'failures', 'samples', 'uptime', 'p50', 'p95', 'p99', 'max', 'min', 'mean', 'ttfbP50', 'ttfbP95', 'phases', 'summary'] as const;
type SeriesField = (typeof SERIES_FIELDS)[number];

export function parseFields(v: string | undefined): Parsed<SeriesField[] | undefined> {
  if (v === undefined || v === '') return { ok: true, value: undefined };
  const list = v.split(',').map((f) => f.trim());
  const bad = list.filter((f) => !(SERIES_FIELDS as readonly string[]).includes(f));
  return bad.length > 0 ? { ok: false, error: `unknown field(s) ${bad.join(', ')}; fields are ${SERIES_FIELDS.join(', ')}` } : { ok: true, value: list as SeriesField[] };
}

const round1 = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
const round4 = (v: number | null) => (v === null ? null : Math.round(v * 10_000) / 10_000);

/** The JSON form of a series: milliseconds rounded to 0.1 (well inside the sketch's 1 %), uptime to 4 places. */
export function seriesJson(s: Series, fields?: SeriesField[], steps: StepChoice[] = []) {
  const ms = (a: (number | null)[]) => a.map(round1);
  const all = {
    monitor: s.monitor,
    range: s.range,
    resolution: s.level,
    bucketMs: s.bucketMs,
    step: s.step,
    location: s.location,
    stepName: s.stepName,
    steps: steps.map((x) => ({ step: x.step, name: x.name, current: x.current })),
    from: s.from,
    to: s.to,
    relativeAccuracy: 0.01,
    t: s.t,
    runs: s.runs,
    failures: s.failures,
    samples: s.samples,
    uptime: s.uptime.map(round4),
    p50: ms(s.p50),
    p95: ms(s.p95),
    p99: ms(s.p99),
    max: ms(s.max),
    min: ms(s.min),
    mean: ms(s.mean),
    ttfbP50: ms(s.ttfbP50),
    ttfbP95: ms(s.ttfbP95),
    phases: { dns: ms(s.phases.dns), connect: ms(s.phases.connect), tls: ms(s.phases.tls), ttfb: ms(s.phases.ttfb), download: ms(s.phases.download) },
    summary: {
      ...s.summary,
      uptime: round4(s.summary.uptime),
      min: round1(s.summary.min),
      max: round1(s.summary.max),
      mean: round1(s.summary.mean),
      p50: round1(s.summary.p50),
      p95: round1(s.summary.p95),
      p99: round1(s.summary.p99),
    },
  };
  if (!fields) return all;
  const keep = new Set<string>(fields);
  return Object.fromEntries(Object.entries(all).filter(([k]) => keep.has(k) || !(SERIES_FIELDS as readonly string[]).includes(k)));
}

type Query = (name: string) => string | undefined;

/**
 * The range a page opens on when none is asked for: the shortest that holds all the data there is
 * (a monitor with 20 minutes of data opens on 1h, with 3 hours on 6h), else 24h; 7d when the last
 * day has nothing but the week has.
 */
export function rangeForAge(oldest: number | null, now: number): Range {
  if (oldest === null) return '24h';
  const age = now - oldest;
  if (age <= RANGES['1h'].span) return '1h';
  if (age <= RANGES['6h'].span) return '6h';
  return '24h';
}

const oldestBucket = (s: Series): number | null => {
  const i = s.runs.findIndex((r) => r !== null && r > 0);
  return i < 0 ? null : s.t[i];
};

/** The chart section's data for a monitor from the request's `range` (default: fitted to the data's age) and `step`, or the 400 sentence. */
export async function historyFor(deps: Pick<MonitorRouteDeps, 'history' | 'runs' | 'now'>, m: MonitorInfo, query: Query): Promise<{ ok: true; s: Series; steps: StepChoice[] } | { ok: false; error: string }> {
  const range = parseRange(query('range'));
  if (!range.ok) return range;
  const step = parseStep(query('step'));
  if (!step.ok) return step;
  const location = parseLocation(query('location'));
  if (!location.ok) return location;
  const now = deps.now();
  const series = async (r: Range) => (await deps.history.series(m.key, r, { step: step.value, now, location: location.value }))!;
  let s: Series;
  if (query('range')) s = await series(range.value);
  else {
    const day = await series('24h');
    const oldest = oldestBucket(day);
    const fitted = rangeForAge(oldest, now);
    if (fitted !== '24h') s = await series(fitted);
    else if (oldest === null) {
      const week = await series('7d');
      s = oldestBucket(week) === null ? day : week;
    } else s = day;
  }
  return { ok: true, s, steps: await deps.history.steps(m.id) };
}

/** `GET <path>` (path ending in `/:key/series`): the JSON series of monitors that pass `visible`. */
export function registerSeriesRoute<E extends Env>(app: Hono<E>, deps: MonitorRouteDeps, path: string, visible: (m: MonitorInfo) => boolean, notFound: string) {
  app.get(path, async (c) => {
    const m = await deps.history.monitor(c.req.param('key') ?? '');
    if (!m || !visible(m)) return c.json({ error: notFound }, 404);
    const { range, step, location } = { range: parseRange(c.req.query('range')), step: parseStep(c.req.query('step')), location: parseLocation(c.req.query('location')) };
    if (!range.ok) return c.json({ error: range.error }, 400);
    if (!step.ok) return c.json({ error: step.error }, 400);
    if (!location.ok) return c.json({ error: location.error }, 400);
    const fields = parseFields(c.req.query('fields'));
    if (!fields.ok) return c.json({ error: fields.error }, 400);
    const t = deps.now();
    const render = async () => JSON.stringify(seriesJson((await deps.history.series(m.key, range.value, { step: step.value, now: t, location: location.value }))!, fields.value, await deps.history.steps(m.id)));
    if (!deps.seriesCache) return c.body(await render(), 200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    // One answer per bucket: a new bucket is a new key; new runs mark the monitor's answers stale.
    const bucket = Math.floor(t / LEVELS[RANGES[range.value].level].ms);
    const page = await deps.seriesCache.get(`${m.key}\u0000${range.value}\u0000${step.value}\u0000${location.value ?? ''}\u0000${fields.value?.join(',') ?? ''}\u0000${bucket}`, render, 'application/json');
    return sendCached(c, page, { maxAge: 5 });
  });
}

/**
 * The history routes every monitor page needs, under the given prefixes: the chart section partial
 * (range switch, step selector), one run's steps, and the JSON series the charts draw. The public
 * site mounts them for public monitors; the operator's side mounts them under /admin for every monitor.
 */
export function registerHistoryRoutes<E extends Env>(app: Hono<E>, deps: MonitorRouteDeps, prefix: MonitorPrefixes, visible: (m: MonitorInfo) => boolean, seriesNotFound = 'no such monitor') {
  const urls = monitorUrls(prefix);
  const find = async (key: string | undefined) => {
    const m = key === undefined ? undefined : await deps.history.monitor(key);
    return m && visible(m) ? m : undefined;
  };
  const notFound = (c: Context<E>) => c.text('Not found', 404);

  app.get(`${prefix.partials}/:key/chart`, async (c) => {
    const m = await find(c.req.param('key'));
    if (!m) return notFound(c);
    const h = await historyFor(deps, m, (n) => c.req.query(n));
    if (!h.ok) return c.text(h.error, 400);
    return c.html(<HistorySection m={m} s={h.s} steps={h.steps} urls={urls} />);
  });

  app.get(`${prefix.partials}/:key/runs/:runId`, async (c) => {
    const m = await find(c.req.param('key'));
    const runId = Number(c.req.param('runId'));
    if (!m || !Number.isSafeInteger(runId)) return notFound(c);
    const run = await deps.runs.get(runId, { monitor: m.key });
    if (!run) return notFound(c);
    return c.html(<RunDetail steps={run.steps} trace={deps.traceLinks ? traceOf(deps.traceLinks, m.key, run) : undefined} audience={prefix === PUBLIC_PREFIXES ? 'public' : 'operator'} />);
  });

  registerSeriesRoute(app, deps, `${prefix.series}/:key/series`, visible, seriesNotFound);
}

/** Only public, active monitors have public pages: private ones answer 404 exactly like unknown ones. */
export const isPublic = (m: MonitorInfo) => m.public && m.active;

/** The public monitor pages, their htmx partials and the JSON series. */
export function registerMonitorRoutes<E extends Env>(app: Hono<E>, deps: MonitorRouteDeps) {
  const visible = async (key: string | undefined) => {
    const m = key === undefined ? undefined : await deps.history.monitor(key);
    return m && isPublic(m) ? m : undefined;
  };

  app.get('/monitors/:key', async (c) => {
    const m = await visible(c.req.param('key'));
    if (!m) return c.text('Not found', 404);
    const h = await historyFor(deps, m, (n) => c.req.query(n));
    if (!h.ok) return c.text(h.error, 400);
    const page = <MonitorPage title={deps.title} m={m} s={h.s} steps={h.steps} runs={await deps.runs.list({ monitor: m.key, limit: 20 })} />;
    return c.html('<!doctype html>' + page.toString());
  });

  app.get('/partials/monitors/:key/runs', async (c) => {
    const m = await visible(c.req.param('key'));
    if (!m) return c.text('Not found', 404);
    return c.html(<RunsTable m={m} runs={await deps.runs.list({ monitor: m.key, limit: 20 })} />);
  });

  registerHistoryRoutes(app, deps, PUBLIC_PREFIXES, isPublic, 'no such public monitor');
}
