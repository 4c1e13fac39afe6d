/** A browser step's detail on run pages: each page's Web Vitals and requests, and a failure's evidence and screenshots. */
import type { BrowserStepDetail, PageView } from '../probes/types.js';
import { fmtMs } from './format.js';

const path = (url: string) => url.replace(/^https?:\/\/[^/]+/, '') || '/';
const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} kB`);

/** `LCP 1.21 s`… in the order a page paints; CLS is a score. */
function vitals(v: PageView['vitals']): string[] {
  const out: string[] = [];
  if (v.ttfb !== undefined) out.push(`TTFB ${fmtMs(v.ttfb)}`);
  if (v.fcp !== undefined) out.push(`FCP ${fmtMs(v.fcp)}`);
  if (v.lcp !== undefined) out.push(`LCP ${fmtMs(v.lcp)}`);
  if (v.cls !== undefined) out.push(`CLS ${v.cls.toFixed(3)}`);
  if (v.inp !== undefined) out.push(`INP ${fmtMs(v.inp)}`);
  if (v.tbt !== undefined) out.push(`TBT ${fmtMs(v.tbt)}`);
  return out;
}

/**
 * `screenshot(name)`: the URL of one of the run's screenshots; without it (public pages) screenshots
 * are not shown — they are the operator's evidence.
 */
export function BrowserStepView(props: { b: BrowserStepDetail | null; screenshot?: (name: string) => string }) {
  const b = props.b;
  if (!b) return null;
  return (
    <div class="browser-step">
      {b.pages.map((p) => (
        <div class="page-view">
          <p class="small">
            <code>{path(p.url)}</code>{' '}
            <span class="vitals">{vitals(p.vitals).join(' · ') || 'no vitals reported'}</span>
          </p>
          <p class="muted small">
            {`${p.requests} request${p.requests === 1 ? '' : 's'} · ${kb(p.bytes)}`}
            {p.failedRequests.length ? ` · ${p.failedRequests.length} failed` : ''}
            {p.consoleErrors.length ? ` · ${p.consoleErrors.length} console error${p.consoleErrors.length === 1 ? '' : 's'}` : ''}
            {p.attribution?.lcp ? ` · LCP element ${p.attribution.lcp}` : ''}
          </p>
        </div>
      ))}
      {b.locator || b.lastUrl || b.consoleErrors?.length || b.failedRequests?.length ? (
        <ul class="evidence small">
          {b.locator ? <li class="fail">locator: <code>{b.locator}</code></li> : null}
          {b.lastUrl ? <li>last URL: <code>{b.lastUrl}</code></li> : null}
          {(b.consoleErrors ?? []).map((e) => (
            <li class="fail">console: {e}</li>
          ))}
          {(b.failedRequests ?? []).map((f) => (
            <li class="fail">request failed: <code>{f.url}</code> ({f.status ?? f.error})</li>
          ))}
        </ul>
      ) : null}
      {props.screenshot
        ? (b.artifacts ?? []).map((name) => (
            <a href={props.screenshot!(name)} class="shot">
              <img src={props.screenshot!(name)} alt={`screenshot ${name}`} width={480} loading="lazy" />
            </a>
          ))
        : null}
    </div>
  );
}
