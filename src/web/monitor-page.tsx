import { CertificateFacts } from './certificate-view.js';
import type { MonitorInfo, Range, Series } from '../store/history.js';
import { FactList } from './fact-list.js';
import { RANGES } from '../store/history.js';
import type { RunRow, StepRow } from '../store/runs.js';
import { BrowserStepView } from './browser-step.js';
import type { StepChoice } from '../store/step-keys.js';
import { samplesNote } from '../lang/percentile.js';
import { fmtMs, fmtTimings, fmtPct, fmtTime, publicPath, publicText } from './format.js';
import { Layout } from './layout.js';
import { TraceRefView, type ShownTrace } from './trace-ref.js';

export const RANGE_LABELS: Record<Range, string> = { '1h': '1 hour', '6h': '6 hours', '24h': '24 hours', '7d': '7 days', '30d': '30 days', '1y': '1 year' };
const RESOLUTION: Record<string, string> = { minute: 'per minute', hour: 'per hour', day: 'per day' };

export type { StepChoice };

const enc = encodeURIComponent;

/**
 * Where a monitor's history lives. The public status site and the operator's side serve the same
 * components under different prefixes, so private monitors' partials and series exist only behind the login.
 */
export type MonitorUrls = {
  /** The full page without a query (the step selector's form action). */
  pagePath(key: string): string;
  /** The full page (also what the address bar shows after an htmx swap). */
  page(key: string, range: Range, step: number): string;
  /** The chart section partial, without a query (the step selector's form adds it). */
  chart(key: string): string;
  /** One run's steps (partial). */
  runDetail(key: string, runId: number): string;
  /** The JSON series. */
  series(key: string, range: Range, step: number): string;
};

/** Builds the URLs from three prefixes: pages, htmx partials and the JSON series. */
export function monitorUrls(prefix: MonitorPrefixes): MonitorUrls {
  return {
    pagePath: (key) => `${prefix.page}/${enc(key)}`,
    page: (key, range, step) => `${prefix.page}/${enc(key)}?range=${range}${step >= 0 ? `&step=${step}` : ''}`,
    chart: (key) => `${prefix.partials}/${enc(key)}/chart`,
    runDetail: (key, runId) => `${prefix.partials}/${enc(key)}/runs/${runId}`,
    series: (key, range, step) => `${prefix.series}/${enc(key)}/series?range=${range}&step=${step}`,
  };
}

export type MonitorPrefixes = { page: string; partials: string; series: string };
export const PUBLIC_PREFIXES: MonitorPrefixes = { page: '/monitors', partials: '/partials/monitors', series: '/api/monitors' };
/** The operator's copies: same components, behind the session (series at /admin/monitors/:key/series). */
export const ADMIN_PREFIXES: MonitorPrefixes = { page: '/admin/monitors', partials: '/admin/partials/monitors', series: '/admin/monitors' };
export const PUBLIC_URLS = monitorUrls(PUBLIC_PREFIXES);
export const ADMIN_URLS = monitorUrls(ADMIN_PREFIXES);

/** What the charts draw: the page fetches only these fields. */
const CHART_FIELDS = 'runs,failures,p50,p95,p99,max,phases';

function RangeSwitch(props: { m: MonitorInfo; range: Range; step: number; urls: MonitorUrls }) {
  const { m, range, step, urls } = props;
  return (
    <nav class="ranges" aria-label="Time range">
      {(Object.keys(RANGES) as Range[]).map((r) => (
        <a
          href={urls.page(m.key, r, step)}
          class={r === range ? 'range active' : 'range'}
          aria-current={r === range ? 'true' : undefined}
          hx-get={`${urls.chart(m.key)}?range=${r}&step=${step}`}
          hx-target="#history"
          hx-swap="outerHTML"
          hx-push-url={urls.page(m.key, r, step)}
          data-range={r}
        >
          {r}
        </a>
      ))}
    </nav>
  );
}

const stepLabel = (s: StepChoice) => (s.position === null ? s.name : `${s.position + 1}. ${s.name}`);

function StepOptions(props: { steps: StepChoice[]; step: number }) {
  return (
    <>
      {props.steps.map((s) => (
        <option value={String(s.step)} selected={props.step === s.step}>
          {stepLabel(s)}
        </option>
      ))}
    </>
  );
}

/** Whole journey, then the current steps, then (grouped) earlier steps whose history is still kept. */
function StepSelect(props: { m: MonitorInfo; range: Range; step: number; steps: StepChoice[]; urls: MonitorUrls }) {
  const { m, range, step, steps, urls } = props;
  // A single step's history is the whole journey's.
  if (steps.length < 2) return null;
  const current = steps.filter((s) => s.current);
  const earlier = steps.filter((s) => !s.current);
  return (
    <form class="step-select" method="get" action={urls.pagePath(m.key)} hx-get={urls.chart(m.key)} hx-trigger="change" hx-target="#history" hx-swap="outerHTML">
      <input type="hidden" name="range" value={range} />
      <label>
        Step
        <select name="step">
          <option value="-1" selected={step === -1}>
            Whole journey
          </option>
          <StepOptions steps={current} step={step} />
          {earlier.length > 0 ? (
            <optgroup label="Earlier steps">
              <StepOptions steps={earlier} step={step} />
            </optgroup>
          ) : null}
        </select>
      </label>
      <noscript>
        <button type="submit" class="secondary">Show</button>
      </noscript>
    </form>
  );
}

/** The range's figures; a percentile from few samples says how many (`784 ms (6 samples)`). */
function Summary(props: { s: Series }) {
  const x = props.s.summary;
  const pct = (v: number | null) => (v === null ? fmtMs(v) : fmtMs(v) + samplesNote(x.count));
  const facts: [string, string][] = [
    ['Runs', String(x.runs)],
    ['Failures', String(x.failures)],
    ['Uptime', fmtPct(x.uptime)],
    ['p50', pct(x.p50)],
    ['p95', pct(x.p95)],
    ['p99', pct(x.p99)],
    ['Max', fmtMs(x.max)],
    ['Mean', fmtMs(x.mean)],
  ];
  return <FactList facts={facts} class="facts" />;
}

/** The chart section: range switch, step selector, summary and the two charts. Swapped whole by htmx. */
export function HistorySection(props: { m: MonitorInfo; s: Series; steps: StepChoice[]; urls?: MonitorUrls }) {
  const { m, s, steps } = props;
  const urls = props.urls ?? PUBLIC_URLS;
  const url = urls.series(m.key, s.range, s.step);
  const chartUrl = `${url}&fields=${CHART_FIELDS}`;
  const stepName = s.step < 0 ? 'whole journey' : (s.stepName ?? `no step with key ${s.step}`);
  return (
    <section id="history" class="history" data-range={s.range} data-step={String(s.step)}>
      <div class="history-head">
        <RangeSwitch m={m} range={s.range} step={s.step} urls={urls} />
        <StepSelect m={m} range={s.range} step={s.step} steps={steps} urls={urls} />
      </div>
      <p class="range-note">
        {`Last ${RANGE_LABELS[s.range]}, ${RESOLUTION[s.level]}, ${stepName}: ${fmtTime(s.from)} to ${fmtTime(s.to + s.bucketMs)}`}
      </p>
      <Summary s={s} />
      <h2>Latency percentiles</h2>
      <div class="chart" data-chart="latency" data-series-url={chartUrl} role="figure" aria-label={`p50, p95, p99 and slowest-run latency over the last ${RANGE_LABELS[s.range]}, times in UTC; red ticks mark failed runs`}>
        {s.t.length === 0 ? <p class="empty">No runs in this range yet.</p> : null}
      </div>
      <h2>Timing breakdown (mean per successful run)</h2>
      <div class="chart" data-chart="phases" data-series-url={chartUrl} role="figure" aria-label="Mean DNS, connect, TLS, time to first byte and download time, stacked, times in UTC"></div>
      <p class="note">
        Percentiles are nearest rank (p95 of 20 or fewer runs is their slowest), of successful runs, from DDSketch sketches with 1 % relative accuracy merged from minutes to hours and days. <a href={url}>Data as JSON</a>
      </p>
    </section>
  );
}

/** Who reads a run: the public sees paths and scrubbed messages, the operator the full URLs. */
export type Audience = 'public' | 'operator';

/** Recent runs, each expandable (htmx) to its steps; `runHref` adds a link to a run's own page. */
export function RunsTable(props: { m: Pick<MonitorInfo, 'key'>; runs: RunRow[]; urls?: MonitorUrls; runHref?: (runId: number) => string; expandable?: boolean; audience?: Audience }) {
  const { m, runs } = props;
  const urls = props.urls ?? PUBLIC_URLS;
  const text = props.audience === 'operator' ? (t: string) => t : publicText;
  if (runs.length === 0) return <p class="empty">No runs yet.</p>;
  return (
    <table class="runs">
      <thead>
        <tr>
          <th>Started (UTC)</th>
          <th>Result</th>
          <th>Duration</th>
          <th>
            <span class="sr">Details</span>
          </th>
        </tr>
      </thead>
      {runs.map((r) => (
        <tbody class={r.ok ? 'run ok' : r.failureCode === 'aborted' ? 'run aborted' : 'run failed'}>
          <tr>
            <td data-label="Started">{props.runHref ? <a href={props.runHref(r.id)}>{fmtTime(r.startedAt, { seconds: true, zone: false })}</a> : fmtTime(r.startedAt, { seconds: true, zone: false })}</td>
            <td data-label="Result">
              {r.ok
                ? 'OK'
                : r.failureCode === 'aborted'
                  ? 'Aborted: cut off by shutdown (not counted in uptime, latency or alerts)'
                  : `Failed${r.failureStep !== null ? ` at step ${r.failureStep + 1}` : ''}: ${text(r.failureMessage ?? r.failureCode ?? '')}`}
            </td>
            <td data-label="Duration">{fmtMs(r.durationMs)}</td>
            <td>
              {props.expandable === false ? null : (
                <button type="button" class="expand" hx-get={urls.runDetail(m.key, r.id)} hx-target={`#run-${r.id}`} hx-swap="innerHTML" aria-label={`Steps of the run at ${fmtTime(r.startedAt, { seconds: true })}`}>
                  Steps
                </button>
              )}
            </td>
          </tr>
          <tr class="run-detail">
            <td colspan={4} id={`run-${r.id}`}></td>
          </tr>
        </tbody>
      ))}
    </table>
  );
}

/**
 * What a check found, as shown: the assets check counts the files that came from the visitor's
 * cache ("3 from cache", not "0 loaded").
 */
export function evidenceActual(e: StepRow['evidence'][number], s: Pick<StepRow, 'assets'>): string {
  if (e.what !== 'assets' || !s.assets || s.assets.failed > 0 || !e.pass) return e.actual;
  const a = s.assets;
  const parts = [a.count > 0 ? `${a.count} loaded` : '', a.cached > 0 ? `${a.cached} from cache` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none referenced';
}

/** One run's steps with timings and assertion evidence (htmx partial), and its trace when shown. */
export function RunDetail(props: { steps: StepRow[]; trace?: ShownTrace; audience?: Audience }) {
  if (props.steps.length === 0) return <p class="empty">This run recorded no steps.</p>;
  const operator = props.audience === 'operator';
  const text = operator ? (t: string) => t : publicText;
  return (
    <div class="steps">
      <TraceRefView trace={props.trace} />
      {props.steps.map((s) => (
        <div class={s.ok ? 'step ok' : 'step failed'}>
          <h3>{`${s.index + 1}. ${s.name}`}</h3>
          <p class="step-req">
            <code>{`${s.method} ${operator ? s.url : publicPath(s.url)}`}</code> {s.status !== null ? `→ ${s.status}` : ''} {s.ok ? '' : `— ${text(s.failureMessage ?? s.failureCode ?? 'failed')}`}
          </p>
          <p class="timings">
            {`${fmtTimings(s.timings)} · ${s.bytes} bytes${s.redirects ? ` · ${s.redirects} redirects` : ''}`}
          </p>
          <CertificateFacts tls={s.tls} />
          <BrowserStepView b={s.browser} />
          {s.evidence.length > 0 ? (
            <table class="evidence">
              <colgroup>
                <col class="what" />
                <col class="expected" />
                <col class="actual" />
                <col class="result" />
              </colgroup>
              <thead>
                <tr>
                  <th>Check</th>
                  <th>Expected</th>
                  <th>Actual</th>
                  <th>Result</th>
                </tr>
              </thead>
              <tbody>
                {s.evidence.map((e) => (
                  <tr class={e.pass ? 'pass' : 'fail'}>
                    <td>{e.what}</td>
                    <td>{text(e.expected)}</td>
                    <td>{text(evidenceActual(e, s))}</td>
                    <td>{e.pass ? 'pass' : 'FAIL'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ))}
    </div>
  );
}

/** The stylesheet and scripts the charts need (all from our own origin). */
export function ChartAssets() {
  return (
    <>
      <link rel="stylesheet" href="/static/uPlot.min.css" />
      <script src="/static/uPlot.iife.min.js" defer></script>
      <script src="/static/chart-kit.js" defer></script>
      <script src="/static/monitor-chart.js" defer></script>
    </>
  );
}

export function MonitorPage(props: { title: string; m: MonitorInfo; s: Series; steps: StepChoice[]; runs: RunRow[] }) {
  const { m } = props;
  return (
    <Layout
      title={`${m.name} · ${props.title}`}
      head={<ChartAssets />}
    >
      <header class="top">
        <p class="crumb">
          <a href="/">← {props.title}</a>
        </p>
        <h1>{m.name}</h1>
        {m.description ? <p class="desc">{m.description}</p> : null}
      </header>
      <main>
        <HistorySection m={m} s={props.s} steps={props.steps} />
        <section class="recent">
          <h2>Recent runs</h2>
          <RunsTable m={m} runs={props.runs} />
        </section>
      </main>
      <footer>
        Powered by <strong>halftime</strong>
      </footer>
    </Layout>
  );
}
