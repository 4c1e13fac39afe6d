import type { Child } from 'hono/jsx';
import type { AdminMonitorRow } from '../../store/admin-queries.js';
import type { RunDetail, RunRow } from '../../store/runs.js';
import type { MonitorInfo, Series } from '../../store/history.js';
import { fmtAgo, fmtMs, fmtPhase, fmtTime } from '../format.js';
import { ADMIN_URLS, ChartAssets, evidenceActual, HistorySection, RunsTable, type StepChoice } from '../monitor-page.js';
import { AdminLayout, CsrfField } from './admin-layout.js';
import { STATE_LABEL } from './dashboard.js';
import { Sparkline } from '../sparkline.js';
import { TraceRefView, type ShownTrace } from '../trace-ref.js';
import { CertificateFacts, CertificateNotice } from '../certificate-view.js';
import type { CertificateEvidence } from '../../alerting/types.js';
import { BrowserStepView } from '../browser-step.js';


const PHASES = [
  ['dns', 'DNS'],
  ['connect', 'Connect'],
  ['tls', 'TLS'],
  ['ttfb', 'TTFB'],
  ['download', 'Download'],
  ['total', 'Total'],
] as const;

/** The step table of one run, with the timing breakdown and the evidence of every expectation. */
export function RunResultView(props: { run: RunDetail; note?: string; trace?: ShownTrace }) {
  const { run } = props;
  const aborted = !run.ok && run.failureCode === 'aborted';
  return (
    <section class={`run-result ${run.ok ? 'run-ok' : aborted ? 'run-aborted' : 'run-failed'}`} data-run={run.id}>
      <h3>
        Run #{run.id}: <span class={`badge badge-${run.ok ? 'up' : aborted ? 'unknown' : 'down'}`}>{run.ok ? 'Passed' : aborted ? 'Aborted' : 'Failed'}</span> in {fmtMs(run.durationMs)}
        <span class="muted small"> at {fmtTime(run.startedAt, { seconds: true })}</span>
      </h3>
      {props.note ? <p class="muted">{props.note}</p> : null}
      {aborted ? <p class="muted">Cut off by a shutdown before it finished: kept for the record, left out of uptime, latency and alert rules.</p> : null}
      <TraceRefView trace={props.trace} />
      {run.failureMessage ? (
        <p class="error">
          {run.failureCode}: {run.failureMessage}
        </p>
      ) : null}
      <table class="steps stack">
        <thead>
          <tr>
            <th>#</th>
            <th>Step</th>
            <th>Status</th>
            {PHASES.map(([, label]) => (
              <th class="num">{label}</th>
            ))}
            <th class="num">Bytes</th>
          </tr>
        </thead>
        <tbody>
          {run.steps.map((s) => (
            <>
              <tr class={s.ok ? 'step-ok' : 'step-failed'}>
                <td data-label="#">{s.index + 1}</td>
                <td class="step-name" data-label="Step">
                  <div>
                    <strong>{s.name}</strong>
                    <div class="muted small">
                      {s.method} {s.url}
                    </div>
                  </div>
                </td>
                <td data-label="Status">
                  <span class={`badge badge-${s.ok ? 'up' : 'down'}`}>{s.status ?? s.failureCode ?? '–'}</span>
                </td>
                {PHASES.map(([k, label]) => {
                  // A phase that did not happen (TLS on http, DNS for an IP address, a reused connection) is absent, not "<1 ms".
                  const shown = k === 'total' || k === 'ttfb' || k === 'download' ? fmtMs(s.timings[k]) : fmtPhase(s.timings[k]);
                  return (
                    <td class={shown === 'none' ? 'num phase-none' : 'num'} data-label={label}>
                      {shown}
                    </td>
                  );
                })}
                <td class="num" data-label="Bytes">
                  {s.bytes}
                </td>
              </tr>
              <tr class="evidence-row">
                <td></td>
                <td colspan={9}>
                  {s.failureMessage ? <p class="error small">{s.failureMessage}</p> : null}
                  <CertificateFacts tls={s.tls} />
                  <ul class="evidence">
                    {s.evidence.map((e) => (
                      <li class={e.pass ? 'pass' : 'fail'}>
                        {e.pass ? '✓' : '✗'} {e.what}: expected {e.expected}, got {evidenceActual(e, s)}
                      </li>
                    ))}
                  </ul>
                  <BrowserStepView b={s.browser} screenshot={(name) => `/admin/runs/${run.id}/artifacts/${encodeURIComponent(name)}`} />
                </td>
              </tr>
            </>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * Recent runs of one monitor (the history page's table: each run expands to its steps, its time links
 * to the run's page); refreshes itself when this monitor's runs are written.
 */
export function RecentRuns(props: { monitorKey: string; runs: RunRow[]; expandable: boolean }) {
  return (
    <div id="recent-runs" hx-get={`/admin/partials/monitors/${encodeURIComponent(props.monitorKey)}/runs`} hx-trigger={`sse:run-${props.monitorKey}`} hx-swap="outerHTML">
      <RunsTable m={{ key: props.monitorKey }} runs={props.runs} urls={ADMIN_URLS} runHref={(id) => `/admin/runs/${id}`} expandable={props.expandable} audience="operator" />
    </div>
  );
}

/** The latency history block of the admin monitor page: the public page's chart section under /admin URLs. */
export type AdminHistory = { info: MonitorInfo; s: Series; steps: StepChoice[] };

export function MonitorPageView(props: {
  title: string;
  username: string;
  csrfToken: string;
  m: AdminMonitorRow;
  runs: RunRow[];
  now: number;
  canRun: boolean;
  /** The chart section (when the latency history is wired in). */
  history?: AdminHistory;
  /** Incidents and maintenance (when alerting is wired in). */
  incidents?: Child;
  /** Sections other features add (load checks…). */
  sections?: Child[];
  /** The certificate warning in force, if any. */
  certificate?: CertificateEvidence | null;
}) {
  const { m } = props;
  return (
    <AdminLayout title={`${m.name} · ${props.title}`} username={props.username} csrfToken={props.csrfToken} sse head={props.history ? <ChartAssets /> : undefined}>
      <div hx-ext="sse" sse-connect="/admin/events">
        <p class="crumbs">
          <a href="/admin">Monitors</a> / {m.key}
        </p>
        <h1>
          {m.name} <span class={`badge badge-${m.state}`}>{STATE_LABEL[m.state]}</span>
          <span class={`tag ${m.public ? 'tag-public' : 'tag-private'}`}>{m.public ? 'public' : 'private'}</span>
        </h1>
        {m.description ? <p class="desc">{m.description}</p> : null}
        <CertificateNotice certificate={props.certificate ?? null} />
        <dl class="facts">
          <div>
            <dt>Schedule</dt>
            <dd>{m.schedule}</dd>
          </div>
          <div>
            <dt>Last run</dt>
            <dd>{fmtAgo(m.lastRunAt, props.now)}</dd>
          </div>
          <div>
            <dt>Last latency</dt>
            <dd>{fmtMs(m.lastLatencyMs)}</dd>
          </div>
          <div>
            <dt>p95, last hour</dt>
            <dd>
              {fmtMs(m.p95HourMs)} <span class="muted small">({m.runsHour} runs)</span>
            </dd>
          </div>
          <div>
            <dt>Last 24 h (hourly p95)</dt>
            <dd>
              <Sparkline values={m.spark} failures={m.sparkFailures} width={240} height={40} caption />
            </dd>
          </div>
        </dl>
        {props.canRun ? (
          <section class="card">
            <form method="post" action={`/admin/monitors/${encodeURIComponent(m.key)}/run`} hx-post={`/admin/monitors/${encodeURIComponent(m.key)}/run`} hx-target="#run-result" hx-swap="innerHTML" hx-disabled-elt="find button" class="run-now">
              <CsrfField token={props.csrfToken} />
              <button type="submit">Run now</button>
              <span class="muted small">Runs the journey once, outside its schedule, and shows every step.</span>
            </form>
            <div id="run-result" aria-live="polite"></div>
          </section>
        ) : null}
        {props.incidents ?? null}
        {props.history ? <HistorySection m={props.history.info} s={props.history.s} steps={props.history.steps} urls={ADMIN_URLS} /> : null}
        {props.sections ?? null}
        <h2>Recent runs</h2>
        <RecentRuns monitorKey={m.key} runs={props.runs} expandable={!!props.history} />
      </div>
    </AdminLayout>
  );
}

export function RunPage(props: { title: string; username: string; csrfToken: string; run: RunDetail; monitorName: string; trace?: ShownTrace }) {
  return (
    <AdminLayout title={`Run #${props.run.id} · ${props.title}`} username={props.username} csrfToken={props.csrfToken}>
      <p class="crumbs">
        <a href="/admin">Monitors</a> / <a href={`/admin/monitors/${encodeURIComponent(props.run.monitor)}`}>{props.monitorName}</a> / run #{props.run.id}
      </p>
      <RunResultView run={props.run} trace={props.trace} />
    </AdminLayout>
  );
}
