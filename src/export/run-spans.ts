/**
 * A finished run as a span tree, built after the fact from the run's own timestamps: the run's span,
 * a CLIENT span per step (HTTP semantic conventions; the timing phases as events; the failure code
 * and the failed evidence as status), and the page's assets under an `assets` span. The spans get
 * the ids the run's requests carried in `traceparent`, so the backend's spans of those requests
 * hang under the right step.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type HrTime, type Span, type Tracer } from '@opentelemetry/api';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import { newSpanId, newTraceId } from '../probes/trace-context.js';
import type { AssetSummary, RunResult, StepResult } from '../probes/types.js';

/** Hands the tracer the ids to use for the next span (the ones the requests carried), else fresh random ones. */
export class PresetIds implements IdGenerator {
  traceId: string | undefined;
  spanId: string | undefined;
  generateTraceId(): string {
    const id = this.traceId ?? newTraceId();
    this.traceId = undefined;
    return id;
  }
  generateSpanId(): string {
    const id = this.spanId ?? newSpanId();
    this.spanId = undefined;
    return id;
  }
}

/** Epoch ms as OpenTelemetry's [seconds, nanoseconds] (a number would be taken for performance.now() time if older than the process). */
export function hrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

type SpanUrl = { full: string; scheme?: string; host?: string; port?: number };
const shownUrls = new Map<string, SpanUrl>();

/** A URL as a span may show it: no credentials, no query string, no fragment (they hold user data and tokens). */
export function spanUrl(url: string): SpanUrl {
  // Monitors request the same URLs run after run: parse each once (bounded, like exchange's splitUrl).
  let shown = shownUrls.get(url);
  if (!shown) {
    if (shownUrls.size >= 2_000) shownUrls.clear();
    shownUrls.set(url, (shown = parseSpanUrl(url)));
  }
  return shown;
}

function parseSpanUrl(url: string): SpanUrl {
  try {
    const u = new URL(url);
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : undefined;
    return { full: `${u.protocol}//${u.host}${u.pathname}`, scheme: u.protocol.replace(/:$/, ''), host: u.hostname, port };
  } catch {
    return { full: url.split(/[?#]/)[0] };
  }
}

const MAX_STATUS = 1024;
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The step's failure and the checks that failed, in one line for the span status. */
function statusOf(step: StepResult): string {
  const bad = step.evidence.filter((e) => !e.pass).map((e) => `${e.what}: expected ${e.expected}, got ${e.actual}`);
  const head = step.failure ? `${step.failure.code}: ${step.failure.message}` : 'failed';
  // The failure message already quotes the first failed check; the others follow it.
  const more = bad.filter((b) => !head.includes(b));
  return cut([head, ...more.slice(0, 5)].join('; '), MAX_STATUS);
}

const PHASES = [
  ['dns', 'dns'],
  ['connect', 'connect'],
  ['tls', 'tls'],
  ['ttfb', 'first byte'],
  ['download', 'last byte'],
] as const;

export type RunSpanOptions = { tracer: Tracer; ids: PresetIds };

/** Starts and ends the spans of one traced run. Returns how many spans it made. */
export function recordRunSpans(run: RunResult, o: RunSpanOptions): number {
  if (!run.traceId) return 0;
  const { tracer, ids } = o;
  let count = 0;
  const start = (name: string, kind: SpanKind, at: number, attributes: Attributes, parent?: Span, spanId?: string): Span => {
    if (!parent) ids.traceId = run.traceId;
    ids.spanId = spanId;
    count++;
    return tracer.startSpan(name, { kind, startTime: hrTime(at), attributes }, parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT);
  };

  const stepEnd = (s: StepResult) => s.startedAt + s.timings.total;
  const assetsEnd = (s: StepResult) => (s.assets?.startedAt !== undefined ? s.assets.startedAt + s.assets.totalMs : 0);
  const end = Math.max(run.startedAt + run.durationMs, ...run.steps.map((s) => Math.max(stepEnd(s), assetsEnd(s))));
  const root = start(
    `run ${run.monitorId}`,
    SpanKind.INTERNAL,
    run.startedAt,
    {
      'halftime.monitor': run.monitorId,
      'halftime.run.ok': run.ok,
      'halftime.run.duration_ms': run.durationMs,
      'halftime.run.planned_at': new Date(run.plannedAt).toISOString(),
      'halftime.run.steps': run.steps.length,
      ...(run.persona ? { 'halftime.persona': run.persona } : {}),
      ...(run.tasks?.length ? { 'halftime.tasks': run.tasks } : {}),
      ...(run.seed !== undefined ? { 'halftime.seed': run.seed } : {}),
      ...(run.failure ? { [ATTR_ERROR_TYPE]: run.failure.code, 'halftime.failure.step': run.failure.step ?? -1 } : {}),
    },
    undefined,
    run.spanId,
  );
  if (!run.ok && run.failure) root.setStatus({ code: SpanStatusCode.ERROR, message: cut(`${run.failure.code}: ${run.failure.message}`, MAX_STATUS) });

  for (const step of run.steps) {
    const url = spanUrl(step.url);
    const span = start(
      `${step.method} ${step.name}`,
      SpanKind.CLIENT,
      step.startedAt,
      {
        [ATTR_HTTP_REQUEST_METHOD]: step.method,
        [ATTR_URL_FULL]: url.full,
        ...(url.scheme ? { [ATTR_URL_SCHEME]: url.scheme } : {}),
        ...(url.host ? { [ATTR_SERVER_ADDRESS]: url.host } : {}),
        ...(url.port ? { [ATTR_SERVER_PORT]: url.port } : {}),
        ...(step.status !== undefined ? { [ATTR_HTTP_RESPONSE_STATUS_CODE]: step.status } : {}),
        ...(step.redirects ? { [ATTR_HTTP_REQUEST_RESEND_COUNT]: step.redirects } : {}),
        'http.response.body.size': step.bytes,
        'halftime.step.name': step.name,
        'halftime.step.index': step.index,
        'halftime.step.total_ms': step.timings.total,
        ...(step.task ? { 'halftime.task': step.task } : {}),
        ...(step.afterFailure ? { 'halftime.step.after_failure': true } : {}),
        ...(step.failure ? { [ATTR_ERROR_TYPE]: step.failure.code } : {}),
      },
      root,
      step.spanId,
    );
    // The phases follow each other from the step's start (redirect hops add theirs to the same phases).
    let t = step.startedAt;
    for (const [key, label] of PHASES) {
      const ms = step.timings[key];
      if (ms <= 0 && key !== 'ttfb' && key !== 'download') continue;
      t += ms;
      span.addEvent(label, { 'halftime.phase': key, 'halftime.phase.duration_ms': ms }, hrTime(t));
    }
    if (!step.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: statusOf(step) });
    if (step.assets?.startedAt !== undefined) recordAssets(step.assets, span);
    span.end(hrTime(stepEnd(step)));
  }
  root.end(hrTime(end));
  return count;

  function recordAssets(a: AssetSummary, parent: Span) {
    const group = start('assets', SpanKind.INTERNAL, a.startedAt!, { 'halftime.assets.count': a.count, 'halftime.assets.cached': a.cached, 'halftime.assets.failed': a.failed, 'halftime.assets.bytes': a.bytes }, parent);
    for (const item of a.items) {
      const url = spanUrl(item.url);
      const at = a.startedAt! + (item.at ?? 0);
      const span = start(
        'GET',
        SpanKind.CLIENT,
        at,
        {
          [ATTR_HTTP_REQUEST_METHOD]: 'GET',
          [ATTR_URL_FULL]: url.full,
          ...(url.host ? { [ATTR_SERVER_ADDRESS]: url.host } : {}),
          ...(url.port ? { [ATTR_SERVER_PORT]: url.port } : {}),
          ...(item.status !== undefined ? { [ATTR_HTTP_RESPONSE_STATUS_CODE]: item.status } : {}),
          'http.response.body.size': item.bytes,
          ...(item.error ? { [ATTR_ERROR_TYPE]: item.error } : {}),
        },
        group,
      );
      if (item.error) span.setStatus({ code: SpanStatusCode.ERROR, message: cut(item.error, MAX_STATUS) });
      span.end(hrTime(at + item.ms));
    }
    if (a.failed) group.setStatus({ code: SpanStatusCode.ERROR, message: `${a.failed} of ${a.count} assets failed` });
    group.end(hrTime(a.startedAt! + a.totalMs));
  }
}
