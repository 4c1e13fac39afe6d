/**
 * The exporters in one place, for `main.ts`: `runs()` is called once per written batch (from the
 * writer's `onWritten`, after the probes have measured and the runs are stored), records the
 * Prometheus metrics at once and builds spans and OTLP metrics on the next turn of the event loop.
 * Nothing here is on a probe's timing path, and nothing waits for a collector.
 */
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { hostname } from 'node:os';
import client from 'prom-client';
import { monitorId, type LoadedConfig } from '../config/read.js';
import type { MetricsConfig } from '../config/observability-schema.js';
import { createRedactor } from '../lang/redact.js';
import type { SeriesPoint } from '../load/sketch-series.js';
import type { Logger } from '../log.js';
import type { TraceSettings } from '../probes/trace-context.js';
import type { RunResult } from '../probes/types.js';
import { createExportHealth, type ExportHealth } from './export-health.js';
import { createHealthMetrics, type HealthSources } from './health-metrics.js';
import { createMetricExport, type LoadRunRef, type MetricExport } from './otlp-metrics.js';
import { createTraceExport, type TraceExport } from './otlp-traces.js';
import { resolveOtelSettings, type OtelSettings } from './otel-settings.js';
import { createPromRegistry, type Scrape, type ScrapeFormat } from './prom-registry.js';
import { spanUrl } from './run-spans.js';
import { createRunMetrics } from './run-metrics.js';
import { createTraceLinker, type TraceRef } from './trace-link.js';
import { VERSION } from './version.js';

export type ObserverOptions = {
  loaded: LoadedConfig;
  log?: Logger;
  /** Where OTEL_* variables are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Node's own process metrics (CPU, memory, event loop) on /metrics (default true). */
  processMetrics?: boolean;
  /** This node's location (several nodes): a `location` label on every series of /metrics. */
  location?: string;
};

export type Observer = {
  /** Finished, stored runs (the writer's onWritten). Never throws. */
  runs(results: readonly RunResult[]): void;
  /** A load check's per-second point, for OTLP. */
  loadPoint(point: SeriesPoint, run: LoadRunRef): void;
  /** Scheduler lateness of one start, in ms (the scheduler's onStart). */
  lateness(ms: number): void;
  /** A database write failed (the writer's onError). */
  writeFailed(): void;
  /** Where the scrape-time gauges read from; call once the parts exist (later calls add to it). */
  watch(sources: Partial<Omit<HealthSources, 'monitors'>>): void;
  scrape(format: ScrapeFormat): Promise<Scrape>;
  /** `metrics:` of the config (served or not, and who may read it). */
  metrics: MetricsConfig;
  /** What the journey runners send: traceparent with the configured tracestate. */
  trace: TraceSettings;
  /** Link from a run to its trace, when `otel.traceUrl` is set; `public`: also on the public pages. */
  traceLink?: { href: (ref: TraceRef) => string; public: boolean };
  /** What OTLP export has done so far (undefined: not exporting). */
  otlp(): { target: string; counts: ExportHealth['counts']; queuedSpans: number; lastError?: ReturnType<ExportHealth['lastError']> } | undefined;
  /** Sends what is queued and stops the exporters, waiting at most `graceMs` (default 3 s) for the collector. */
  stop(graceMs?: number): Promise<void>;
};

/** A URL for logs: no credentials, no query. */
const shown = (url: string) => spanUrl(url).full;

export function createObserver(opts: ObserverOptions): Observer {
  const { config } = opts.loaded;
  const otel = config.otel;
  const settings: OtelSettings | undefined = resolveOtelSettings(otel, opts.env ?? process.env);
  // Collector headers given only in the environment are secrets too: keep them out of every log line.
  const envRedact = createRedactor(settings?.envSecrets ?? []);
  const log: Logger | undefined = opts.log && {
    info: (m, f) => opts.log!.info(envRedact(m), envRedact.value(f)),
    warn: (m, f) => opts.log!.warn(envRedact(m), envRedact.value(f)),
    error: (m, f) => opts.log!.error(envRedact(m), envRedact.value(f)),
  };

  const prom = createPromRegistry();
  if (opts.location) prom.registry.setDefaultLabels({ location: opts.location });
  if (opts.processMetrics !== false) client.collectDefaultMetrics({ register: prom.registry as unknown as client.Registry });
  const runMetrics = createRunMetrics(prom.registry);
  const sources: HealthSources = { monitors: config.monitors.map((m) => monitorId(m)) };

  const health = createExportHealth({ log, target: (s) => shown((s === 'traces' ? settings?.traces?.target : settings?.metrics?.target) ?? '') });
  const resource = settings
    ? resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: VERSION, 'service.instance.id': hostname(), ...settings.resourceAttributes })
    : undefined;
  const traces: TraceExport | undefined = settings?.traces && resource ? createTraceExport(settings, resource, health) : undefined;
  const metrics: MetricExport | undefined =
    settings?.metrics && resource
      ? createMetricExport(settings, resource, health, { up: () => runMetrics.up(), states: () => (sources.monitorState ? sources.monitors.map((k) => [k, sources.monitorState!(k)] as [string, string]) : []) })
      : undefined;
  const otlpStatus = () => (settings ? { counts: health.counts, queuedSpans: () => traces?.queued() ?? 0 } : undefined);
  let lastSourceLog = 0;
  const healthMetrics = createHealthMetrics(prom.registry, () => sources, otlpStatus, VERSION, (source, err) => {
    if (Date.now() - lastSourceLog < 60_000) return;
    lastSourceLog = Date.now();
    log?.error('a /metrics source failed; its metric is left out of this scrape', { source, error: err });
  });
  if (settings) log?.info('exporting over OTLP', { traces: settings.traces && shown(settings.traces.target), metrics: settings.metrics && shown(settings.metrics.target), protocol: (settings.traces ?? settings.metrics)!.protocol });

  let deferred: RunResult[] = [];
  let lastRunsError = 0;
  const failedRecording = (err: unknown) => {
    if (Date.now() - lastRunsError < 60_000) return;
    lastRunsError = Date.now();
    log?.error('recording metrics or spans for runs failed', { error: err });
  };
  const drain = () => {
    const batch = deferred;
    deferred = [];
    try {
      traces?.runs(batch);
      metrics?.runs(batch);
    } catch (err) {
      failedRecording(err);
    }
  };

  return {
    runs(results) {
      try {
        for (const r of results) runMetrics.record(r);
      } catch (err) {
        failedRecording(err);
      }
      if (!traces && !metrics) return;
      if (deferred.length === 0) setImmediate(drain);
      for (const r of results) deferred.push(r);
    },
    loadPoint(point, run) {
      try {
        metrics?.loadPoint(point, run);
      } catch (err) {
        failedRecording(err);
      }
    },
    lateness: (ms) => healthMetrics.lateness(ms),
    writeFailed: () => healthMetrics.writeFailed(),
    watch(s) {
      Object.assign(sources, s);
    },
    scrape: (format) => prom.scrape(format),
    metrics: config.metrics,
    trace: otel?.tracestate ? { tracestate: otel.tracestate } : {},
    traceLink: otel?.traceUrl ? { href: createTraceLinker(otel.traceUrl), public: otel.publicTraceLinks } : undefined,
    otlp: () =>
      settings
        ? { target: shown((settings.traces ?? settings.metrics)!.target), counts: health.counts, queuedSpans: traces?.queued() ?? 0, lastError: health.lastError() }
        : undefined,
    async stop(graceMs = 3000) {
      if (deferred.length) drain();
      if (!traces && !metrics) return;
      let timer: NodeJS.Timeout | undefined;
      // A collector that is down or slow must not hold up shutdown: what is not sent by then is lost (and was counted).
      await Promise.race([Promise.all([traces?.shutdown(), metrics?.shutdown()]), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    },
  };
}
