import type { DayBar, LocationState, MonitorDetail, MonitorStatus } from '../store/status.js';
import { fmtAgo, fmtMs, fmtPct, fmtTime, publicText } from './format.js';
import { Layout } from './layout.js';
import { Sparkline } from './sparkline.js';
import { MaintenanceNotice, RecentIncidents, type AlertView } from './alert-view.js';
import { CertificateNotice } from './certificate-view.js';
import { bannerOf, DAY_THRESHOLDS, dayTone, type DisplayState, type FailingToday, type Item, type StatusModel, type StatusQuery } from './status-view.js';

const STATE_LABEL: Record<DisplayState, string> = { up: 'Up', down: 'Down', unknown: 'No data yet', degraded: 'Degraded', maintenance: 'Maintenance' };

/** A day's figures, as the bar's label and the line under the bars say them. */
export function dayText(d: DayBar, today = false): string {
  const day = today ? `Today, ${d.day}` : d.day;
  if (d.uptime === null) return `${day}: no data`;
  return `${day}: ${fmtPct(d.uptime)} up (${d.runs} run${d.runs === 1 ? '' : 's'}, ${d.failures} failed)`;
}

/**
 * The daily bars: each a button whose figures show under the bars on a tap, a click or focus
 * (static/status.js; arrow keys move between days). Phones show the last 30 days (CSS).
 */
export function DayBars(props: { days: DayBar[]; name: string }) {
  const last = props.days.length - 1;
  return (
    <>
      <div class="bars" role="group" aria-label={`${props.name}: daily uptime, last ${props.days.length} days (arrow keys move between days)`}>
        {props.days.map((d, i) => {
          const text = dayText(d, i === last);
          return <button type="button" class={`bar bar-${dayTone(d.uptime)}`} title={text} aria-label={text} data-detail={text} tabindex={i === last ? 0 : -1}></button>;
        })}
      </div>
      <div class="bars-legend" aria-hidden="true">
        <span>
          <span class="days-wide">{props.days.length} days ago</span>
          <span class="days-narrow">{Math.min(30, props.days.length)} days ago</span>
        </span>
        <span>today</span>
      </div>
      <p class="day-detail" aria-live="polite">
        {last >= 0 ? dayText(props.days[last], true) : ''}
      </p>
    </>
  );
}

/** What the bar colours mean: one legend per page. */
export function DayLegend() {
  const pct = (r: number) => `${+(r * 100).toFixed(1)}%`;
  return (
    <ul class="day-legend" aria-label="Daily bar colours">
      <li>
        <span class="swatch swatch-up"></span>≥ {pct(DAY_THRESHOLDS.up)} up
      </li>
      <li>
        <span class="swatch swatch-partial"></span>
        {pct(DAY_THRESHOLDS.partial)} to {pct(DAY_THRESHOLDS.up)}
      </li>
      <li>
        <span class="swatch swatch-down"></span>below {pct(DAY_THRESHOLDS.partial)}
      </li>
      <li>
        <span class="swatch"></span>no data
      </li>
      <li>Days are UTC; tap or focus a day for its figures.</li>
    </ul>
  );
}

/** `trend`: the hourly p95 of the last 24 hours, when history is available; it also links the monitor's page. */
/** Several locations: each one's newest run, so a reader sees where it fails (names only, no details). */
export function Where(props: { locations: LocationState[]; name: string; now: number }) {
  if (props.locations.length === 0) return null;
  return (
    <ul class="where" aria-label={`${props.name} by location`}>
      {props.locations.map((l) => (
        <li class={l.ok ? 'where-up' : 'where-down'}>
          <span class="where-name">{l.location}</span> {l.ok ? 'up' : 'failing'} <span class="where-ago">{fmtAgo(l.at, props.now)}</span>
        </li>
      ))}
    </ul>
  );
}

export function MonitorCard(props: { m: MonitorStatus; state: DisplayState; now: number; alerts?: AlertView; trend?: (number | null)[] }) {
  const { m, now, trend, state } = props;
  return (
    <li class={`monitor state-${state}`} data-monitor={m.key} id={`monitor-${m.key}`}>
      <div class="monitor-head">
        <h2>{m.name}</h2>
        <span class={`badge badge-${state}`}>{STATE_LABEL[state]}</span>
      </div>
      {m.description ? <p class="desc">{m.description}</p> : null}
      <dl class="facts">
        <div>
          <dt>Last check</dt>
          <dd>{fmtAgo(m.lastRunAt, now)}</dd>
        </div>
        <div>
          <dt>Last latency</dt>
          <dd>{fmtMs(m.lastLatencyMs)}</dd>
        </div>
        <div>
          <dt>Uptime 24 h</dt>
          <dd>{fmtPct(m.uptime24h)}</dd>
        </div>
      </dl>
      {trend ? (
        <div class="trend">
          <Sparkline values={trend} caption />
          <a class="history-link" href={`/monitors/${encodeURIComponent(m.key)}`}>
            Latency history<span class="sr"> of {m.name}</span> →
          </a>
        </div>
      ) : null}
      <Where locations={m.locations} name={m.name} now={now} />
      <DayBars days={m.days} name={m.name} />
      {props.alerts ? <CertificateNotice certificate={props.alerts.certificate(m.key)} /> : null}
      {props.alerts ? <RecentIncidents incidents={props.alerts.incidents(m.key).map((i) => ({ ...i, summary: publicText(i.summary) }))} now={now} /> : null}
    </li>
  );
}

/** Shown monitors that are up now but whose day so far is not green. */
function failingToday(data: StatusPageData): FailingToday[] {
  const out: FailingToday[] = [];
  const seen = new Set<number>();
  for (const m of [...data.model.attention, ...data.model.items]) {
    if (seen.has(m.id) || m.shown !== 'up') continue;
    seen.add(m.id);
    const today = data.details.get(m.id)?.days.at(-1);
    if (today && today.uptime !== null && dayTone(today.uptime) !== 'up') out.push({ name: m.name, uptime: today.uptime });
  }
  return out;
}

/** Everything one status page shows, with the full figures of the monitors on it. */
export type StatusPageData = {
  model: StatusModel;
  details: Map<number, MonitorDetail>;
  trends?: Map<number, (number | null)[]>;
  alerts?: AlertView;
  now: number;
};

/** `?page=`, `?q=` and `?group=` links that keep the other parameters. */
function href(q: StatusQuery, change: Partial<StatusQuery>): string {
  const next = { ...q, ...change };
  const params = new URLSearchParams();
  if (next.q) params.set('q', next.q);
  if (next.group) params.set('group', next.group);
  if (next.page > 1) params.set('page', String(next.page));
  const s = params.toString();
  return s ? `/?${s}` : '/';
}

function Cards(props: { items: Item[]; data: StatusPageData }) {
  const { data } = props;
  let group: string | null = null;
  const out = [];
  for (const m of props.items) {
    if (m.group !== group && m.group && !data.model.query.group) {
      const g = data.model.groups.find((x) => x.name === m.group)!;
      out.push(
        <li class="group-head">
          <h2>
            <a href={href(data.model.query, { group: g.name, page: 1, q: '' })}>{g.name}</a>
          </h2>
          <span class={`badge badge-${g.state}`}>{STATE_LABEL[g.state]}</span>
          <span class="group-count">
            {g.total} monitor{g.total === 1 ? '' : 's'}
            {g.down ? `, ${g.down} down` : ''}
            {g.degraded ? `, ${g.degraded} degraded` : ''}
          </span>
        </li>,
      );
    }
    group = m.group;
    const detail = data.details.get(m.id) ?? { uptime24h: null, runs24h: 0, days: [], locations: [] };
    out.push(<MonitorCard m={{ ...m, ...detail }} state={m.shown} now={data.now} alerts={data.alerts} trend={data.trends?.get(m.id)} />);
  }
  return <>{out}</>;
}

export function StatusList(props: { data: StatusPageData }) {
  const { model, alerts, now } = props.data;
  const banner = bannerOf(model.totals, failingToday(props.data));
  const q = model.query;
  const filtered = !!(q.q || q.group);
  return (
    <section id="status" hx-get={`/partials${href(q, {}).replace(/^\/\??/, '/status?')}`} hx-trigger="every 30s" hx-swap="outerHTML">
      <p class={`summary summary-${banner.tone}`} role="status">
        {banner.text}
        {banner.more ? <span class="summary-more">{banner.more}</span> : null}
      </p>
      {alerts ? <MaintenanceNotice windows={alerts.maintenance} now={now} /> : null}
      {model.totals.all > 10 || filtered ? (
        <form class="status-search" method="get" action="/" role="search">
          <label for="status-q">
            Find a monitor
            <input id="status-q" name="q" type="search" value={q.q} maxlength={100} />
          </label>
          {q.group ? <input type="hidden" name="group" value={q.group} /> : null}
          <button type="submit">Search</button>
          {filtered ? <a href="/">Show all</a> : null}
        </form>
      ) : null}
      {q.group ? <h2 class="group-title">{q.group}</h2> : null}
      {model.attention.length > 0 && model.totals.all > model.pageSize ? (
        <>
          <h2 class="attention">Needs attention</h2>
          <ul class="monitors">
            <Cards items={model.attention} data={{ ...props.data }} />
          </ul>
        </>
      ) : null}
      {filtered && model.matched === 0 ? <p class="none">No monitor matches.</p> : null}
      <ul class="monitors">
        <Cards items={model.items} data={props.data} />
      </ul>
      {model.pages > 1 ? (
        <nav class="pages" aria-label="Pages">
          {model.page > 1 ? <a rel="prev" href={href(q, { page: model.page - 1 })}>← Previous</a> : <span></span>}
          <span>
            Page {model.page} of {model.pages} · {model.matched} monitors
          </span>
          {model.page < model.pages ? <a rel="next" href={href(q, { page: model.page + 1 })}>Next →</a> : <span></span>}
        </nav>
      ) : null}
      {model.items.length + model.attention.length > 0 ? <DayLegend /> : null}
      <p class="updated">Updated {fmtTime(now, { seconds: true })}</p>
    </section>
  );
}

export function StatusPage(props: { title: string; data: StatusPageData }) {
  return (
    <Layout title={props.title} head={<script src="/static/status.js" defer></script>}>
      <header class="top">
        <h1>{props.title}</h1>
      </header>
      <main>
        <StatusList data={props.data} />
      </main>
      <footer>
        Powered by <strong>halftime</strong>
      </footer>
    </Layout>
  );
}
