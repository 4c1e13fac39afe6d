import type { MaintenancePeriod } from '../alerting/maintenance.js';
import type { CertificateEvidence } from '../alerting/types.js';
import type { Incident } from '../store/alerts.js';
import { fmtMs, fmtTime } from './format.js';

/** What the status page shows from alerting: the judged state, recent incidents and maintenance windows. */
export type AlertView = {
  state(monitorKey: string): 'up' | 'degraded' | 'down' | 'maintenance' | 'no_data' | null;
  incidents(monitorKey: string): Incident[];
  maintenance: MaintenancePeriod[];
  /** The certificate warning in force for a monitor, or null. */
  certificate(monitorKey: string): CertificateEvidence | null;
};

/** The part of the alerting service the web needs. */
export type AlertsReader = {
  status(monitorKey: string): 'up' | 'degraded' | 'down' | 'maintenance' | 'no_data';
  incidents(monitorKey: string, since: number, limit?: number): Promise<Incident[]>;
  maintenance: { upcoming(now: number, horizonMs?: number): MaintenancePeriod[] };
  /** Certificate warnings in force (alerts.certificate), from memory. */
  certificate?(monitorKey: string): CertificateEvidence | null;
};

const DAY = 86_400_000;

/**
 * The alert side of one status page: states for every monitor (from memory), maintenance windows
 * touching the listed ones, and the recent incidents of those the page shows (read once, here).
 */
export async function buildAlertView(reader: AlertsReader, now: number, visibleKeys: string[], shownKeys: string[]): Promise<AlertView> {
  const visible = new Set(visibleKeys);
  const incidents = new Map<string, Incident[]>();
  for (const key of new Set(shownKeys)) incidents.set(key, await reader.incidents(key, now - 14 * DAY, 5));
  return {
    state: (key) => reader.status(key),
    incidents: (key) => incidents.get(key) ?? [],
    certificate: (key) => reader.certificate?.(key) ?? null,
    maintenance: reader.maintenance.upcoming(now, DAY).filter((w) => w.monitors === null || w.monitors.some((k) => visible.has(k))),
  };
}

const when = (t: number) => fmtTime(t);

function span(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 60) return `${Math.max(1, min)} min`;
  if (min < 48 * 60) return `${+(min / 60).toFixed(1)} h`;
  return `${+(min / 1440).toFixed(1)} d`;
}

export function RecentIncidents(props: { incidents: Incident[]; now: number }) {
  if (props.incidents.length === 0) return <p class="incidents-none">No incidents in the last 14 days.</p>;
  return (
    <ul class="incidents" aria-label="Recent incidents">
      {props.incidents.map((i) => (
        <li class={`incident incident-${i.kind}${i.endedAt === null ? ' incident-open' : ''}`} data-incident={String(i.id)}>
          <span class="incident-kind">{i.kind === 'down' ? 'Outage' : 'Slow'}</span>{' '}
          <span class="incident-time">
            {when(i.startedAt)} · {i.endedAt === null ? `ongoing for ${span(props.now - i.startedAt)}` : `lasted ${span(i.endedAt - i.startedAt)}`}
          </span>
          {i.kind === 'degraded' && i.worstValue !== null ? <span class="incident-worst"> · worst {fmtMs(i.worstValue)}</span> : null}
          <div class="incident-summary">{i.summary}</div>
        </li>
      ))}
    </ul>
  );
}

export function MaintenanceNotice(props: { windows: MaintenancePeriod[]; now: number }) {
  if (props.windows.length === 0) return null;
  return (
    <ul class="maintenance" aria-label="Maintenance">
      {props.windows.map((w) => (
        <li class={w.start <= props.now ? 'maintenance-now' : 'maintenance-soon'}>
          <strong>{w.start <= props.now ? 'Maintenance in progress' : 'Scheduled maintenance'}:</strong> {w.name}, {when(w.start)} – {when(w.end)}
        </li>
      ))}
    </ul>
  );
}
