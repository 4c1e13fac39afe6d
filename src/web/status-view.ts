/**
 * The public status page's model: totals over every public monitor (from the small index the writer
 * keeps), then one page of monitors to show in full. A page shows at most `pageSize` monitors, so a
 * render costs the same with 50 monitors or 10,000; groups, search and "needs attention" keep a large
 * installation readable.
 */
import { z } from 'zod';
import type { MonitorIndexRow } from '../store/status.js';
import type { AlertView } from './alert-view.js';
import { fmtPct } from './format.js';
import { judgedState } from './monitor-state.js';

export type DisplayState = 'up' | 'down' | 'degraded' | 'maintenance' | 'unknown';

export type StatusQuery = { page: number; q: string; group: string };

/** Query parameters of the status page; anything odd falls back to the first page, unfiltered. */
export const statusQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  q: z.string().trim().max(100).catch(''),
  group: z.string().trim().max(100).catch(''),
});

export const parseStatusQuery = (raw: Record<string, string | undefined>): StatusQuery =>
  statusQuerySchema.parse({ page: raw.page ?? 1, q: raw.q ?? '', group: raw.group ?? '' });

export type Item = MonitorIndexRow & { shown: DisplayState };

export type GroupSummary = { name: string; state: DisplayState; total: number; down: number; degraded: number; unknown: number };

export type StatusModel = {
  totals: Record<DisplayState, number> & { all: number };
  /** Down or degraded monitors (first page only, unfiltered). */
  attention: Item[];
  groups: GroupSummary[];
  /** The page's monitors, in config order. */
  items: Item[];
  query: StatusQuery;
  /** Monitors matching the search or group. */
  matched: number;
  page: number;
  pages: number;
  pageSize: number;
};

/** The alert engine's judgement when alerting runs, else the newest run's result (one state everywhere: monitor-state.ts). */
export const displayState = (m: MonitorIndexRow, alerts?: AlertView): DisplayState => judgedState(m.state, alerts?.state(m.key));

const SEVERITY: Record<DisplayState, number> = { down: 4, degraded: 3, maintenance: 2, unknown: 1, up: 0 };

/** A group's state is its worst member's (a member without data only shows while none has data). */
function groupState(members: Item[]): DisplayState {
  let worst: DisplayState = 'up';
  for (const m of members) if (SEVERITY[m.shown] > SEVERITY[worst]) worst = m.shown;
  if (worst === 'unknown' && members.some((m) => m.shown === 'up')) return 'up';
  return worst;
}

export function buildStatusModel(index: MonitorIndexRow[], alerts: AlertView | undefined, query: StatusQuery, pageSize = 50): StatusModel {
  const all: Item[] = index.map((m) => ({ ...m, shown: displayState(m, alerts) }));
  const totals = { all: all.length, up: 0, down: 0, degraded: 0, maintenance: 0, unknown: 0 };
  for (const m of all) totals[m.shown]++;

  const byGroup = new Map<string, Item[]>();
  for (const m of all) {
    if (!m.group) continue;
    const list = byGroup.get(m.group);
    if (list) list.push(m);
    else byGroup.set(m.group, [m]);
  }
  const groups = [...byGroup].map(([name, members]) => ({
    name,
    state: groupState(members),
    total: members.length,
    down: members.filter((m) => m.shown === 'down').length,
    degraded: members.filter((m) => m.shown === 'degraded').length,
    unknown: members.filter((m) => m.shown === 'unknown').length,
  }));

  const term = query.q.toLowerCase();
  const matches = all.filter((m) => (!query.group || m.group === query.group) && (!term || m.name.toLowerCase().includes(term) || m.key.includes(term)));
  // Grouped monitors stay together, where their group first appears; ungrouped ones keep their place.
  const members = new Map<string, Item[]>();
  for (const m of matches) {
    if (!m.group) continue;
    const list = members.get(m.group);
    if (list) list.push(m);
    else members.set(m.group, [m]);
  }
  const ordered: Item[] = [];
  for (const m of matches) {
    if (!m.group) ordered.push(m);
    else if (members.has(m.group)) {
      ordered.push(...members.get(m.group)!);
      members.delete(m.group);
    }
  }

  const pages = Math.max(1, Math.ceil(ordered.length / pageSize));
  const page = Math.min(query.page, pages);
  const filtered = !!(query.q || query.group);
  const attention = !filtered && page === 1 ? all.filter((m) => m.shown === 'down' || m.shown === 'degraded').slice(0, 20) : [];
  return {
    totals,
    attention,
    groups,
    items: ordered.slice((page - 1) * pageSize, page * pageSize),
    query: { ...query, page },
    matched: ordered.length,
    page,
    pages,
    pageSize,
  };
}

/**
 * A day's colour: green at or above 99.9 % of runs passing, amber for a day with some failures down
 * to 95 %, red below that, grey without runs. The legend under the cards says the same numbers.
 */
export const DAY_THRESHOLDS = { up: 0.999, partial: 0.95 } as const;
export type DayTone = 'up' | 'partial' | 'down' | 'none';
export function dayTone(uptime: number | null): DayTone {
  if (uptime === null) return 'none';
  if (uptime >= DAY_THRESHOLDS.up) return 'up';
  return uptime >= DAY_THRESHOLDS.partial ? 'partial' : 'down';
}

/** A monitor that is up now but whose day so far is not green (the banner must not be green over it). */
export type FailingToday = { name: string; uptime: number };

export type Banner = { text: string; more?: string; tone: 'up' | 'down' | 'degraded' | 'partial' | 'unknown' };

/**
 * The banner: green only when every public monitor has data and is up, and no monitor shown has had
 * a failing day so far. `failingToday` lists the shown monitors whose day so far is below 99.9 %.
 */
export function bannerOf(t: StatusModel['totals'], failingToday: FailingToday[] = []): Banner {
  if (t.all === 0) return { text: 'No public monitors yet', tone: 'unknown' };
  if (t.unknown === t.all) return { text: 'Waiting for the first checks', tone: 'unknown' };
  const waiting = t.unknown > 0 ? `${t.unknown} waiting for a first check` : undefined;
  if (t.down > 0) return { text: `${t.down} of ${t.all} down`, more: waiting, tone: 'down' };
  if (t.degraded > 0) return { text: `Degraded performance: ${t.degraded} of ${t.all} slow`, more: waiting, tone: 'degraded' };
  if (failingToday.length > 0) {
    const names = failingToday.slice(0, 3).map((m) => `${m.name} (${fmtPct(m.uptime)} up)`);
    const rest = failingToday.length > 3 ? ` and ${failingToday.length - 3} more` : '';
    return { text: 'Operational now, with failures earlier today', more: [`${names.join(', ')}${rest}`, waiting].filter(Boolean).join(' · '), tone: 'partial' };
  }
  if (t.maintenance > 0 && t.up === 0) return { text: 'Under maintenance', more: waiting, tone: 'unknown' };
  if (t.unknown > 0) return { text: 'All checked systems operational', more: waiting, tone: 'unknown' };
  return { text: 'All systems operational', tone: 'up' };
}
