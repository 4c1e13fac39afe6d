/**
 * Where and how OTLP goes: the config's `otel:` block first, then the standard OpenTelemetry
 * environment variables, then the defaults. Only what halftime decides itself is resolved here
 * (whether to export at all, the URLs, the protocol, the resource); headers, timeout, compression and
 * certificates given only through `OTEL_EXPORTER_OTLP_*` are read by the OTLP exporters themselves,
 * the way every OpenTelemetry SDK reads them.
 */
import type { OtelConfig } from '../config/observability-schema.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export type SignalSettings = {
  /** Full URL (`…/v1/traces`); undefined: the exporter takes it from the environment. */
  url?: string;
  /** Where it goes, for logs and errors. */
  target: string;
  protocol: OtlpProtocol;
};

export type OtelSettings = {
  traces?: SignalSettings;
  metrics?: SignalSettings;
  headers: Record<string, string>;
  /** ms; undefined: OTEL_EXPORTER_OTLP_TIMEOUT or the exporter's 10 s. */
  timeoutMs?: number;
  metricsIntervalMs: number;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  maxQueueSpans: number;
  maxBatchSpans: number;
  /** Values of OTEL_EXPORTER_OTLP_*HEADERS, to keep out of logs (they usually hold an API key). */
  envSecrets: [string, string][];
};

export class OtelSettingsError extends Error {
  override name = 'OtelSettingsError';
}

const PROTOCOLS = new Set(['http/protobuf', 'http/json']);

function protocolOf(configured: OtlpProtocol | undefined, env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS'): OtlpProtocol {
  if (configured) return configured;
  for (const name of [`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const v = env[name]?.trim();
    if (!v) continue;
    if (!PROTOCOLS.has(v)) throw new OtelSettingsError(`${name}=${v} is not supported: halftime exports OTLP over HTTP (http/protobuf or http/json); set otel.protocol or change the variable`);
    return v as OtlpProtocol;
  }
  return 'http/protobuf';
}

/** `k1=v1,k2=v2` (values URL-encoded), as OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS write them. */
export function parseKeyValues(text: string | undefined): [string, string][] {
  if (!text) return [];
  return text
    .split(',')
    .map((pair) => pair.split('='))
    .filter((kv) => kv.length >= 2 && kv[0].trim() !== '')
    .map(([k, ...v]) => {
      const raw = v.join('=').trim();
      try {
        return [k.trim(), decodeURIComponent(raw)] as [string, string];
      } catch {
        return [k.trim(), raw] as [string, string];
      }
    });
}

const positiveInt = (v: string | undefined) => {
  const n = Number(v);
  return v !== undefined && v.trim() !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
};

const off = (v: string | undefined) => v?.trim().toLowerCase() === 'none';

/** The URL of one signal, or undefined when neither the config nor the environment names one. */
function signal(cfg: OtelConfig | undefined, env: NodeJS.ProcessEnv, which: 'traces' | 'metrics'): SignalSettings | undefined {
  const ENV = which === 'traces' ? 'TRACES' : 'METRICS';
  if (cfg && cfg[which] === false) return undefined;
  if (off(env[`OTEL_${ENV}_EXPORTER`])) return undefined;
  const protocol = protocolOf(cfg?.protocol, env, ENV);
  const own = which === 'traces' ? cfg?.tracesEndpoint : cfg?.metricsEndpoint;
  if (own) return { url: own, target: own, protocol };
  if (cfg?.endpoint) {
    const url = `${cfg.endpoint.replace(/\/+$/, '')}/v1/${which}`;
    return { url, target: url, protocol };
  }
  // Only the environment names the collector: the exporter reads it (signal-specific URL as given,
  // the generic one with /v1/<signal> added), exactly as the OpenTelemetry specification says.
  const specific = env[`OTEL_EXPORTER_OTLP_${ENV}_ENDPOINT`]?.trim();
  if (specific) return { target: specific, protocol };
  const generic = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (generic) return { target: `${generic.replace(/\/+$/, '')}/v1/${which}`, protocol };
  return undefined;
}

/** The resolved settings; `undefined` when nothing is to be exported (no endpoint, or turned off). */
export function resolveOtelSettings(cfg: OtelConfig | undefined, env: NodeJS.ProcessEnv = process.env): OtelSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const traces = signal(cfg, env, 'traces');
  const metrics = signal(cfg, env, 'metrics');
  if (!traces && !metrics) return undefined;
  const envSecrets = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'].flatMap((name) =>
    parseKeyValues(env[name]).map(([k, v]) => [`${name}:${k}`, v] as [string, string]),
  );
  return {
    traces,
    metrics,
    headers: cfg?.headers ?? {},
    timeoutMs: cfg?.timeout,
    metricsIntervalMs: cfg?.metricsInterval ?? positiveInt(env.OTEL_METRIC_EXPORT_INTERVAL) ?? 60_000,
    serviceName: cfg?.serviceName ?? (env.OTEL_SERVICE_NAME?.trim() || 'halftime'),
    resourceAttributes: { ...Object.fromEntries(parseKeyValues(env.OTEL_RESOURCE_ATTRIBUTES)), ...cfg?.resourceAttributes },
    maxQueueSpans: cfg?.maxQueueSpans ?? positiveInt(env.OTEL_BSP_MAX_QUEUE_SIZE) ?? 2048,
    maxBatchSpans: cfg?.maxBatchSpans ?? positiveInt(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE) ?? 512,
    envSecrets: envSecrets.filter(([, v]) => v.length >= 4),
  };
}
