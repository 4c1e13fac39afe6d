/**
 * Admin pages for burst load runs: the list of past runs (to compare), and one page per run with a
 * uPlot chart (users, requests/s, p95 over time, knee marked) and a per-step table. Mounted under
 * /admin/load-runs, behind whatever protects /admin; never linked from the public status page.
 */
import type { Context, Env, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import type { LoadRunDetail, LoadRunRow, LoadRuns, SeriesRow } from '../../store/load-runs.js';
import { samplesNote } from '../../lang/percentile.js';
import { fmtMs, fmtTime } from '../format.js';
import { AdminLayout } from '../admin/admin-layout.js';
import { StopForm } from './control-routes.js';

export type LoadRunDeps = {
  loadRuns: LoadRuns;
  title?: string;
  /** True while this server runs that burst: its page then streams the chart live and shows Stop. */
  isRunning?: (runId: number) => boolean;
};

const BASE = '/admin/load-runs';

const when = (ms: number) => fmtTime(ms);
const pct = (n: number, d: number) => (d === 0 ? '–' : `${+((n / d) * 100).toFixed(2)}%`);
const num = (v: number | null, digits = 1) => (v === null ? '–' : v.toFixed(digits));

function Head() {
  return (
    <>
      <link rel="stylesheet" href="/static/uPlot.min.css" />
      <link rel="stylesheet" href="/static/load.css" />
    </>
  );
}

/** The cells every list of load runs shows after the run's name: when, plan, status and figures. */
function RunFigures({ r }: { r: LoadRunRow }) {
  return (
    <>
      <td class="when" data-label="Started">{when(r.startedAt)}</td>
      <td class="plan-cell" data-label="Plan">{r.planText}</td>
      <td data-label="Status"><span class={`status status-${r.status}`}>{r.status}</span></td>
      <td class="n" data-label="Peak users">{r.peakUsers ?? '–'}</td>
      <td class="n" data-label="req/s">{num(r.rps)}</td>
      <td class="n" data-label="p50">{fmtMs(r.p50)}</td>
      <td class="n" data-label="p95">{fmtMs(r.p95)}</td>
      <td class="n" data-label="p99">{fmtMs(r.p99)}</td>
      <td class="n" data-label="Errors">{pct(r.errors, r.requests)}</td>
      <td class="knee-cell" data-label="Knee">{r.kneeText ?? '–'}</td>
    </>
  );
}

export function LoadRunList(props: { runs: LoadRunRow[]; name?: string }) {
  return (
    <section class="load">
      <h1>Load runs{props.name ? ` — ${props.name}` : ''}</h1>
      {props.name ? <p><a href={BASE}>All runs</a></p> : null}
      {props.runs.length === 0 ? (
        <p class="muted">No load runs yet. Start one from a monitor's page (for monitors with a <code>load:</code> block), with <code>halftime load &lt;monitor&gt;</code>, or give a burst a cron schedule.</p>
      ) : (
        <form method="get" action={`${BASE}/compare`}>
        <table class="load-table stack">
          <thead>
            <tr>
              <th><span class="sr">Compare</span></th><th>#</th><th>Burst</th><th>Started</th><th>Plan</th><th>Status</th><th class="n">Peak users</th><th class="n">req/s</th><th class="n">p50</th><th class="n">p95</th><th class="n">p99</th><th class="n">Errors</th><th>Knee</th>
            </tr>
          </thead>
          <tbody>
            {props.runs.map((r) => (
              <tr data-run={r.id}>
                <td data-label="Compare"><input type="checkbox" name="id" value={String(r.id)} aria-label={`compare run ${r.id}`} /></td>
                <td data-label="#"><a href={`${BASE}/${r.id}`}>{r.id}</a></td>
                <td data-label="Burst"><a href={`${BASE}?name=${encodeURIComponent(r.name)}`}>{r.name}</a></td>
                <RunFigures r={r} />
              </tr>
            ))}
          </tbody>
        </table>
        <p><button type="submit" class="secondary">Compare selected runs</button></p>
        </form>
      )}
    </section>
  );
}

/** Several runs side by side: key figures in a table, p95 of each over time in one chart. */
export function LoadRunCompare(props: { runs: LoadRunDetail[] }) {
  const ids = props.runs.map((r) => r.id).join(',');
  return (
    <section class="load">
      <p><a href={BASE}>← All load runs</a></p>
      <h1>Comparing {props.runs.length} load runs</h1>
      <table class="load-table stack">
        <thead>
          <tr><th>#</th><th>Burst</th><th>Started</th><th>Plan</th><th>Status</th><th class="n">Peak users</th><th class="n">req/s</th><th class="n">p50</th><th class="n">p95</th><th class="n">p99</th><th class="n">Errors</th><th>Knee</th></tr>
        </thead>
        <tbody>
          {props.runs.map((r) => (
            <tr data-run={r.id}>
              <td data-label="#"><a href={`${BASE}/${r.id}`}>{r.id}</a></td>
              <td data-label="Burst">{r.name}</td>
              <RunFigures r={r} />
            </tr>
          ))}
        </tbody>
      </table>
      <h2>p95 over time</h2>
      <div id="load-compare" class="load-chart" data-src={`${BASE}/compare.json?ids=${ids}`} role="figure" aria-label="p95 of each run over time (seconds from each run's start)"></div>
      <script src="/static/uPlot.iife.min.js" defer></script>
      <script src="/static/chart-kit.js" defer></script>
      <script src="/static/load-compare.js" defer></script>
    </section>
  );
}

/** Chart data for a comparison: one shared time axis (seconds), a p95 and a users array per run. */
export function compareJson(runs: { id: number; name: string; rows: SeriesRow[]; durationMs?: number | null }[]) {
  const len = Math.max(0, ...runs.map((r) => (r.rows.length ? r.rows[r.rows.length - 1].t + 1 : 0)));
  const t = Array.from({ length: len }, (_, i) => i);
  return {
    t,
    runs: runs.map((r) => {
      const p95: (number | null)[] = new Array(len).fill(null);
      const users: (number | null)[] = new Array(len).fill(null);
      for (const row of r.rows) {
        p95[row.t] = row.p95;
        users[row.t] = row.users;
      }
      return { id: r.id, label: `#${r.id} ${r.name}`, p95, users, lastPartial: lastSecondPartial(r.rows, r.durationMs ?? null) };
    }),
  };
}

const MAX_COMPARE = 8;
function idsFrom(values: string[] | undefined): number[] {
  return [...new Set((values ?? []).flatMap((v) => v.split(',')).map(Number).filter((n) => Number.isInteger(n) && n > 0))].slice(0, MAX_COMPARE);
}

export function LoadRunView(props: { run: LoadRunDetail; /** The burst is running here: live chart and Stop (with the session's CSRF token). */ live?: { csrfToken: string } }) {
  const { run } = props;
  const s = run.summary;
  return (
    <section class="load">
      <p><a href={BASE}>← All load runs</a> · <a href={`${BASE}?name=${encodeURIComponent(run.name)}`}>runs of {run.name}</a></p>
      <h1>Load run #{run.id}: {run.name}</h1>
      <p class="plan">{run.planText} · started {when(run.startedAt)} · <span class={`status status-${run.status}`}>{run.status}</span>{run.stopMessage ? ` — ${run.stopMessage}` : ''}</p>
      {run.status === 'running' ? (
        <p class="muted">The run's totals, per-step table and knee appear here when it ends.</p>
      ) : (
      <dl class="facts">
        <div><dt>Requests</dt><dd>{run.requests}{run.polls ? ` (${run.polls} polls)` : ''}</dd></div>
        <div><dt>req/s</dt><dd>{num(run.rps)}</dd></div>
        <div><dt>Errors</dt><dd>{pct(run.errors, run.requests)}</dd></div>
        {s?.cutOff?.iterations || s?.cutOff?.requests ? (
          <div><dt>Cut off by the end</dt><dd>{`${s.cutOff.iterations} iterations, ${s.cutOff.requests} requests (not counted)`}</dd></div>
        ) : null}
        <div><dt>p50</dt><dd>{fmtMs(run.p50)}{samplesNote(run.requests)}</dd></div>
        <div><dt>p95</dt><dd>{fmtMs(run.p95)}{samplesNote(run.requests)}</dd></div>
        <div><dt>p99</dt><dd>{fmtMs(run.p99)}{samplesNote(run.requests)}</dd></div>
        <div><dt>max</dt><dd>{fmtMs(run.max)}</dd></div>
        <div><dt>Peak users</dt><dd>{run.peakUsers ?? '–'}</dd></div>
      </dl>
      )}
      {props.live ? (
        <>
          <StopForm runId={run.id} csrfToken={props.live.csrfToken} />
          <p id="load-live-now" class="muted load-live-now" aria-live="polite">Waiting for the first second of data…</p>
        </>
      ) : null}
      <p class="knee"><strong>Knee:</strong> {run.kneeText ?? 'not known yet'}</p>
      <div id="load-chart" class="load-chart" data-src={`${BASE}/${run.id}/series.json`} data-live={props.live ? `${BASE}/${run.id}/live` : undefined} data-seconds={props.live ? String(Math.ceil(run.plan.duration / 1000)) : undefined} role="figure" aria-label="Users, requests per second, errors per second and p95 over time (seconds from the start)"></div>
      {s ? (
        <>
          <h2>Per step</h2>
          <table class="load-table stack">
            <thead>
              <tr><th>Step</th><th class="n">Requests</th><th class="n">Errors</th><th class="n">p50</th><th class="n">p95</th><th class="n">p99</th><th class="n">max</th></tr>
            </thead>
            <tbody>
              {s.steps.map((x) => (
                <tr>
                  <td data-label="Step">{x.name}{x.poll ? ' (background poll)' : ''}</td>
                  <td class="n" data-label="Requests">{x.count}</td>
                  <td class="n" data-label="Errors">{pct(x.errors, x.count)}</td>
                  <td class="n" data-label="p50">{fmtMs(x.p50)}</td>
                  <td class="n" data-label="p95">{fmtMs(x.p95)}</td>
                  <td class="n" data-label="p99">{fmtMs(x.p99)}</td>
                  <td class="n" data-label="max">{fmtMs(x.max)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {s.thresholds.length ? (
            <>
              <h2>Thresholds</h2>
              <ul class="thresholds">
                {s.thresholds.map((t) => (
                  <li class={t.pass ? 'pass' : 'fail'}>{t.pass ? 'pass' : 'FAIL'} <code>{t.threshold}</code>: actual {t.actual} (want {t.expected})</li>
                ))}
              </ul>
            </>
          ) : null}
          {s.failures.length ? (
            <>
              <h2>Failures</h2>
              <ul>
                {s.failures.map((f) => (
                  <li>{f.count} × {f.message}</li>
                ))}
              </ul>
            </>
          ) : null}
          <p class="muted">Latencies count from each request's intended start; the generator's own lag (p99 {fmtMs(s.generatorLag.p99)}) is included. Percentiles are nearest rank (as on the monitor charts and in alert rules), from sketches with 1% relative accuracy; iterations cut off by the end of the run are not in them.</p>
        </>
      ) : null}
      <script src="/static/uPlot.iife.min.js" defer></script>
      <script src="/static/chart-kit.js" defer></script>
      <script src="/static/load-run.js" defer></script>
    </section>
  );
}

/**
 * Whether the last stored second is one the run ended inside. That second holds a fraction of a
 * second's requests (and the slow ones cut off by the end): drawn as a whole second it reads as a
 * drop in throughput and a latency spike that never happened, so the charts leave it out. The JSON
 * keeps it (its requests are in the totals) and says so in `lastPartial`.
 */
export function lastSecondPartial(rows: { t: number }[], durationMs: number | null): boolean {
  if (durationMs === null || rows.length === 0) return false;
  return (rows[rows.length - 1].t + 1) * 1000 > durationMs + 1;
}

/** Chart data: parallel arrays per second, where the knee was (seconds from the start), and whether the last second is partial. */
export function seriesJson(run: LoadRunDetail, rows: SeriesRow[]) {
  const k = run.summary?.knee;
  const knee = k?.latencyKnee ?? k?.throughputKnee;
  return {
    t: rows.map((r) => r.t),
    users: rows.map((r) => r.users),
    rps: rows.map((r) => r.requests),
    errors: rows.map((r) => r.errors),
    p95: rows.map((r) => r.p95),
    p99: rows.map((r) => r.p99),
    knee: knee ? { t: knee.t, label: `knee at ${knee.load} ${k!.unit}` } : null,
    lastPartial: lastSecondPartial(rows, run.durationMs),
  };
}

/** Mounts the pages on `app`; call it where /admin is already protected (login + CSRF). */
export function loadRunRoutes<E extends Env>(app: Hono<E>, deps: LoadRunDeps) {
  // Under /admin: the operator's layout (navigation, log out, the session's CSRF token for htmx).
  const page = (c: Context, title: string, body: Child) => {
    const admin = (c.var as { admin?: { username: string; csrfToken: string } }).admin;
    return '<!doctype html>' + (<AdminLayout title={title} username={admin?.username} csrfToken={admin?.csrfToken} head={<Head />}>{body}</AdminLayout>).toString();
  };

  app.get(BASE, async (c) => {
    const name = c.req.query('name') || undefined;
    return c.html(page(c, `Load runs · ${deps.title ?? 'halftime'}`, <LoadRunList runs={await deps.loadRuns.list({ name, limit: 100 })} name={name} />));
  });

  const runsOf = async (ids: number[]) => (await Promise.all(ids.map((id) => deps.loadRuns.get(id)))).filter((r): r is LoadRunDetail => !!r);

  app.get(`${BASE}/compare`, async (c) => {
    const runs = await runsOf(idsFrom(c.req.queries('id')));
    if (runs.length === 0) return c.redirect(BASE);
    return c.html(page(c, `Compare load runs · ${deps.title ?? 'halftime'}`, <LoadRunCompare runs={runs} />));
  });

  app.get(`${BASE}/compare.json`, async (c) => {
    const runs = await runsOf(idsFrom(c.req.queries('ids')));
    return c.json(compareJson(await Promise.all(runs.map(async (r) => ({ id: r.id, name: r.name, durationMs: r.durationMs, rows: await deps.loadRuns.series(r.id) })))));
  });

  app.get(`${BASE}/:id{[0-9]+}`, async (c) => {
    const run = await deps.loadRuns.get(Number(c.req.param('id')));
    if (!run) return c.text('No such load run', 404);
    // Stop is a form post under /admin: it carries the session's CSRF token.
    const csrfToken = (c.var as { admin?: { csrfToken: string } }).admin?.csrfToken;
    const live = csrfToken && deps.isRunning?.(run.id) ? { csrfToken } : undefined;
    return c.html(page(c, `Load run #${run.id} · ${run.name}`, <LoadRunView run={run} live={live} />));
  });

  app.get(`${BASE}/:id{[0-9]+}/series.json`, async (c) => {
    const run = await deps.loadRuns.get(Number(c.req.param('id')));
    if (!run) return c.json({ error: 'no such load run' }, 404);
    return c.json(seriesJson(run, await deps.loadRuns.series(run.id)));
  });
}
