/**
 * The status page's Atom 1.0 feed (RFC 4287): incidents of public monitors and maintenance windows,
 * newest first. Ids are tag URIs (RFC 4151) on the site's host, stable across renders, so a feed
 * reader shows each incident once and marks it updated when it ends.
 */
import type { MaintenancePeriod } from '../alerting/maintenance.js';
import type { IncidentListItem } from '../store/alerts.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
// XML 1.0 forbids most control characters even escaped: drop them.
const clean = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
const text = (s: string) => esc(clean(s));
const rfc3339 = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const when = (t: number) => new Date(t).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

export type FeedInput = {
  title: string;
  /** Site base URL, without a trailing slash (server.publicUrl, else the request's origin). */
  base: string;
  incidents: IncidentListItem[];
  maintenance: MaintenancePeriod[];
  /** Used for `updated` when there is no entry at all. */
  fallbackUpdated: number;
};

type Entry = { id: string; title: string; updated: number; published: number; link: string; summary: string; category: string };

function span(ms: number): string {
  const min = Math.round(ms / 60_000);
  if (min < 60) return `${Math.max(1, min)} min`;
  if (min < 48 * 60) return `${+(min / 60).toFixed(1)} h`;
  return `${+(min / 1440).toFixed(1)} d`;
}

export function renderAtomFeed(f: FeedInput): string {
  const host = new URL(f.base).hostname || 'localhost';
  const tag = (what: string) => `tag:${host},2026:${what}`;
  const entries: Entry[] = [];
  for (const i of f.incidents) {
    const kind = i.kind === 'down' ? 'Outage' : 'Slow';
    const state = i.endedAt === null ? 'ongoing' : `resolved after ${span(i.endedAt - i.startedAt)}`;
    entries.push({
      id: tag(`incident/${i.id}`),
      title: `${kind}: ${i.monitorName} (${state})`,
      published: i.startedAt,
      updated: i.endedAt ?? i.startedAt,
      link: `${f.base}/#monitor-${encodeURIComponent(i.monitorKey)}`,
      summary: `${i.summary}. Started ${when(i.startedAt)}${i.endedAt !== null ? `, ended ${when(i.endedAt)}` : ', still ongoing'}.`,
      category: i.kind === 'down' ? 'outage' : 'degraded',
    });
  }
  for (const w of f.maintenance) {
    entries.push({
      id: tag(`maintenance/${w.start}/${encodeURIComponent(w.name)}`),
      title: `Maintenance: ${w.name}`,
      published: w.start,
      updated: w.start,
      link: `${f.base}/`,
      summary: `Scheduled maintenance ${w.name}: ${when(w.start)} – ${when(w.end)}${w.monitors ? ` (${w.monitors.join(', ')})` : ''}.`,
      category: 'maintenance',
    });
  }
  entries.sort((a, b) => b.updated - a.updated || a.id.localeCompare(b.id));
  const updated = entries.reduce((m, e) => Math.max(m, e.updated), 0) || f.fallbackUpdated;
  const out = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${text(tag('status'))}</id>`,
    `  <title>${text(f.title)}</title>`,
    `  <subtitle>Incidents and maintenance</subtitle>`,
    `  <updated>${rfc3339(updated)}</updated>`,
    `  <link rel="self" type="application/atom+xml" href="${text(`${f.base}/feed.atom`)}"/>`,
    `  <link rel="alternate" type="text/html" href="${text(`${f.base}/`)}"/>`,
    `  <author><name>${text(f.title)}</name></author>`,
    '  <generator>halftime</generator>',
  ];
  for (const e of entries)
    out.push(
      '  <entry>',
      `    <id>${text(e.id)}</id>`,
      `    <title>${text(e.title)}</title>`,
      `    <published>${rfc3339(e.published)}</published>`,
      `    <updated>${rfc3339(e.updated)}</updated>`,
      `    <link rel="alternate" type="text/html" href="${text(e.link)}"/>`,
      `    <category term="${text(e.category)}"/>`,
      `    <summary type="text">${text(e.summary)}</summary>`,
      '  </entry>',
    );
  out.push('</feed>', '');
  return out.join('\n');
}
