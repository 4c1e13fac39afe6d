import type { Child } from 'hono/jsx';
import type { AdminMonitorRow, MonitorPage, OperatorState } from '../../store/admin-queries.js';
import { fmtAgo, fmtMs, fmtTime } from '../format.js';
import { STATE_LABEL } from '../monitor-state.js';
import { AdminLayout } from './admin-layout.js';
import { Sparkline } from '../sparkline.js';

export type DashboardFilters = { state?: OperatorState; q?: string; page?: number };

export { STATE_LABEL };

/** Query string for the dashboard with these filters (page 1 is left out). */
export function filterQuery(f: DashboardFilters): string {
  const p = new URLSearchParams();
  if (f.state) p.set('state', f.state);
  if (f.q) p.set('q', f.q);
  if (f.page && f.page > 1) p.set('page', String(f.page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** A count in the state's colour, only when it counts something ("0 down" is not an alarm). */
function Count(props: { n: number; kind: 'up' | 'down' | 'degraded'; text: string }) {
  return <span class={props.n > 0 ? `c-${props.kind}` : `c-${props.kind} c-zero`}>{`${props.n} ${props.text}`}</span>;
}

function Row(props: { m: AdminMonitorRow; now: number }) {
  const { m, now } = props;
  return (
    <tr class={`state-${m.state}`} data-monitor={m.key}>
      <td>
        <a href={`/admin/monitors/${encodeURIComponent(m.key)}`}>{m.name}</a>
        <span class={`tag ${m.public ? 'tag-public' : 'tag-private'}`}>{m.public ? 'public' : 'private'}</span>
        {m.lastFailure ? <div class="failure">{m.lastFailure.length > 160 ? m.lastFailure.slice(0, 160) + '…' : m.lastFailure}</div> : null}
      </td>
      <td data-label="State">
        <span class={`badge badge-${m.state}`}>{STATE_LABEL[m.state]}</span>
      </td>
      <td class="num" data-field="last-run" data-label="Last run">
        {fmtAgo(m.lastRunAt, now)}
      </td>
      <td class="num" data-field="last-latency" data-label="Last latency">
        {fmtMs(m.lastLatencyMs)}
      </td>
      <td class="num" data-field="p95" data-label="p95 1 h (runs)">
        {fmtMs(m.p95HourMs)}
        <span class="muted small"> ({m.runsHour})</span>
      </td>
      <td class="trend-cell" data-label="24 h p95">
        <Sparkline values={m.spark} failures={m.sparkFailures} />
      </td>
    </tr>
  );
}

/** The live part of the dashboard: re-fetches itself (same filters, same page) whenever runs are written. */
export function MonitorTable(props: { page: MonitorPage; filters: DashboardFilters; now: number }) {
  const { page, filters, now } = props;
  const self = `/admin/partials/monitors${filterQuery({ ...filters, page: page.page })}`;
  const link = (n: number) => filterQuery({ ...filters, page: n });
  const c = page.counts;
  return (
    <div id="monitor-table" hx-get={self} hx-trigger="sse:runs" hx-swap="outerHTML">
      <p class="counts">
        {c.all} monitors{filters.q ? ` matching “${filters.q}”` : ''}: <Count n={c.up} kind="up" text="up" />, <Count n={c.down} kind="down" text="down" />,{' '}
        {c.degraded > 0 ? <><Count n={c.degraded} kind="degraded" text="degraded" />, </> : null}
        {c.maintenance > 0 ? <><span class="c-maintenance">{c.maintenance} in maintenance</span>, </> : null}
        <span class="c-unknown">{c.unknown} without data</span>
      </p>
      <table class="monitors-table stack">
        <thead>
          <tr>
            <th>Monitor</th>
            <th>State</th>
            <th class="num">Last run</th>
            <th class="num">Last latency</th>
            <th class="num">p95 1 h (runs)</th>
            <th class="trend-cell">24 h p95</th>
          </tr>
        </thead>
        <tbody>
          {page.rows.length === 0 ? (
            <tr>
              <td colspan={6} class="muted">
                No monitor matches.
              </td>
            </tr>
          ) : (
            page.rows.map((m) => <Row m={m} now={now} />)
          )}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        {page.page > 1 ? (
          <a href={`/admin${link(page.page - 1)}`} hx-get={`/admin/partials/monitors${link(page.page - 1)}`} hx-target="#monitor-table" hx-swap="outerHTML" rel="prev">
            ← Previous
          </a>
        ) : null}
        <span>
          Page {page.page} of {page.pages} ({page.total} shown by this filter)
        </span>
        {page.page < page.pages ? (
          <a href={`/admin${link(page.page + 1)}`} hx-get={`/admin/partials/monitors${link(page.page + 1)}`} hx-target="#monitor-table" hx-swap="outerHTML" rel="next">
            Next →
          </a>
        ) : null}
      </nav>
      <p class="updated">Updated {fmtTime(now, { seconds: true })}</p>
    </div>
  );
}

export function DashboardPage(props: { title: string; username: string; csrfToken: string; page: MonitorPage; filters: DashboardFilters; now: number; sections?: Child[] }) {
  const f = props.filters;
  return (
    <AdminLayout title={`Dashboard · ${props.title}`} username={props.username} csrfToken={props.csrfToken} sse>
      <div hx-ext="sse" sse-connect="/admin/events">
        {props.sections ?? null}
        <h1>Monitors</h1>
        <form id="filters" class="filters" method="get" action="/admin" hx-get="/admin/partials/monitors" hx-target="#monitor-table" hx-swap="outerHTML" hx-trigger="input changed delay:300ms from:#q, change from:#state, submit">
          <label>
            Search
            <input id="q" name="q" type="search" value={f.q ?? ''} placeholder="name or id" autocomplete="off" />
          </label>
          <label>
            State
            <select id="state" name="state">
              <option value="" selected={!f.state}>
                All
              </option>
              {(['down', 'degraded', 'up', 'maintenance', 'unknown'] as const).map((s) => (
                <option value={s} selected={f.state === s}>
                  {STATE_LABEL[s]}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="secondary">
            Filter
          </button>
        </form>
        <MonitorTable page={props.page} filters={f} now={props.now} />
      </div>
    </AdminLayout>
  );
}
