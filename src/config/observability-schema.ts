/**
 * What halftime exports to the observability stack people already run: `metrics` (the Prometheus
 * `/metrics` endpoint and who may read it) and `otel` (traces and metrics over OTLP/HTTP, the trace
 * links on run pages, the `traceparent` sent with every probe request). Both are optional; the
 * standard `OTEL_EXPORTER_OTLP_*` variables fill in what `otel` leaves out (see docs/observability.md).
 */
import { z } from 'zod';
import { duration, httpUrl } from './schema-parts.js';

/** A W3C `tracestate` value: up to 32 `key=value` members, comma-separated, at most 512 characters. */
const TRACESTATE_MEMBER = /^\s*[a-z0-9][a-z0-9_\-*/@]{0,255}=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]\s*$/;
const tracestate = z
  .string()
  .max(512)
  .refine((s) => s.split(',').length <= 32 && s.split(',').every((m) => TRACESTATE_MEMBER.test(m)), 'not a W3C tracestate (key=value pairs, comma-separated, e.g. "halftime=synthetic")');

/** Header names as HTTP allows them (OTLP collectors often want `authorization` or an API key header). */
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid header name');

export const metricsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Serve GET /metrics (Prometheus text or OpenMetrics, by the Accept header)'),
    token: z.string().min(16, 'a metrics token needs at least 16 characters').optional().describe('Bearer token a scraper must send (use ${secret:NAME})'),
    basicAuth: z
      .strictObject({ username: z.string().min(1), password: z.string().min(12, 'a metrics password needs at least 12 characters') })
      .optional()
      .describe('Or basic auth a scraper must send (password from ${secret:NAME})'),
  })
  .describe('The Prometheus endpoint: histograms per monitor and step, states, failures, alerting and self-health');

export const otelSchema = z
  .strictObject({
    endpoint: httpUrl.optional().describe('OTLP/HTTP base URL, e.g. http://collector:4318 (/v1/traces and /v1/metrics are added); default OTEL_EXPORTER_OTLP_ENDPOINT'),
    tracesEndpoint: httpUrl.optional().describe('Full URL for traces (default: endpoint + /v1/traces, or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)'),
    metricsEndpoint: httpUrl.optional().describe('Full URL for metrics (default: endpoint + /v1/metrics, or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)'),
    protocol: z.enum(['http/protobuf', 'http/json']).optional().describe('Default OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf'),
    headers: z.record(headerName, z.string()).default({}).describe('Sent with every export (merged over OTEL_EXPORTER_OTLP_HEADERS)'),
    serviceName: z.string().min(1).max(200).optional().describe('service.name of the resource (default OTEL_SERVICE_NAME, else halftime)'),
    resourceAttributes: z.record(z.string(), z.string()).default({}).describe('More resource attributes (deployment.environment, …), over OTEL_RESOURCE_ATTRIBUTES'),
    traces: z.boolean().default(true).describe('Export a span tree per run'),
    metrics: z.boolean().default(true).describe('Export metrics (exponential histograms) and load-check series'),
    metricsInterval: duration({ min: 1_000, max: 3_600_000 }).optional().describe('How often metrics are pushed (default OTEL_METRIC_EXPORT_INTERVAL, else 60s)'),
    timeout: duration({ min: 100, max: 120_000 }).optional().describe('Per export request (default OTEL_EXPORTER_OTLP_TIMEOUT, else 10s)'),
    maxQueueSpans: z.number().int().min(64).max(1_000_000).optional().describe('Spans kept while the collector is slow or down; more are dropped and counted (default OTEL_BSP_MAX_QUEUE_SIZE, else 2048)'),
    maxBatchSpans: z.number().int().min(1).max(10_000).optional().describe('Spans per export request (default OTEL_BSP_MAX_EXPORT_BATCH_SIZE, else 512)'),
    tracestate: tracestate.optional().describe('Sent as `tracestate` with every traceparent'),
    traceUrl: z
      .string()
      .refine((s) => s.includes('{traceId}'), 'must contain {traceId}, e.g. https://grafana.example/explore?traceId={traceId}')
      .refine((s) => /^https?:\/\//i.test(s), 'must start with http:// or https://')
      .optional()
      .describe('Link shown with a run\'s trace id; {traceId}, {monitor}, {from} and {to} (epoch ms) are filled in'),
    publicTraceLinks: z.boolean().default(false).describe('Also show trace ids and links on the public run details'),
  })
  .describe('OpenTelemetry: traces and metrics over OTLP/HTTP, trace links, tracestate');

/** The keys `configSchema` takes (one spread there). */
export const observabilityConfig = {
  metrics: metricsSchema.default({ enabled: true }),
  otel: otelSchema.optional(),
};

/** The key a monitor takes (one spread in `monitorSchema`). */
export const monitorTraceKeys = {
  trace: z.boolean().optional().describe('Send a W3C traceparent (and tracestate) with every request of a run, so backend traces join it (default true)'),
};

export type MetricsConfig = z.output<typeof metricsSchema>;
export type OtelConfig = z.output<typeof otelSchema>;
