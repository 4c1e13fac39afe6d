/**
 * Web Vitals, measured by the page itself with Google's `web-vitals` library (its attribution build,
 * read from node_modules and injected into every document of the run: no CDN, no hand-written
 * measurements), plus total blocking time from long tasks. Each document reports every change of
 * each metric through a binding; the tracker keeps, per document the run navigated to, the latest
 * value of each, its requests, bytes, failed requests and console errors.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BrowserContext, Page, Request } from 'playwright-core';
import type { PageView, VitalName } from '../types.js';

export const VITALS_BINDING = '__halftimeVital';

let library: string | undefined;
/** The attribution IIFE of web-vitals (the package's export map hides dist/, so it is found beside its main file). */
function webVitalsSource(): string {
  if (library === undefined) {
    const main = createRequire(import.meta.url).resolve('web-vitals');
    library = readFileSync(join(dirname(main), 'web-vitals.attribution.iife.js'), 'utf8');
  }
  return library;
}

/**
 * Runs at the start of every document, before the page's own scripts. `webVitals` stays local to the
 * wrapper, so a page with its own copy is not disturbed. TBT: the part beyond 50 ms of each long task,
 * counted from first contentful paint (a task spanning FCP counts from FCP) until the page is left or
 * the run ends, as Lighthouse clips it (without its time-to-interactive end).
 */
export function vitalsInitScript(): string {
  return `(() => {
  if (window.top !== window || window.__halftimeVitals) return;
  window.__halftimeVitals = true;
  ${webVitalsSource()}
  const nav = String(performance.timeOrigin) + ':' + Math.random().toString(36).slice(2);
  const send = (name, value, target) => { try { window.${VITALS_BINDING}({ nav, url: location.href, name, value, target }); } catch (e) {} };
  const all = { reportAllChanges: true };
  let fcp;
  const tasks = [];
  const tbt = () => {
    if (fcp === undefined) return;
    let sum = 0;
    for (const t of tasks) { const end = t.start + t.duration; if (end <= fcp) continue; sum += Math.max(0, end - Math.max(t.start, fcp) - 50); }
    send('tbt', sum);
  };
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) tasks.push({ start: e.startTime, duration: e.duration }); tbt(); }).observe({ type: 'longtask', buffered: true });
  } catch (e) {}
  webVitals.onTTFB((m) => send('ttfb', m.value), all);
  webVitals.onFCP((m) => { fcp = m.value; send('fcp', m.value); tbt(); }, all);
  webVitals.onLCP((m) => send('lcp', m.value, m.attribution && m.attribution.target), all);
  webVitals.onCLS((m) => send('cls', m.value, m.attribution && m.attribution.largestShiftTarget), all);
  webVitals.onINP((m) => send('inp', m.value, m.attribution && m.attribution.interactionTarget), { reportAllChanges: true, durationThreshold: 16 });
})();`;
}

type Report = { nav: string; url: string; name: VitalName; value: number; target?: string };

const LIST_CAP = 20;
const cut = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A page view as kept, with the document's own id (from its first report). */
type View = PageView & { nav?: string };

export type PageTracker = {
  /** Page views started since the last call (the documents a step navigated to). */
  takeNew(): PageView[];
  /** The newest page view's problems seen since the last call (for a failed step's evidence). */
  takeProblems(): { consoleErrors: string[]; failedRequests: PageView['failedRequests'] };
  /** Waits for the sizes of finished requests still being read (bounded). */
  settle(ms: number): Promise<void>;
};

/**
 * Follows one page of a run: each main-frame navigation starts a page view (the navigation request
 * included); requests, failures and console errors count toward the view current at the time, and
 * the vitals a document reports go to the view that document belongs to.
 */
export async function trackPage(context: BrowserContext, page: Page): Promise<PageTracker> {
  const views: View[] = [];
  let taken = 0;
  let problems = { consoleErrors: [] as string[], failedRequests: [] as PageView['failedRequests'] };
  const pending = new Set<Promise<unknown>>();
  const current = (): View => {
    if (views.length === 0) views.push({ url: page.url(), vitals: {}, requests: 0, bytes: 0, failedRequests: [], consoleErrors: [] });
    return views[views.length - 1];
  };
  const byNav = new Map<string, View>();

  await context.exposeBinding(VITALS_BINDING, (source, r: Report) => {
    if (source.page !== page || !r || typeof r.value !== 'number' || !Number.isFinite(r.value)) return;
    let view = byNav.get(r.nav);
    if (!view) {
      // A document's first report: it belongs to the newest view no document has claimed yet.
      view = [...views].reverse().find((v) => v.nav === undefined) ?? current();
      view.nav = r.nav;
      byNav.set(r.nav, view);
    }
    view.vitals[r.name] = Math.round(r.value * (r.name === 'cls' ? 10_000 : 10)) / (r.name === 'cls' ? 10_000 : 10);
    if (r.target && (r.name === 'lcp' || r.name === 'cls' || r.name === 'inp')) (view.attribution ??= {})[r.name] = cut(String(r.target), 200);
  });

  const isMain = (req: Request) => req.isNavigationRequest() && req.frame() === page.mainFrame();
  page.on('request', (req) => {
    if (isMain(req) && !req.redirectedFrom()) views.push({ url: req.url(), vitals: {}, requests: 0, bytes: 0, failedRequests: [], consoleErrors: [] });
    current().requests++;
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame() && views.length) current().url = frame.url();
  });
  const failed = (entry: PageView['failedRequests'][number]) => {
    const v = current();
    if (v.failedRequests.length < LIST_CAP) v.failedRequests.push(entry);
    if (problems.failedRequests.length < 10) problems.failedRequests.push(entry);
  };
  page.on('requestfinished', (req) => {
    const view = current();
    const p = req
      .sizes()
      .then((s) => void (view.bytes += s.responseBodySize + s.responseHeadersSize))
      .catch(() => undefined)
      .finally(() => pending.delete(p));
    pending.add(p);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) failed({ url: cut(res.url()), status: res.status() });
  });
  page.on('requestfailed', (req) => {
    // A 4xx/5xx the browser then aborts (a script that 404s) is listed once, with its status.
    const url = cut(req.url());
    if (!current().failedRequests.some((f) => f.url === url && f.status !== undefined)) failed({ url, error: cut(req.failure()?.errorText ?? 'failed', 120) });
  });
  const consoleError = (text: string) => {
    const v = current();
    if (v.consoleErrors.length < LIST_CAP) v.consoleErrors.push(cut(text));
    if (problems.consoleErrors.length < 10) problems.consoleErrors.push(cut(text));
  };
  page.on('console', (m) => m.type() === 'error' && consoleError(m.text()));
  page.on('pageerror', (e) => consoleError(`uncaught ${e.name}: ${e.message}`));

  return {
    takeNew() {
      // The views stay live: vitals reported later (LCP after a click, CLS, INP) still land in them.
      const out = views.slice(taken);
      taken = views.length;
      return out;
    },
    takeProblems() {
      const p = problems;
      problems = { consoleErrors: [], failedRequests: [] };
      return p;
    },
    async settle(ms) {
      if (pending.size === 0) return;
      await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, ms).unref())]);
    },
  };
}

/** A page view as plain data, as it stands now (its vitals may have grown since its step ended). */
export const plainView = (v: PageView): PageView => {
  const { nav: _nav, ...rest } = v as View;
  return { ...rest, vitals: { ...rest.vitals }, failedRequests: [...rest.failedRequests], consoleErrors: [...rest.consoleErrors] };
};
