/**
 * Runs as traces over OTLP/HTTP: the SDK's BatchSpanProcessor and OTLP exporter (protobuf or JSON),
 * with a bounded queue in front. Spans wait in memory at most `maxQueueSpans` deep; when the
 * collector is slow or down, further spans are dropped and counted, never held. Exports run in the
 * background on the exporter's own timeout: nothing here waits for the collector on a probe's or the
 * writer's path.
 */
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ExportResultCode } from '@opentelemetry/core';
import type { RunResult } from '../probes/types.js';
import type { ExportHealth } from './export-health.js';
import type { OtelSettings } from './otel-settings.js';
import { PresetIds, recordRunSpans } from './run-spans.js';
import { VERSION } from './version.js';

export type TraceExport = {
  /** Builds the span trees of traced runs and queues them for export. */
  runs(results: readonly RunResult[]): void;
  /** Spans waiting to be sent (never more than `maxQueueSpans`). */
  queued(): number;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
};

/** An exporter that tells `health` what became of every batch. */
function countingExporter(inner: SpanExporter, health: ExportHealth, handed: { n: number }): SpanExporter {
  return {
    export(spans: ReadableSpan[], done) {
      handed.n += spans.length;
      try {
        inner.export(spans, (result) => {
          if (result.code === ExportResultCode.SUCCESS) health.ok('traces', spans.length);
          else health.failed('traces', spans.length, result.error);
          done(result);
        });
      } catch (err) {
        health.failed('traces', spans.length, err);
        done({ code: ExportResultCode.FAILED, error: err as Error });
      }
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

export function createTraceExport(settings: OtelSettings, resource: Resource, health: ExportHealth): TraceExport {
  const s = settings.traces!;
  const options = {
    url: s.url,
    headers: settings.headers,
    timeoutMillis: settings.timeoutMs,
    // At most two requests in flight: a slow collector holds two batches, not a pile of them.
    concurrencyLimit: 2,
  };
  const exporter = s.protocol === 'http/json' ? new JsonTraceExporter(options) : new ProtoTraceExporter(options);
  const handed = { n: 0 };
  let accepted = 0;
  const batch = new BatchSpanProcessor(countingExporter(exporter, health, handed), {
    maxQueueSize: settings.maxQueueSpans,
    maxExportBatchSize: Math.min(settings.maxBatchSpans, settings.maxQueueSpans),
    scheduledDelayMillis: 1000,
    exportTimeoutMillis: (settings.timeoutMs ?? 10_000) + 1000,
  });
  const queued = () => accepted - handed.n;
  // In front of the batch processor: the same limit, but every dropped span is counted (the SDK only logs).
  const gate: SpanProcessor = {
    onStart: () => {},
    onEnd(span) {
      if (queued() >= settings.maxQueueSpans) {
        health.dropped('traces', 1, `the queue of ${settings.maxQueueSpans} spans is full (collector slow or down)`);
        return;
      }
      accepted++;
      batch.onEnd(span);
    },
    forceFlush: () => batch.forceFlush(),
    shutdown: () => batch.shutdown(),
  };
  const ids = new PresetIds();
  const provider = new BasicTracerProvider({ resource, idGenerator: ids, sampler: new AlwaysOnSampler(), spanProcessors: [gate] });
  const tracer = provider.getTracer('halftime', VERSION);

  return {
    runs(results) {
      for (const r of results) recordRunSpans(r, { tracer, ids });
    },
    queued,
    // A failed export is already counted and logged by the exporter wrapper; flushing only waits for it.
    flush: () => provider.forceFlush().catch(() => undefined),
    shutdown: () => provider.shutdown().catch(() => undefined),
  };
}
