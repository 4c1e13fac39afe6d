import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/read.js';
import { createObserver } from '../../src/export/observe.js';
import { OtelSettingsError, resolveOtelSettings } from '../../src/export/otel-settings.js';
import { createTraceLinker } from '../../src/export/trace-link.js';
import { createLogger } from '../../src/log.js';
import { sleep } from '../helpers.js';
import { config, fakeRun } from './fixtures.js';
import { startReceiver, type Receiver } from './otlp-receiver.js';

/** Where OTLP goes (config first, then the standard OTEL_* variables), what the config refuses, and trace links. */
const problems = (yaml: string) => {
  try {
    config(yaml);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
};

describe('config', () => {
  it('names the path and the problem', () => {
    expect(problems('metrics: { token: short }')).toEqual(['metrics.token: a metrics token needs at least 16 characters']);
    expect(problems('otel: { traceUrl: "https://grafana.example/explore" }')[0]).toMatch(/^otel\.traceUrl: must contain \{traceId\}/);
    expect(problems('otel: { tracestate: "no spaces allowed here" }')[0]).toMatch(/^otel\.tracestate: not a W3C tracestate/);
    expect(problems('otel: { endpoint: "collector:4318" }')[0]).toMatch(/^otel\.endpoint: not a valid URL/);
    // An unknown key names the one it most likely meant (config/key-hints.ts).
    expect(problems('otel: { endpont: "http://c:4318" }')).toEqual(['otel: unknown key: endpont (did you mean endpoint?)']);
    expect(problems('otel: { protocol: grpc }')[0]).toMatch(/^otel\.protocol:/);
    expect(problems('monitors: [{ name: A, trace: "yes", steps: [{ url: "http://127.0.0.1/" }] }]')[0]).toMatch(/^monitors\[0\]\.trace:/);
    expect(problems('otel: { endpoint: "http://127.0.0.1:4318", tracestate: "halftime=synthetic,vendor@sys=a1" }')).toEqual([]);
  });

  it('serves /metrics by default, open; otel is off until an endpoint is named', () => {
    const c = config('monitors: []').config;
    expect(c.metrics).toEqual({ enabled: true });
    expect(c.otel).toBeUndefined();
    expect(resolveOtelSettings(c.otel, {})).toBeUndefined();
  });
});

describe('OTLP settings: config, then OTEL_* variables, then defaults', () => {
  const otel = (yaml: string) => config(`otel: ${yaml}`).config.otel;

  it('builds the signal URLs from otel.endpoint; explicit ones win', () => {
    const s = resolveOtelSettings(otel('{ endpoint: "http://collector:4318/", metricsEndpoint: "http://m:9/custom" }'), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:1' })!;
    expect(s.traces).toEqual({ url: 'http://collector:4318/v1/traces', target: 'http://collector:4318/v1/traces', protocol: 'http/protobuf' });
    expect(s.metrics!.url).toBe('http://m:9/custom');
    expect(s.serviceName).toBe('halftime');
    expect(s.metricsIntervalMs).toBe(60_000);
    expect(s.maxQueueSpans).toBe(2048);
  });

  it('reads the standard variables when the config names no endpoint', () => {
    const s = resolveOtelSettings(undefined, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:4318/v1/metrics',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'synthetics',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=web%20ops',
      OTEL_METRIC_EXPORT_INTERVAL: '15000',
      OTEL_BSP_MAX_QUEUE_SIZE: '500',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abcdef123456',
    })!;
    // The exporter reads the URL from the environment itself (url undefined); halftime knows where it goes.
    expect(s.traces).toEqual({ target: 'http://collector:4318/v1/traces', protocol: 'http/json' });
    expect(s.metrics).toEqual({ target: 'http://metrics:4318/v1/metrics', protocol: 'http/json' });
    expect(s.serviceName).toBe('synthetics');
    expect(s.resourceAttributes).toEqual({ 'deployment.environment': 'prod', team: 'web ops' });
    expect(s.metricsIntervalMs).toBe(15_000);
    expect(s.maxQueueSpans).toBe(500);
    expect(s.envSecrets).toEqual([['OTEL_EXPORTER_OTLP_HEADERS:x-api-key', 'abcdef123456']]);
  });

  it('turns signals off as the variables and the config say', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(resolveOtelSettings(undefined, { ...env, OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
    expect(resolveOtelSettings(undefined, { ...env, OTEL_TRACES_EXPORTER: 'none' })!.traces).toBeUndefined();
    expect(resolveOtelSettings(otel('{ traces: false }'), env)!.traces).toBeUndefined();
    expect(resolveOtelSettings(otel('{ traces: false, metrics: false }'), env)).toBeUndefined();
  });

  it('refuses gRPC with a sentence naming the variable', () => {
    expect(() => resolveOtelSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toThrow(OtelSettingsError);
    expect(() => resolveOtelSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/);
  });
});

describe('OTLP/HTTP JSON and endpoints from the environment, over real HTTP', () => {
  let rx: Receiver | undefined;
  const saved = { ...process.env };
  afterEach(async () => {
    process.env = { ...saved };
    await rx?.close();
  });

  it('sends OTLP JSON when asked, with the configured headers', async () => {
    rx = await startReceiver();
    const o = createObserver({ loaded: config(`otel: { endpoint: "${rx.url}", protocol: http/json, headers: { x-tenant: acme }, metrics: false }`), processMetrics: false });
    const run = fakeRun({ steps: 2 });
    o.runs([run]);
    for (let i = 0; i < 50 && rx.spans.length < 3; i++) await sleep(100);
    await o.stop(1000);
    expect(rx.requests[0].contentType).toBe('application/json');
    expect(rx.requests[0].headers['x-tenant']).toBe('acme');
    const root = rx.spans.find((s) => s.parentSpanId === '' || s.parentSpanId === undefined)!;
    expect(root.traceId).toBe(run.traceId);
    expect(root.spanId).toBe(run.spanId);
    expect(rx.spans.filter((s) => s.parentSpanId === run.spanId).map((s) => s.spanId)).toEqual(run.steps.map((s) => s.spanId));
  });

  it('finds the collector through OTEL_EXPORTER_OTLP_ENDPOINT and keeps env headers out of the log', async () => {
    rx = await startReceiver();
    rx.mode = { kind: 'status', status: 400 };
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = rx.url;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-api-key=env-secret-value-42';
    const lines: string[] = [];
    const o = createObserver({ loaded: config('monitors: []'), log: createLogger({ write: (l) => lines.push(l) }), processMetrics: false });
    o.runs([fakeRun()]);
    for (let i = 0; i < 50 && o.otlp()!.counts('traces').requests.failed === 0; i++) await sleep(100);
    await o.stop(1000);
    expect(rx.requests.some((r) => r.path === '/v1/traces' && r.headers['x-api-key'] === 'env-secret-value-42')).toBe(true);
    expect(lines.some((l) => l.includes('OTLP traces export failed') && l.includes('HTTP 400'))).toBe(true);
    expect(lines.join('\n')).not.toContain('env-secret-value-42');
  });
});

describe('trace links', () => {
  it('fills in the trace id, monitor and time range, URL-encoded', () => {
    const link = createTraceLinker('https://grafana.example/explore?traceId={traceId}&m={monitor}&from={from}&to={to}&x={other}');
    expect(link({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', monitor: 'a b', startedAt: 1_000_000, durationMs: 250.5 })).toBe(
      'https://grafana.example/explore?traceId=4bf92f3577b34da6a3ce929d0e0e4736&m=a%20b&from=940000&to=1060251&x={other}',
    );
  });
});
