import type { AlertEvent, CertificateEvidence, LatencyEvidence } from './types.js';
import { fmtLatency, fmtPercentile, fmtSpan, fmtTime } from './format.js';

/** A value of the finding's series: a latency, or for CLS (a browser monitor's `vital:CLS`) its unitless score. */
const valueOf = (l: LatencyEvidence) => (l.step === 'vital:CLS' ? (v: number) => v.toFixed(3) : fmtLatency);

/** One line for a latency finding: `p95 1.9 s over 10 min (baseline 420 ms)`. */
function latencyLine(l: LatencyEvidence): string {
  const fmtLatency = valueOf(l);
  const what = `${fmtPercentile(l.percentile)} ${fmtLatency(l.actualMs)} over ${fmtSpan(l.windowMs)}`;
  const step = l.step ? ` on step "${l.step}"` : '';
  const ref = l.baselineMs !== undefined ? `baseline ${fmtLatency(l.baselineMs)}` : `limit ${fmtLatency(l.thresholdMs)}`;
  return `${what}${step} (${ref})`;
}

function failureLine(e: AlertEvent): string {
  const f = e.evidence.lastFailure;
  const n = e.evidence.failures;
  const count = n ? `${n} failed check${n === 1 ? '' : 's'} in a row` : 'failing';
  if (!f) return count;
  const where = f.step ? ` at step "${f.step}"` : '';
  const why = f.status !== undefined && f.code === 'status' ? `HTTP ${f.status}` : (f.message ?? f.code ?? 'failed');
  return `${count}${where}: ${why}`;
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/** `the certificate for shop.example.com expires in 9.5 days (2026-12-09)`. */
function certificateLine(c: CertificateEvidence): string {
  const when = c.daysLeft >= 0 ? `expires in ${c.daysLeft} day${c.daysLeft === 1 ? '' : 's'}` : `expired ${-c.daysLeft} days ago`;
  return `the certificate for ${c.host} ${when} (${day(c.validTo)})`;
}

export function subject(e: AlertEvent): string {
  const name = e.monitor.name;
  const since = e.since !== null ? fmtSpan(e.at - e.since) : '';
  switch (e.kind) {
    case 'down':
      return `[halftime] DOWN ${name}: ${failureLine(e)}`;
    case 'degraded':
      return `[halftime] DEGRADED ${name}: ${e.evidence.latency ? latencyLine(e.evidence.latency) : 'slow'}`;
    case 'warning':
      return `[halftime] CERTIFICATE ${name}: ${e.evidence.certificate ? certificateLine(e.evidence.certificate) : 'expires soon'}`;
    case 'recovered':
      if (e.condition === 'certificate') return `[halftime] RECOVERED ${name}: certificate renewed${e.evidence.certificate ? `, valid until ${day(e.evidence.certificate.validTo)}` : ''}`;
      return `[halftime] RECOVERED ${name}: ${e.condition === 'degraded' ? 'latency back to normal' : 'up again'}${since ? ` after ${since}` : ''}`;
    case 'reminder':
      return `[halftime] STILL ${e.condition === 'degraded' ? 'DEGRADED' : 'DOWN'} ${name}: for ${since || 'a while'}${
        e.condition === 'degraded' && e.evidence.latency ? `, ${latencyLine(e.evidence.latency)}` : e.evidence.lastFailure ? `, ${failureLine(e)}` : ''
      }`;
    case 'test':
      return `[halftime] Test message for ${name}`;
  }
}

/** Evidence as label/value rows, shared by the text and HTML bodies and the chat formats. */
export function evidenceRows(e: AlertEvent): [string, string][] {
  const rows: [string, string][] = [['Monitor', `${e.monitor.name} (${e.monitor.key})`]];
  rows.push(['What happened', e.kind === 'test' ? 'test message from halftime alert-test' : e.kind + (e.condition && e.kind !== e.condition ? ` (${e.condition})` : '')]);
  const l = e.evidence.latency;
  if (l && e.kind !== 'down') {
    const fmtLatency = valueOf(l);
    rows.push(['Step', l.step ?? 'whole run']);
    rows.push(['Percentile', `${fmtPercentile(l.percentile)} over ${fmtSpan(l.windowMs)} (${l.samples} samples)`]);
    rows.push(['Actual', fmtLatency(l.actualMs)]);
    if (l.baselineMs !== undefined) {
      const n = l.baselineSamples !== undefined ? `, ${l.baselineSamples} samples` : '';
      rows.push(['Baseline', `${fmtLatency(l.baselineMs)} (${l.baselineLabel ?? 'baseline'}${n}); alert above ${l.factor}× = ${fmtLatency(l.thresholdMs)}`]);
    }
    else rows.push(['Threshold', fmtLatency(l.thresholdMs)]);
    rows.push(['Rule', l.rule]);
  }
  const f = e.evidence.lastFailure;
  if (f) {
    if (e.evidence.failures !== undefined) rows.push(['Failed checks in a row', String(e.evidence.failures)]);
    if (f.step) rows.push(['Failing step', f.step]);
    if (f.status !== undefined) rows.push(['Status code', String(f.status)]);
    rows.push(['Last failure', `${f.code ? `[${f.code}] ` : ''}${f.message ?? ''}`.trim()]);
  }
  const c = e.evidence.certificate;
  if (c) {
    rows.push(['Host', c.host]);
    rows.push(['Certificate', c.subject]);
    rows.push(['Issuer', c.issuer]);
    rows.push(['Expires', `${fmtTime(c.validTo)} (${c.daysLeft >= 0 ? `in ${c.daysLeft} days` : `${-c.daysLeft} days ago`})`]);
    rows.push(['Warning at', `${+(c.expiresInMs / 86_400_000).toFixed(1)} days before expiry`]);
  }
  if (e.evidence.worst !== undefined && e.condition === 'degraded') rows.push(['Worst value', fmtLatency(e.evidence.worst)]);
  if (e.since !== null) rows.push(['Started', fmtTime(e.since)]);
  if (e.kind === 'recovered' && e.since !== null) rows.push(['Lasted', fmtSpan(e.at - e.since)]);
  rows.push(['Time', fmtTime(e.at)]);
  return rows;
}

export function textBody(e: AlertEvent): string {
  const rows = evidenceRows(e);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [subject(e).replace(/^\[halftime\] /, ''), '', ...rows.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${v}`)];
  if (e.monitor.url) lines.push('', `Monitor page: ${e.monitor.url}`);
  lines.push('', '-- ', 'Sent by halftime. Delivery is at-least-once: a message may rarely arrive twice.', `Event id: ${e.id}`);
  return lines.join('\n') + '\n';
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const COLOURS = { down: '#b3261e', degraded: '#b26a00', recovered: '#1b7f3b', reminder: '#555', test: '#1f5fae', warning: '#8a6d00' } as const;

/** What a message looks like: a reminder wears the colour of the condition it reminds of. */
export function tone(e: AlertEvent): keyof typeof COLOURS {
  if (e.kind === 'reminder' && e.condition) return e.condition === 'certificate' ? 'warning' : e.condition;
  return e.kind;
}

/** The message's colour as `#rrggbb`, shared by email and the chat formats. */
export function toneColour(e: AlertEvent): string {
  const c = COLOURS[tone(e)];
  return c.length === 4 ? '#' + [...c.slice(1)].map((d) => d + d).join('') : c;
}

export function htmlBody(e: AlertEvent): string {
  const colour = COLOURS[tone(e)];
  const rows = evidenceRows(e)
    .map(([k, v]) => `<tr><th align="left" style="padding:4px 12px 4px 0;color:#555;font-weight:normal">${esc(k)}</th><td style="padding:4px 0">${esc(v)}</td></tr>`)
    .join('');
  const link = e.monitor.url ? `<p><a href="${esc(e.monitor.url)}">Open the monitor page</a></p>` : '';
  return `<!doctype html><html><body style="font-family:sans-serif;font-size:14px;color:#222">
<h2 style="color:${colour};margin:0 0 12px">${esc(subject(e).replace(/^\[halftime\] /, ''))}</h2>
<table style="border-collapse:collapse">${rows}</table>
${link}<p style="color:#777;font-size:12px">Sent by halftime. Delivery is at-least-once: a message may rarely arrive twice. Event id: ${esc(e.id)}</p>
</body></html>`;
}

/** The one-line summary kept on an incident record (the subject without the prefix). */
export function summaryLine(e: AlertEvent): string {
  return subject(e).replace(/^\[halftime\] /, '');
}
