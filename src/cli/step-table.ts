import { formatDuration } from '../lang/duration.js';
import type { RunResult, StepResult } from '../probes/types.js';
import { browserDetails } from './browser-table.js';

/** A one-off run as a readable table: status, timings, checks, extracted variables (already redacted), assets. */
export function formatRun(r: RunResult, monitorName: string): string {
  const lines: string[] = [];
  const head = [monitorName];
  if (r.persona) head.push(`persona ${r.persona}${r.tasks?.length ? ` (tasks: ${r.tasks.join(', ')})` : ''}`);
  if (r.seed !== undefined) head.push(`seed ${r.seed}`);
  lines.push(head.join(' — '), '');
  const rows: string[][] = [['', '#', 'step', 'status', 'total', 'ttfb', 'conn', 'bytes', 'checks']];
  for (const s of r.steps) rows.push(row(s));
  const widths = rows[0].map((_, c) => Math.max(...rows.map((x) => x[c].length)));
  const numeric = new Set([4, 5, 6, 7]);
  rows.forEach((cells, i) => {
    lines.push(cells.map((c, j) => (numeric.has(j) ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join('  ').trimEnd());
    if (i === 0) return;
    const s = r.steps[i - 1];
    for (const line of details(s)) lines.push(`       ${line}`);
  });
  lines.push('');
  if (r.ok) lines.push(`PASSED: ${r.steps.length} step${r.steps.length === 1 ? '' : 's'} in ${formatDuration(r.durationMs)}`);
  else lines.push(`FAILED at step ${(r.failure?.step ?? 0) + 1}: ${r.failure?.message ?? 'unknown'} (${r.failure?.code})`);
  return lines.join('\n') + '\n';
}

const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} kB`);
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;

function row(s: StepResult): string[] {
  const checks = s.evidence.filter((e) => e.what !== 'csrf token');
  const passed = checks.filter((e) => e.pass).length;
  const t = s.timings;
  const status = s.status === undefined ? '—' : `${s.status}${s.redirects ? ` ↪${s.redirects}` : ''}`;
  return [
    s.ok ? '✓' : '✗',
    String(s.index + 1),
    (s.task ? `[${s.task}] ` : '') + s.name + (s.afterFailure ? ' (alwaysRun)' : ''),
    status,
    ms(t.total),
    ms(t.ttfb),
    ms(t.dns + t.connect + t.tls),
    kb(s.bytes),
    checks.length ? `${passed}/${checks.length}` : '—',
  ];
}

function details(s: StepResult): string[] {
  const out: string[] = [];
  if (s.failure) out.push(`reason: ${s.failure.message}`);
  for (const e of s.evidence) if (!e.pass) out.push(`✗ ${e.what}: expected ${e.expected}, got ${e.actual}`);
  const csrf = s.evidence.find((e) => e.what === 'csrf token');
  if (csrf) out.push(`csrf: ${csrf.actual}`);
  if (s.extracted && Object.keys(s.extracted).length) out.push(`extracted: ${Object.entries(s.extracted).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (s.assets) {
    const a = s.assets;
    const slow = a.slowest ? `, slowest ${a.slowest.url.replace(/^https?:\/\/[^/]+/, '')} ${ms(a.slowest.ms)}` : '';
    out.push(`assets: ${a.count} (${kb(a.bytes)}) in ${ms(a.totalMs)}${slow}${a.cached ? `, ${a.cached} cached` : ''}${a.failed ? `, ${a.failed} failed` : ''}`);
  }
  out.push(...browserDetails(s));
  return out;
}
