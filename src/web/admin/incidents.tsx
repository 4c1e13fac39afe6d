import type { MaintenancePeriod } from '../../alerting/maintenance.js';
import { FactList } from '../fact-list.js';
import type { AlertEvidence } from '../../alerting/types.js';
import type { IncidentListItem } from '../../store/alerts.js';
import { MaintenanceNotice } from '../alert-view.js';
import { fmtAgo, fmtMs, fmtTime } from '../format.js';
import { CsrfField } from './admin-layout.js';

/** What the operator's pages need of the incident records (the alert store has it). */
export type IncidentsReader = {
  listIncidents(opts?: { open?: boolean; monitor?: string; before?: { at: number; id?: number }; limit?: number }): Promise<IncidentListItem[]>;
  acknowledge(id: number, by: string, now: number): Promise<{ ok: true; incident: IncidentListItem } | { ok: false; reason: 'not-found' | 'closed' }>;
};

/** Maintenance windows active now or starting within the horizon. */
export type MaintenanceReader = { upcoming(now: number, horizonMs?: number): MaintenancePeriod[] };

const when = (t: number) => fmtTime(t);
const ackUrl = (id: number) => `/admin/incidents/${id}/acknowledge`;

/** The evidence kept with an incident, as facts: the failure for outages, the rule and its numbers for slowness. */
export function EvidenceFacts(props: { evidence: unknown }) {
  const e = (props.evidence ?? {}) as AlertEvidence;
  const facts: [string, string][] = [];
  if (e.failures !== undefined) facts.push(['Failed checks in a row', String(e.failures)]);
  const f = e.lastFailure;
  if (f) {
    if (f.step) facts.push(['Step', f.step]);
    if (f.status !== undefined) facts.push(['Status', String(f.status)]);
    if (f.code || f.message) facts.push(['Failure', [f.code, f.message].filter(Boolean).join(': ')]);
  }
  const l = e.latency;
  if (l) {
    facts.push(['Rule', l.rule + (l.step ? ` (step ${l.step})` : '')]);
    facts.push([`p${Math.round(l.percentile * 100)} measured`, `${fmtMs(l.actualMs)} over ${l.samples} samples`]);
    facts.push(['Threshold', fmtMs(l.thresholdMs)]);
    if (l.baselineMs !== undefined) {
      const n = l.baselineSamples !== undefined ? `, ${l.baselineSamples} samples` : '';
      facts.push(['Baseline', `${fmtMs(l.baselineMs)} (${l.baselineLabel ?? 'baseline'}${n}) × ${l.factor}`]);
    }
  }
  if (facts.length === 0) return null;
  return <FactList facts={facts} class="evidence-facts" />;
}

const valueText = (kind: IncidentListItem['kind'], v: number | null) => (v === null ? '–' : kind === 'degraded' ? fmtMs(v) : `${v} failed in a row`);

/**
 * The evidence of an incident, kept apart: what opened it, its worst moment (when it got worse) and
 * the measurement it closed on — a closed DEGRADED incident shows the latency that crossed the limit,
 * not only the recovering one.
 */
export function IncidentEvidence(props: { incident: IncidentListItem }) {
  const i = props.incident;
  const worse = i.worstEvidence !== null && i.worstValue !== null && i.worstValue !== i.openedValue;
  return (
    <details class="incident-evidence">
      <summary>Evidence</summary>
      <div class="evidence-part" data-part="opened">
        <h4>
          Opened on{i.openedValue !== null ? ` ${valueText(i.kind, i.openedValue)}` : ''}
          {i.openedValue === null ? <span class="muted small"> (recorded before opening evidence was kept apart: the last evidence written)</span> : null}
        </h4>
        <EvidenceFacts evidence={i.evidence} />
      </div>
      {worse ? (
        <div class="evidence-part" data-part="worst">
          <h4>Worst: {valueText(i.kind, i.worstValue)}</h4>
          <EvidenceFacts evidence={i.worstEvidence} />
        </div>
      ) : null}
      {i.endedAt !== null && i.closedEvidence !== null ? (
        <div class="evidence-part" data-part="closed">
          <h4>Closed on{i.closedValue !== null ? ` ${valueText(i.kind, i.closedValue)}` : ' recovery'}</h4>
          <EvidenceFacts evidence={i.closedEvidence} />
        </div>
      ) : null}
    </details>
  );
}

/** One incident as a table row; an open, unacknowledged one has an Acknowledge button (htmx swaps the row). */
export function IncidentRow(props: { incident: IncidentListItem; now: number; csrfToken: string; showMonitor: boolean; next: string }) {
  const i = props.incident;
  const open = i.endedAt === null;
  return (
    <tr class={`incident incident-${i.kind}${open ? ' incident-open' : ''}`} data-incident={String(i.id)}>
      {props.showMonitor ? (
        <td data-label="Monitor">
          <a href={`/admin/monitors/${encodeURIComponent(i.monitorKey)}`}>{i.monitorName}</a>
        </td>
      ) : null}
      <td data-label="Kind">
        <span class={`badge badge-${i.kind === 'down' ? 'down' : 'degraded'}`}>{i.kind === 'down' ? 'Outage' : 'Slow'}</span>
      </td>
      <td data-label="Started">
        {when(i.startedAt)} <span class="muted small">({fmtAgo(i.startedAt, props.now)})</span>
      </td>
      <td data-label="Ended">{open ? <strong>ongoing</strong> : when(i.endedAt!)}</td>
      <td class="num" data-label="Worst">
        {i.worstValue === null ? '–' : i.kind === 'degraded' ? fmtMs(i.worstValue) : `${i.worstValue} failed`}
      </td>
      <td data-label="What happened">
        <div class="incident-summary">{i.summary}</div>
        <IncidentEvidence incident={i} />
      </td>
      <td class="ack">
        {i.acknowledgedAt !== null ? (
          <span class="muted small">
            Acknowledged by {i.acknowledgedBy ?? 'someone'} {fmtAgo(i.acknowledgedAt, props.now)}
          </span>
        ) : open ? (
          <form method="post" action={ackUrl(i.id)} hx-post={ackUrl(i.id)} hx-target="closest tr" hx-swap="outerHTML" class="inline">
            <CsrfField token={props.csrfToken} />
            <input type="hidden" name="next" value={props.next} />
            {props.showMonitor ? <input type="hidden" name="showMonitor" value="1" /> : null}
            <button type="submit">Acknowledge</button>
          </form>
        ) : null}
      </td>
    </tr>
  );
}

export function IncidentTable(props: { incidents: IncidentListItem[]; now: number; csrfToken: string; showMonitor: boolean; next: string; empty: string }) {
  if (props.incidents.length === 0) return <p class="muted incidents-none">{props.empty}</p>;
  return (
    <table class="incidents-table stack">
      <thead>
        <tr>
          {props.showMonitor ? <th>Monitor</th> : null}
          <th>Kind</th>
          <th>Started</th>
          <th>Ended</th>
          <th class="num">Worst</th>
          <th>What happened</th>
          <th>
            <span class="sr">Acknowledgement</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.incidents.map((i) => (
          <IncidentRow incident={i} now={props.now} csrfToken={props.csrfToken} showMonitor={props.showMonitor} next={props.next} />
        ))}
      </tbody>
    </table>
  );
}

/** The dashboard's top section: open incidents of every monitor and maintenance windows; refreshed when runs are written. */
export function OpenIncidents(props: { incidents: IncidentListItem[]; maintenance: MaintenancePeriod[]; now: number; csrfToken: string }) {
  return (
    <section id="open-incidents" class="card" hx-get="/admin/partials/incidents" hx-trigger="sse:runs" hx-swap="outerHTML">
      <h2>Open incidents ({props.incidents.length})</h2>
      <IncidentTable incidents={props.incidents} now={props.now} csrfToken={props.csrfToken} showMonitor next="/admin" empty="No open incidents." />
      <MaintenanceNotice windows={props.maintenance} now={props.now} />
    </section>
  );
}

/** A monitor's incidents (open and recent) and the maintenance windows that cover it. */
export function MonitorIncidents(props: { monitorKey: string; incidents: IncidentListItem[]; maintenance: MaintenancePeriod[]; now: number; csrfToken: string }) {
  return (
    <section id="monitor-incidents" class="card">
      <h2>Incidents</h2>
      <IncidentTable
        incidents={props.incidents}
        now={props.now}
        csrfToken={props.csrfToken}
        showMonitor={false}
        next={`/admin/monitors/${encodeURIComponent(props.monitorKey)}`}
        empty="No incidents recorded."
      />
      {props.maintenance.length > 0 ? <h3>Maintenance</h3> : null}
      <MaintenanceNotice windows={props.maintenance} now={props.now} />
    </section>
  );
}
