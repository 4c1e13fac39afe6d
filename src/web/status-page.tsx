import type { DayBar, MonitorStatus } from '../store/queries.js';
import { fmtAgo, fmtMs, fmtPct } from './format.js';
import { Layout } from './layout.js';
import { P95Sparkline } from './sparkline.js';
import { MaintenanceNotice, RecentIncidents, type AlertView } from './alert-view.js';
import { judgedState } from './monitor-state.js';

const STATE_LABEL = { up: 'Up', down: 'Down', unknown: 'No data yet', no_data: 'No data yet', degraded: 'Degraded', maintenance: 'Maintenance' } as const;

/** The alert engine's judgement when alerting runs, else the last run's result (the same everywhere: see monitor-state.ts). */
const stateOf = (m: MonitorStatus, alerts?: AlertView) => judgedState(m.state, alerts?.state(m.key));

function barClass(d: DayBar): string {
  if (d.uptime === null) return 'bar none';
  if (d.uptime >= 0.999) return 'bar ok';
  if (d.uptime >= 0.95) return 'bar warn';
  return 'bar bad';
}

function barTitle(d: DayBar): string {
  return d.uptime === null ? `${d.day}: no data` : `${d.day}: ${fmtPct(d.uptime)} up (${d.runs} runs, ${d.failures} failed)`;
}

export function DayBars(props: { days: DayBar[] }) {
  return (
    <div class="bars" role="img" aria-label={`Daily uptime for the last ${props.days.length} days`}>
      {props.days.map((d) => (
        <span class={barClass(d)} title={barTitle(d)}></span>
      ))}
    </div>
  );
}

/** `trend`: the hourly p95 of the last 24 hours, when history is available; it also links the monitor's page. */
export function MonitorCard(props: { m: MonitorStatus; now: number; alerts?: AlertView; trend?: (number | null)[] }) {
  const { m, now, trend } = props;
  const state = stateOf(m, props.alerts);
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
          <P95Sparkline values={trend} />
          <a class="history-link" href={`/monitors/${encodeURIComponent(m.key)}`}>
            Latency history →
          </a>
        </div>
      ) : null}
      <DayBars days={m.days} />
      <div class="bars-legend">
        <span>{m.days.length} days ago</span>
        <span>today (UTC)</span>
      </div>
      {props.alerts ? <RecentIncidents incidents={props.alerts.incidents(m.key)} now={now} /> : null}
    </li>
  );
}

export function StatusList(props: { monitors: MonitorStatus[]; now: number; alerts?: AlertView; trends?: Map<number, (number | null)[]> }) {
  const { monitors, now, alerts, trends } = props;
  const down = monitors.filter((m) => stateOf(m, alerts) === 'down').length;
  const degraded = monitors.filter((m) => stateOf(m, alerts) === 'degraded').length;
  const known = monitors.filter((m) => m.state !== 'unknown').length;
  const summary =
    monitors.length === 0 ? 'No public monitors yet' : known === 0 ? 'Waiting for the first checks' : down > 0 ? `${down} of ${monitors.length} down` : degraded > 0 ? `Degraded performance: ${degraded} of ${monitors.length} slow` : 'All systems operational';
  return (
    <section id="status" hx-get="/partials/status" hx-trigger="every 30s" hx-swap="outerHTML">
      <p class={`summary ${down > 0 ? 'summary-down' : known === 0 ? 'summary-unknown' : degraded > 0 ? 'summary-degraded' : 'summary-up'}`}>{summary}</p>
      {alerts ? <MaintenanceNotice windows={alerts.maintenance} now={now} /> : null}
      <ul class="monitors">
        {monitors.map((m) => (
          <MonitorCard m={m} now={now} alerts={alerts} trend={trends?.get(m.id)} />
        ))}
      </ul>
      <p class="updated">Updated {new Date(now).toISOString().replace('T', ' ').slice(0, 19)} UTC</p>
    </section>
  );
}

export function StatusPage(props: { title: string; monitors: MonitorStatus[]; now: number; alerts?: AlertView; trends?: Map<number, (number | null)[]> }) {
  return (
    <Layout title={props.title}>
      <header class="top">
        <h1>{props.title}</h1>
      </header>
      <main>
        <StatusList monitors={props.monitors} now={props.now} alerts={props.alerts} trends={props.trends} />
      </main>
      <footer>
        Powered by <strong>halftime</strong>
      </footer>
    </Layout>
  );
}
