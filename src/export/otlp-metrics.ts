/**
 * Metrics over OTLP/HTTP: the SDK's MeterProvider, pushed every `metricsIntervalMs` by a
 * PeriodicExportingMetricReader, latency as **exponential histograms** (no bucket layout to choose;
 * the collector or backend keeps the distribution). Load checks add their per-second series, sent as
 * gauge points stamped with the second they cover, through the same exporter.
 */
import { ValueType, type Attributes, type Counter, type Histogram } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type GaugeMetricData,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { SeriesPoint } from '../load/sketch-series.js';
import type { RunResult } from '../probes/types.js';
import type { ExportHealth, Signal } from './export-health.js';
import type { OtelSettings } from './otel-settings.js';
import { hrTime } from './run-spans.js';
import { VERSION } from './version.js';

/** The burst a load point belongs to. */
export type LoadRunRef = { runId?: number; name: string; monitorKey: string };

export type MetricExport = {
  runs(results: readonly RunResult[]): void;
  /** One per-second point of a running burst (stamped with the second that just closed). */
  loadPoint(point: SeriesPoint, run: LoadRunRef, at?: number): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
};

export type MetricReadings = {
  /** Last run per monitor: up (1) or not (0). */
  up(): Iterable<[string, number]>;
  /** Alert state per monitor (up, degraded, down, maintenance, no_data). */
  states?(): Iterable<[string, string]>;
};

const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'download'] as const;
/** Load points kept while waiting to be sent; a burst makes one per second (plus one per step). */
const MAX_LOAD_POINTS = 600;
const LOAD_FLUSH_MS = 5_000;

function countingExporter(inner: PushMetricExporter, health: ExportHealth): PushMetricExporter & { send(rm: ResourceMetrics, signal: Signal, items: number): void } {
  const send = (rm: ResourceMetrics, signal: Signal, items: number, done?: (r: { code: ExportResultCode; error?: Error }) => void) => {
    try {
      inner.export(rm, (result) => {
        if (result.code === ExportResultCode.SUCCESS) health.ok(signal, items);
        else health.failed(signal, items, result.error);
        done?.(result);
      });
    } catch (err) {
      health.failed(signal, items, err);
      done?.({ code: ExportResultCode.FAILED, error: err as Error });
    }
  };
  const pointsIn = (rm: ResourceMetrics) => rm.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, x) => m + x.dataPoints.length, 0), 0);
  return {
    export: (rm, done) => send(rm, 'metrics', pointsIn(rm), done),
    send: (rm, signal, items) => send(rm, signal, items),
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
  };
}

export function createMetricExport(settings: OtelSettings, resource: Resource, health: ExportHealth, readings: MetricReadings): MetricExport {
  const s = settings.metrics!;
  const options = { url: s.url, headers: settings.headers, timeoutMillis: settings.timeoutMs, concurrencyLimit: 2 };
  const exporter = countingExporter(s.protocol === 'http/json' ? new JsonMetricExporter(options) : new ProtoMetricExporter(options), health);
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: settings.metricsIntervalMs,
    exportTimeoutMillis: Math.min(settings.metricsIntervalMs, settings.timeoutMs ?? 10_000),
  });
  const provider = new MeterProvider({
    resource,
    readers: [reader],
    views: [{ instrumentType: InstrumentType.HISTOGRAM, aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160, recordMinMax: true } } }],
  });
  const meter = provider.getMeter('halftime', VERSION);
  const seconds = (name: string, description: string): Histogram => meter.createHistogram(name, { description, unit: 's', valueType: ValueType.DOUBLE });
  const check = seconds('halftime.check.duration', 'Duration of successful runs (think time excluded)');
  const step = seconds('halftime.step.duration', 'Duration of successful steps, redirects included, assets apart');
  const phase = seconds('halftime.phase.duration', 'Timing phases of successful steps');
  const runs: Counter = meter.createCounter('halftime.check.runs', { description: 'Finished runs by outcome', unit: '{run}' });
  const failures: Counter = meter.createCounter('halftime.check.failures', { description: 'Failed runs by failure code', unit: '{run}' });
  meter.createObservableGauge('halftime.check.up', { description: '1 when the last run passed, 0 when it failed' }).addCallback((o) => {
    for (const [monitor, v] of readings.up()) o.observe(v, { 'halftime.monitor': monitor });
  });
  if (readings.states)
    meter.createObservableGauge('halftime.check.state', { description: '1 for the monitor\'s current alert state' }).addCallback((o) => {
      for (const [monitor, state] of readings.states!()) o.observe(1, { 'halftime.monitor': monitor, 'halftime.state': state });
    });

  let pending: { point: SeriesPoint; run: LoadRunRef; at: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const sendLoad = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const rm = loadMetrics(batch, resource);
    exporter.send(rm, 'load', rm.scopeMetrics[0].metrics.reduce((n, m) => n + m.dataPoints.length, 0));
  };

  return {
    runs(results) {
      for (const r of results) {
        const monitor = { 'halftime.monitor': r.monitorId };
        runs.add(1, { ...monitor, 'halftime.outcome': r.ok ? 'ok' : 'failed' });
        if (!r.ok) failures.add(1, { ...monitor, [ATTR_ERROR_TYPE]: r.failure?.code ?? 'unknown' });
        else check.record(r.durationMs / 1000, monitor);
        for (const st of r.steps) {
          if (!st.ok) continue;
          step.record(st.timings.total / 1000, { ...monitor, 'halftime.step': st.name });
          for (const p of PHASES) phase.record(st.timings[p] / 1000, { ...monitor, 'halftime.phase': p });
        }
      }
    },
    loadPoint(point, run, at = Date.now()) {
      if (pending.length >= MAX_LOAD_POINTS) {
        health.dropped('load', 1, `${MAX_LOAD_POINTS} load-check points are waiting to be sent (collector slow or down)`);
        return;
      }
      pending.push({ point, run, at });
      timer ??= setTimeout(sendLoad, LOAD_FLUSH_MS);
      timer.unref?.();
    },
    async flush() {
      sendLoad();
      await provider.forceFlush().catch(() => undefined);
    },
    async shutdown() {
      sendLoad();
      // Failures are counted and logged by the exporter wrapper; shutting down only waits for them.
      await provider.shutdown().catch(() => undefined);
    },
  };
}

type LoadMetric = { name: string; unit: string; description: string; value: (p: SeriesPoint | SeriesPoint['steps'][number]) => number | null };
const ms = (v: number | null) => (v === null ? null : v / 1000);
const LOAD_METRICS: LoadMetric[] = [
  { name: 'halftime.load.throughput', unit: '{request}/s', description: 'Requests finished in the second', value: (p) => ('requests' in p ? p.requests : p.count) },
  { name: 'halftime.load.errors', unit: '{request}/s', description: 'Failed requests in the second', value: (p) => p.errors },
  { name: 'halftime.load.latency.p50', unit: 's', description: 'Median latency of the second', value: (p) => ms(p.p50) },
  { name: 'halftime.load.latency.p95', unit: 's', description: '95th percentile latency of the second', value: (p) => ms(p.p95) },
  { name: 'halftime.load.latency.p99', unit: 's', description: '99th percentile latency of the second', value: (p) => ms(p.p99) },
  { name: 'halftime.load.latency.max', unit: 's', description: 'Slowest request of the second', value: (p) => ms(p.max) },
];

/** A batch of per-second burst points as OTLP gauges, each point stamped with the second it covers. */
export function loadMetrics(batch: { point: SeriesPoint; run: LoadRunRef; at: number }[], resource: Resource): ResourceMetrics {
  const gauge = (name: string, unit: string, description: string): GaugeMetricData => ({
    descriptor: { name, unit, description, valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: [],
  });
  const users = gauge('halftime.load.users', '{user}', 'Simulated users running at the end of the second');
  const byName = new Map(LOAD_METRICS.map((m) => [m.name, gauge(m.name, m.unit, m.description)]));
  for (const { point, run, at } of batch) {
    const base: Attributes = { 'halftime.load.name': run.name, 'halftime.monitor': run.monitorKey, ...(run.runId !== undefined ? { 'halftime.load.run_id': run.runId } : {}) };
    const span = { startTime: hrTime(at - 1000), endTime: hrTime(at) };
    users.dataPoints.push({ ...span, attributes: base, value: point.users });
    for (const m of LOAD_METRICS) {
      const add = (v: number | null, attributes: Attributes) => v !== null && byName.get(m.name)!.dataPoints.push({ ...span, attributes, value: v });
      add(m.value(point), base);
      for (const st of point.steps) add(m.value(st), { ...base, 'halftime.step': st.name, ...(st.poll ? { 'halftime.poll': true } : {}) });
    }
  }
  return { resource, scopeMetrics: [{ scope: { name: 'halftime.load', version: VERSION }, metrics: [users, ...byName.values()].filter((m) => m.dataPoints.length > 0) }] };
}
