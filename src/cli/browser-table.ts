/** The browser part of `halftime run`'s step table: each page's Web Vitals and requests, and a failed step's evidence. */
import type { PageView, StepResult } from '../probes/types.js';

const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`);
const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} kB`);
const path = (url: string) => url.replace(/^https?:\/\/[^/]+/, '') || '/';

/** `TTFB 4 ms · FCP 136 ms · LCP 1.21 s · CLS 0.014 · INP 72 ms · TBT 217 ms` (what the page measured). */
export function formatVitals(v: PageView['vitals']): string {
  const parts: string[] = [];
  if (v.ttfb !== undefined) parts.push(`TTFB ${ms(v.ttfb)}`);
  if (v.fcp !== undefined) parts.push(`FCP ${ms(v.fcp)}`);
  if (v.lcp !== undefined) parts.push(`LCP ${ms(v.lcp)}`);
  if (v.cls !== undefined) parts.push(`CLS ${v.cls.toFixed(3)}`);
  if (v.inp !== undefined) parts.push(`INP ${ms(v.inp)}`);
  if (v.tbt !== undefined) parts.push(`TBT ${ms(v.tbt)}`);
  return parts.join(' · ') || 'no vitals reported';
}

export function browserDetails(s: StepResult): string[] {
  const b = s.browser;
  if (!b) return [];
  const out: string[] = [];
  for (const p of b.pages) {
    out.push(`page ${path(p.url)}: ${formatVitals(p.vitals)}`);
    const problems = [p.failedRequests.length ? `${p.failedRequests.length} failed` : '', p.consoleErrors.length ? `${p.consoleErrors.length} console error${p.consoleErrors.length === 1 ? '' : 's'}` : ''].filter(Boolean);
    out.push(`  ${p.requests} request${p.requests === 1 ? '' : 's'} (${kb(p.bytes)})${problems.length ? `, ${problems.join(', ')}` : ''}${p.attribution?.lcp ? `; LCP element ${p.attribution.lcp}` : ''}`);
  }
  if (b.locator) out.push(`locator: ${b.locator}`);
  if (b.lastUrl) out.push(`last URL: ${b.lastUrl}`);
  for (const e of b.consoleErrors ?? []) out.push(`console: ${e}`);
  for (const f of b.failedRequests ?? []) out.push(`request failed: ${f.url} (${f.status ?? f.error})`);
  for (const a of b.artifacts ?? []) out.push(`screenshot: ${a}`);
  return out;
}
