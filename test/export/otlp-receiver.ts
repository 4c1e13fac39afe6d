/**
 * An OTLP/HTTP receiver on 127.0.0.1 for the tests: it decodes what the exporters send with the
 * official OpenTelemetry protobuf definitions (the generated root the OpenTelemetry JS project ships
 * in @opentelemetry/otlp-transformer up to 0.216, installed here as `otlp-transformer-protos`), or
 * as OTLP JSON. It can also answer 500 or stall, to play a broken collector.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startServer, type TestServer } from '../helpers.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('otlp-transformer-protos/build/src/generated/root.js') as {
  opentelemetry: {
    proto: {
      collector: {
        trace: { v1: { ExportTraceServiceRequest: ProtoType } };
        metrics: { v1: { ExportMetricsServiceRequest: ProtoType } };
      };
    };
  };
};
type ProtoType = { decode(buf: Uint8Array): unknown; toObject(m: unknown, o: Record<string, unknown>): unknown };

const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const MetricsRequest = root.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

export type Attr = { key: string; value: { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number; arrayValue?: unknown } };
export type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attr[];
  events: { name: string; timeUnixNano: string; attributes: Attr[] }[];
  status?: { code?: number; message?: string };
};
export type OtlpMetric = { name: string; unit?: string; gauge?: { dataPoints: DataPoint[] }; sum?: { dataPoints: DataPoint[] }; exponentialHistogram?: { dataPoints: DataPoint[] }; histogram?: { dataPoints: DataPoint[] } };
export type DataPoint = { attributes: Attr[]; asDouble?: number; asInt?: number | string; count?: number | string; startTimeUnixNano: string; timeUnixNano: string; scale?: number; positive?: unknown };

export type Mode = { kind: 'ok' } | { kind: 'status'; status: number } | { kind: 'stall'; ms: number };

export type Receiver = TestServer & {
  spans: OtlpSpan[];
  metrics: OtlpMetric[];
  resources: Attr[][];
  requests: { path: string; contentType: string; headers: IncomingMessage['headers'] }[];
  mode: Mode;
};

const decodeOptions = { longs: String, bytes: String, enums: Number, defaults: false, arrays: true };
const hex = (b64: string | undefined) => (b64 ? Buffer.from(b64, 'base64').toString('hex') : '');

export async function startReceiver(): Promise<Receiver> {
  const rx = { spans: [], metrics: [], resources: [], requests: [], mode: { kind: 'ok' } } as unknown as Receiver;
  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const contentType = String(req.headers['content-type'] ?? '');
    rx.requests.push({ path: req.url ?? '', contentType, headers: req.headers });
    const mode = rx.mode;
    if (mode.kind === 'status') {
      res.writeHead(mode.status, { 'content-type': 'text/plain' });
      res.end('collector says no');
      return;
    }
    const json = contentType.includes('json');
    const decode = (T: ProtoType) => (json ? JSON.parse(body.toString('utf8')) : T.toObject(T.decode(body), decodeOptions)) as Record<string, unknown>;
    if (req.url === '/v1/traces') {
      const msg = decode(TraceRequest) as { resourceSpans?: { resource?: { attributes: Attr[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
      for (const rs of msg.resourceSpans ?? []) {
        rx.resources.push(rs.resource?.attributes ?? []);
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            // Protobuf ids arrive as bytes (base64 here); OTLP JSON writes them as hex already.
            rx.spans.push(json ? s : { ...s, traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId), events: s.events ?? [], attributes: s.attributes ?? [] });
      }
    } else if (req.url === '/v1/metrics') {
      const msg = decode(MetricsRequest) as { resourceMetrics?: { scopeMetrics?: { metrics?: OtlpMetric[] }[] }[] };
      for (const rm of msg.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) rx.metrics.push(...(sm.metrics ?? []));
    } else {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    res.end(json ? '{}' : undefined);
  };
  const server = await startServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const mode = rx.mode;
      if (mode.kind === 'stall') setTimeout(() => !res.destroyed && handle(req, res, Buffer.concat(chunks)), mode.ms).unref();
      else handle(req, res, Buffer.concat(chunks));
    });
  });
  return Object.assign(rx, server);
}

/** An attribute's value as plain JS. */
export function attr(attrs: Attr[] | undefined, key: string): unknown {
  const a = attrs?.find((x) => x.key === key)?.value;
  if (!a) return undefined;
  if (a.stringValue !== undefined) return a.stringValue;
  if (a.intValue !== undefined) return Number(a.intValue);
  if (a.doubleValue !== undefined) return a.doubleValue;
  if (a.boolValue !== undefined) return a.boolValue;
  return a.arrayValue;
}
