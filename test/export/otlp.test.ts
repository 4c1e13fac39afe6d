import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime, type Halftime } from '../../src/main.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';
import { attr, startReceiver, type OtlpSpan, type Receiver } from './otlp-receiver.js';

/**
 * End to end over real HTTP: halftime runs a journey against a target on 127.0.0.1, the target sees a
 * traceparent on every request, and an OTLP/HTTP receiver decoding the official protobuf definitions
 * gets the run's span tree with the same ids, the metrics (exponential histograms), and a burst's
 * per-second series; the run pages show the trace id with its link.
 */
describe('OpenTelemetry export and traceparent, wired into halftime', () => {
  let target: TestServer;
  let rx: Receiver;
  let tmp: ReturnType<typeof tempDir>;
  let ht: Halftime;
  const seen: { path: string; traceparent?: string; tracestate?: string }[] = [];

  beforeAll(async () => {
    tmp = tempDir();
    rx = await startReceiver();
    target = await startServer((req, res) => {
      seen.push({ path: req.url ?? '', traceparent: req.headers.traceparent as string | undefined, tracestate: req.headers.tracestate as string | undefined });
      const path = (req.url ?? '').split('?')[0];
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><html><head><link rel="stylesheet" href="/s.css"></head><body><img src="/logo.svg">Welcome</body></html>');
      } else if (path === '/go') {
        res.writeHead(302, { location: '/landed' });
        res.end();
      } else if (path === '/fail') {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('down for maintenance');
      } else {
        res.writeHead(200, { 'content-type': path.endsWith('.css') ? 'text/css' : 'text/plain' });
        res.end('ok');
      }
    });
    const yaml = `
otel:
  endpoint: ${rx.url}
  traceUrl: https://grafana.example/explore?traceId={traceId}&from={from}
  tracestate: halftime=synthetic
  publicTraceLinks: true
  metricsInterval: 1s
load:
  allowHosts: [127.0.0.1]
monitors:
  - name: Shop
    id: shop
    public: true
    every: 1s
    baseUrl: ${target.url}
    steps:
      - { name: home, url: "/?session=s3cr3t-session", assets: true }
      - { name: redirect, url: /go }
      - { name: broken, url: /fail }
  - name: Quiet
    id: quiet
    every: 1s
    trace: false
    steps:
      - { name: ping, url: "${target.url}/quiet" }
    load: { users: 1, spawnRate: 1, duration: 2s, thinkTime: 100ms }
`;
    ht = await startHalftime({ loaded: parseConfigText(yaml, 'test.yaml', {}), dbPath: join(tmp.dir, 'h.db'), port: 0, host: '127.0.0.1', logger: createLogger({ quiet: true }), adminPassword: 'correct horse battery' });
    // Bounded wait: a traced run of shop is stored and its spans have reached the receiver.
    for (let i = 0; i < 100; i++) {
      await ht.store.writer.flush();
      if (rx.spans.some((s) => s.parentSpanId === '') && rx.spans.length >= 7 && rx.metrics.some((m) => m.name === 'halftime.step.duration')) break;
      await sleep(100);
    }
  }, 30_000);
  afterAll(async () => {
    await ht?.stop(2000);
    await target?.close();
    await rx?.close();
    tmp?.cleanup();
  });

  /** The newest stored run of shop whose spans arrived, and its span tree. */
  async function tracedRun() {
    for (const run of await ht.store.runs.list({ monitor: 'shop', limit: 20 })) {
      const spans = rx.spans.filter((s) => s.traceId === run.traceId);
      // All six spans of the run: root, three steps, the assets group and its two assets.
      if (run.traceId && spans.length >= 7) return { run, detail: (await ht.store.runs.get(run.id, { monitor: 'shop' }))!, spans };
    }
    throw new Error(`no complete trace received (${rx.spans.length} spans so far)`);
  }

  it('stores a W3C trace id with every traced run, and the target saw it in traceparent on every request', async () => {
    const { run, detail, spans } = await tracedRun();
    expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
    const mine = seen.filter((r) => r.traceparent?.includes(run.traceId!));
    const byPath = (p: string) => mine.find((r) => r.path.split('?')[0] === p)!;
    for (const p of ['/', '/s.css', '/logo.svg', '/go', '/landed', '/fail']) {
      expect(byPath(p), p).toBeDefined();
      expect(byPath(p).traceparent).toMatch(new RegExp(`^00-${run.traceId}-[0-9a-f]{16}-01$`));
      expect(byPath(p).tracestate).toBe('halftime=synthetic');
    }
    const spanOf = (p: string) => byPath(p).traceparent!.split('-')[2];
    // The page and its assets carry the home step's span; the redirect hop carries its step's span.
    expect(spanOf('/s.css')).toBe(spanOf('/'));
    expect(spanOf('/landed')).toBe(spanOf('/go'));
    expect(new Set([spanOf('/'), spanOf('/go'), spanOf('/fail')]).size).toBe(3);
    // The step spans the collector got are exactly the spans the requests named as their parent.
    const stepSpans = detail.steps.map((s) => spans.find((x) => x.name === `GET ${s.name}`)!);
    expect(stepSpans.map((s) => s.spanId)).toEqual([spanOf('/'), spanOf('/go'), spanOf('/fail')]);
  });

  it('sends the run as a span tree: run → steps (CLIENT, HTTP attributes, phases, status) → assets', async () => {
    const { run, detail, spans } = await tracedRun();
    const roots = spans.filter((s) => s.parentSpanId === '');
    expect(roots).toHaveLength(1);
    const root = roots[0];
    expect(root.name).toBe('run shop');
    expect(attr(root.attributes, 'halftime.monitor')).toBe('shop');
    expect(root.status?.code).toBe(2); // ERROR: the last step failed
    expect(root.status?.message).toContain('status');
    const children = (parent: OtlpSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
    const steps = children(root);
    expect(steps.map((s) => s.name)).toEqual(['GET home', 'GET redirect', 'GET broken']);
    for (const s of steps) expect(s.kind).toBe(3); // SPAN_KIND_CLIENT
    const [home, redirect, broken] = steps;
    expect(attr(home.attributes, 'http.request.method')).toBe('GET');
    // url.full keeps no query string (it held a session value here).
    expect(attr(home.attributes, 'url.full')).toBe(`${target.url}/`);
    expect(JSON.stringify(spans)).not.toContain('s3cr3t-session');
    expect(attr(home.attributes, 'server.address')).toBe('127.0.0.1');
    expect(attr(home.attributes, 'server.port')).toBe(Number(new URL(target.url).port));
    expect(attr(home.attributes, 'http.response.status_code')).toBe(200);
    expect(attr(redirect.attributes, 'http.request.resend_count')).toBe(1);
    expect(attr(broken.attributes, 'http.response.status_code')).toBe(503);
    expect(attr(broken.attributes, 'error.type')).toBe('status');
    expect(broken.status?.code).toBe(2);
    expect(broken.status?.message).toMatch(/^status: expected status .*got 503/);
    expect(home.status?.code ?? 0).toBe(0);
    // Phases as events, in order, within the step.
    const events = home.events.map((e) => e.name);
    expect(events).toEqual(expect.arrayContaining(['connect', 'first byte', 'last byte']));
    const t = (ns: string) => BigInt(ns);
    for (const e of home.events) {
      expect(t(e.timeUnixNano) >= t(home.startTimeUnixNano)).toBe(true);
      expect(t(e.timeUnixNano) <= t(home.endTimeUnixNano) + 1000n).toBe(true);
    }
    // Span times are the run's own: a step span lasts what the stored step measured.
    detail.steps.forEach((s, i) => {
      const ms = Number(t(steps[i].endTimeUnixNano) - t(steps[i].startTimeUnixNano)) / 1e6;
      expect(ms).toBeCloseTo(s.timings.total, 2);
      expect(Number(t(steps[i].startTimeUnixNano) / 1_000_000n)).toBeGreaterThanOrEqual(run.startedAt);
    });
    expect(t(root.startTimeUnixNano)).toBe(BigInt(run.startedAt) * 1_000_000n);
    // Assets under the page's step.
    const [assets] = children(home);
    expect(assets.name).toBe('assets');
    expect(attr(assets.attributes, 'halftime.assets.count')).toBe(2);
    const files = children(assets).map((a) => String(attr(a.attributes, 'url.full')).replace(target.url, ''));
    expect(files.sort()).toEqual(['/logo.svg', '/s.css']);
    expect(rx.resources.some((r) => attr(r, 'service.name') === 'halftime')).toBe(true);
    expect(rx.requests.find((r) => r.path === '/v1/traces')!.contentType).toBe('application/x-protobuf');
  });

  it('sends no traceparent for a monitor with trace: false, and stores no trace id for it', async () => {
    const quiet = seen.filter((r) => r.path === '/quiet');
    expect(quiet.length).toBeGreaterThan(0);
    expect(quiet.every((r) => r.traceparent === undefined)).toBe(true);
    const runs = await ht.store.runs.list({ monitor: 'quiet', limit: 10 });
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((r) => r.traceId === null)).toBe(true);
  });

  it('exports metrics as exponential histograms and counters with bounded attributes', async () => {
    for (let i = 0; i < 50 && !rx.metrics.some((m) => m.name === 'halftime.check.duration'); i++) await sleep(100);
    const step = rx.metrics.filter((m) => m.name === 'halftime.step.duration');
    expect(step.length).toBeGreaterThan(0);
    const points = step.flatMap((m) => m.exponentialHistogram?.dataPoints ?? []);
    expect(points.length).toBeGreaterThan(0);
    expect(points.some((p) => attr(p.attributes, 'halftime.monitor') === 'shop' && attr(p.attributes, 'halftime.step') === 'home' && Number(p.count) > 0)).toBe(true);
    // The failing step is not in the latency histogram; failures are counted by code.
    expect(points.some((p) => attr(p.attributes, 'halftime.step') === 'broken')).toBe(false);
    const failures = rx.metrics.filter((m) => m.name === 'halftime.check.failures').flatMap((m) => m.sum?.dataPoints ?? []);
    expect(failures.some((p) => attr(p.attributes, 'error.type') === 'status' && Number(p.asInt ?? p.asDouble) > 0)).toBe(true);
    const check = rx.metrics.filter((m) => m.name === 'halftime.check.duration').flatMap((m) => m.exponentialHistogram?.dataPoints ?? []);
    expect(check.some((p) => attr(p.attributes, 'halftime.monitor') === 'quiet')).toBe(true);
    const up = rx.metrics.filter((m) => m.name === 'halftime.check.up').flatMap((m) => m.gauge?.dataPoints ?? []);
    expect(up.find((p) => attr(p.attributes, 'halftime.monitor') === 'shop')?.asInt ?? up.find((p) => attr(p.attributes, 'halftime.monitor') === 'shop')?.asDouble).toBe(0);
    for (const p of [...points, ...failures]) for (const a of p.attributes) expect(String(a.value.stringValue ?? '')).not.toMatch(/https?:|\?/);
  });

  const login = async () => {
    const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const form = await fetch(`${ht.url}/login`);
    const res = await fetch(`${ht.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: ht.url, cookie: cookiesOf(form), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: /name="_csrf" value="([^"]+)"/.exec(await form.text())![1], username: 'admin', password: 'correct horse battery', next: '/admin' }),
    });
    return cookiesOf(res).split('; ').filter((c) => c.startsWith('halftime_session=')).join('; ');
  };

  it('shows the trace id with its link on the run details, admin and (when allowed) public', async () => {
    const { run } = await tracedRun();
    const link = `https://grafana.example/explore?traceId=${run.traceId}&amp;from=${run.startedAt - 60_000}`;
    const pub = await (await fetch(`${ht.url}/partials/monitors/shop/runs/${run.id}`)).text();
    expect(pub).toContain(run.traceId);
    expect(pub).toContain(link);
    const cookie = await login();
    const admin = await (await fetch(`${ht.url}/admin/runs/${run.id}`, { headers: { cookie } })).text();
    expect(admin).toContain(`<code>${run.traceId}</code>`);
    expect(admin).toContain(link);
  });

  it('exports a burst’s per-second series with its run id', async () => {
    const cookie = await login();
    const page = await (await fetch(`${ht.url}/admin/monitors/quiet`, { headers: { cookie } })).text();
    const start = await fetch(`${ht.url}/admin/load-runs/start`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: ht.url, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: /name="_csrf" value="([^"]+)"/.exec(page)![1], monitor: 'quiet', burst: 'quiet', users: '1', spawnRate: '1', duration: '2s' }),
    });
    expect(start.status).toBe(303);
    const runId = Number(start.headers.get('location')!.split('/').pop());
    const loadPoints = () => rx.metrics.filter((m) => m.name === 'halftime.load.throughput').flatMap((m) => m.gauge?.dataPoints ?? []).filter((p) => attr(p.attributes, 'halftime.load.run_id') === runId);
    for (let i = 0; i < 150 && ((await ht.store.loadRuns.get(runId))?.status === 'running' || loadPoints().length < (await ht.store.loadRuns.series(runId)).length); i++) await sleep(100);
    const stored = await ht.store.loadRuns.series(runId);
    expect(stored.length).toBeGreaterThan(0);
    const overall = loadPoints().filter((p) => attr(p.attributes, 'halftime.step') === undefined);
    expect(overall.length).toBe(stored.length);
    expect(overall.map((p) => p.asDouble).sort()).toEqual(stored.map((s) => s.requests).sort());
    for (const p of overall) {
      expect(attr(p.attributes, 'halftime.monitor')).toBe('quiet');
      // Each point covers one second.
      expect(BigInt(p.timeUnixNano) - BigInt(p.startTimeUnixNano)).toBe(1_000_000_000n);
    }
    expect(rx.metrics.some((m) => m.name === 'halftime.load.users')).toBe(true);
  }, 30_000);
});
