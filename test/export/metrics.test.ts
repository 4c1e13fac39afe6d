import { gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { alertRuleReadings } from '../../src/export/alert-readings.js';
import { createObserver } from '../../src/export/observe.js';
import client from 'prom-client';
import { createPromRegistry, negotiate } from '../../src/export/prom-registry.js';
import { createRunMetrics } from '../../src/export/run-metrics.js';
import { metricsRoutes } from '../../src/web/metrics-routes.js';
import { config, fakeRun } from './fixtures.js';

/** What /metrics says after runs are recorded, in both formats, and who may read it. */
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

const observer = (yaml = 'monitors: []') => createObserver({ loaded: config(yaml), processMetrics: false });
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1).split(' ')[0]);
};

describe('content negotiation', () => {
  it('gives OpenMetrics to Prometheus (it asks for it first) and the text format otherwise', () => {
    expect(negotiate(PROMETHEUS_ACCEPT)).toBe('openmetrics');
    expect(negotiate('application/openmetrics-text; version=1.0.0')).toBe('openmetrics');
    expect(negotiate(undefined)).toBe('prometheus');
    expect(negotiate('text/plain')).toBe('prometheus');
    expect(negotiate('*/*')).toBe('prometheus');
    expect(negotiate('application/openmetrics-text;q=0.2, text/plain;q=0.9')).toBe('prometheus');
    expect(negotiate('application/openmetrics-text;q=0')).toBe('prometheus');
  });
});

describe('run metrics', () => {
  it('records histograms per monitor, step and phase, counters by outcome and code, and the last verdict', async () => {
    const o = observer();
    const ok = fakeRun({ monitor: 'shop', steps: 3, ms: 40 }); // 120 ms run, 40 ms steps
    o.runs([ok, fakeRun({ monitor: 'shop', steps: 3, ms: 40 }), fakeRun({ monitor: 'api', ok: false })]);
    const text = (await o.scrape('prometheus')).body;
    expect(value(text, 'halftime_check_duration_seconds_count{monitor="shop"}')).toBe(2);
    expect(value(text, 'halftime_check_duration_seconds_bucket{le="0.1",monitor="shop"}')).toBe(0);
    expect(value(text, 'halftime_check_duration_seconds_bucket{le="0.15",monitor="shop"}')).toBe(2);
    expect(value(text, 'halftime_check_duration_seconds_sum{monitor="shop"}')).toBeCloseTo(0.24, 6);
    expect(value(text, 'halftime_step_duration_seconds_bucket{le="0.05",monitor="shop",step="step 2"}')).toBe(2);
    expect(value(text, 'halftime_step_duration_seconds_bucket{le="0.025",monitor="shop",step="step 2"}')).toBe(0);
    expect(value(text, 'halftime_phase_duration_seconds_count{monitor="shop",phase="ttfb"}')).toBe(6);
    expect(value(text, 'halftime_check_runs_total{monitor="shop",outcome="ok"}')).toBe(2);
    expect(value(text, 'halftime_check_runs_total{monitor="api",outcome="failed"}')).toBe(1);
    expect(value(text, 'halftime_check_failures_total{monitor="api",code="status"}')).toBe(1);
    expect(value(text, 'halftime_check_up{monitor="shop"}')).toBe(1);
    expect(value(text, 'halftime_check_up{monitor="api"}')).toBe(0);
    // A failed run's duration is not latency: no check histogram for api, and its failed step is left out.
    expect(value(text, 'halftime_check_duration_seconds_count{monitor="api"}')).toBeUndefined();
    expect(value(text, 'halftime_step_duration_seconds_count{monitor="api",step="step 3"}')).toBeUndefined();
    expect(value(text, 'halftime_step_duration_seconds_count{monitor="api",step="step 1"}')).toBe(1);
    expect(value(text, 'halftime_check_last_run_timestamp_seconds{monitor="shop"}')).toBeCloseTo(ok.startedAt / 1000, 0);
    // Bounded labels only: no URL, host or query string of the runs appears anywhere.
    expect(text).not.toContain('token=abc');
    expect(text).not.toContain('127.0.0.1:9');
    expect(text).not.toContain('/page/');
  });

  it('serves OpenMetrics with trace-id exemplars, and the text format without them, in any order', async () => {
    const o = observer();
    const run = fakeRun({ monitor: 'shop' });
    o.runs([run]);
    const before = (await o.scrape('prometheus')).body;
    const om = await o.scrape('openmetrics');
    expect(om.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.body.trimEnd().endsWith('# EOF')).toBe(true);
    expect(om.body).toContain('# TYPE halftime_check_runs counter');
    expect(om.body).toContain('halftime_check_runs_total{monitor="shop",outcome="ok"} 1');
    expect(om.body).toMatch(new RegExp(`halftime_check_duration_seconds_bucket\\{le="0.15",monitor="shop"\\} 1 # \\{trace_id="${run.traceId}"\\} 0.12`));
    expect(om.body).toMatch(new RegExp(`halftime_step_duration_seconds_bucket\\{le="0.05",monitor="shop",step="step 1"\\} 1 # \\{trace_id="${run.traceId}"\\}`));
    const after = await o.scrape('prometheus');
    expect(after.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    // The text format keeps the counter's full name after an OpenMetrics scrape, and never carries exemplars.
    expect(after.body).toBe(before);
    expect(after.body).toContain('# TYPE halftime_check_runs_total counter');
    expect(after.body).not.toContain('trace_id');
  });

  it('reads states, degraded rules, incidents, outbox, scheduler and writer at scrape time; a failing source is counted, not fatal', async () => {
    const o = observer(`
monitors:
  - { name: Shop, steps: [{ url: "http://127.0.0.1:9/" }] }
  - { name: Api, steps: [{ url: "http://127.0.0.1:9/" }] }
`);
    const states = new Map<string, unknown>([
      ['shop', { status: 'degraded', rules: { 'p95 > 800ms over 10m': { bad: 3, good: 0, active: true, since: 1, last: { rule: 'p95 > 800ms over 10m', step: null, percentile: 0.95, windowMs: 600_000, actualMs: 950, samples: 12, thresholdMs: 800 } } } }],
      ['api', { status: 'up', rules: { 'p95 over 10m > 2x baseline 7d': { bad: 0, good: 4, active: false, since: null, last: { rule: 'x', step: null, percentile: 0.95, windowMs: 600_000, actualMs: 300, samples: 40, thresholdMs: 500, baselineMs: 250, factor: 2 } } } }],
    ]);
    o.watch({
      monitorState: (k) => (k === 'shop' ? 'degraded' : 'up'),
      alertRules: () => alertRuleReadings(states),
      openIncidents: () => ['degraded'],
      outboxPending: () => {
        throw new Error('database is locked');
      },
      scheduler: () => ({ started: 10, finished: 9, skipped: 2, inFlight: 1, queued: 0 }),
      writer: () => ({ pending: 3, written: 7 }),
      outboxDead: () => 2,
      measuring: () => ({ loop: { p50: 1.5, p99: 12, max: 40 }, stalledRuns: 3 }),
      certificates: () => [['shop', Date.UTC(2027, 0, 31)]],
    });
    o.lateness(30);
    o.writeFailed();
    const text = (await o.scrape('prometheus')).body;
    expect(value(text, 'halftime_check_state{monitor="shop",state="degraded"}')).toBe(1);
    expect(value(text, 'halftime_check_state{monitor="shop",state="up"}')).toBe(0);
    expect(value(text, 'halftime_check_state{monitor="api",state="up"}')).toBe(1);
    expect(value(text, 'halftime_alert_rule_active{monitor="shop",rule="p95 > 800ms over 10m"}')).toBe(1);
    expect(value(text, 'halftime_alert_rule_value_seconds{monitor="shop",rule="p95 > 800ms over 10m"}')).toBeCloseTo(0.95, 9);
    expect(value(text, 'halftime_alert_rule_threshold_seconds{monitor="shop",rule="p95 > 800ms over 10m"}')).toBeCloseTo(0.8, 9);
    expect(value(text, 'halftime_alert_rule_baseline_seconds{monitor="api",rule="p95 over 10m > 2x baseline 7d"}')).toBeCloseTo(0.25, 9);
    expect(value(text, 'halftime_alert_rule_samples{monitor="api",rule="p95 over 10m > 2x baseline 7d"}')).toBe(40);
    expect(value(text, 'halftime_incidents_open{kind="degraded"}')).toBe(1);
    expect(value(text, 'halftime_incidents_open{kind="down"}')).toBe(0);
    expect(value(text, 'halftime_scheduler_skipped_total')).toBe(2);
    expect(value(text, 'halftime_scheduler_runs_started_total')).toBe(10);
    expect(value(text, 'halftime_scheduler_in_flight')).toBe(1);
    expect(value(text, 'halftime_scheduler_lateness_seconds_bucket{le="0.05"}')).toBe(1);
    expect(value(text, 'halftime_writer_pending_runs')).toBe(3);
    expect(value(text, 'halftime_writer_written_runs_total')).toBe(7);
    expect(value(text, 'halftime_writer_failures_total')).toBe(1);
    // The outbox source failed: its gauge carries no reading, and the failure is counted.
    expect(text).not.toMatch(/^halftime_outbox_pending_messages [1-9]/m);
    expect(value(text, 'halftime_metrics_source_errors_total{source="halftime_outbox_pending_messages"}')).toBe(1);
    expect(text).toMatch(/^halftime_build_info\{version="\d+\.\d+\.\d+"\} 1$/m);
    expect(value(text, 'halftime_outbox_dead_messages')).toBe(2);
    expect(value(text, 'halftime_measure_loop_delay_seconds{stat="p99"}')).toBeCloseTo(0.012, 9);
    expect(value(text, 'halftime_measure_loop_delay_seconds{stat="max"}')).toBeCloseTo(0.04, 9);
    expect(value(text, 'halftime_measure_stalled_runs_total')).toBe(3);
    expect(value(text, 'halftime_tls_certificate_expiry_timestamp_seconds{monitor="shop"}')).toBe(Date.UTC(2027, 0, 31) / 1000);
  });

  it('labels every series with the node\'s location when it has one', async () => {
    const o = createObserver({ loaded: config('monitors: []'), processMetrics: false, location: 'fra' });
    o.runs([fakeRun({ monitor: 'shop', steps: 1, ms: 40 })]);
    o.watch({ writer: () => ({ pending: 0, written: 1 }) });
    const text = (await o.scrape('prometheus')).body;
    expect(value(text, 'halftime_check_runs_total{monitor="shop",outcome="ok",location="fra"}')).toBe(1);
    expect(value(text, 'halftime_writer_written_runs_total{location="fra"}')).toBe(1);
    expect(text.split('\n').filter((l) => l.startsWith('halftime_') && !l.includes('location="fra"'))).toEqual([]);
  });
});

describe('GET /metrics', () => {
  const routes = (auth: { token?: string; basicAuth?: { username: string; password: string } }) => {
    const o = observer();
    o.runs([fakeRun({ monitor: 'shop' })]);
    const app = new Hono();
    app.route('/', metricsRoutes({ scrape: o.scrape, negotiate, ...auth }));
    return app;
  };

  it('is open without credentials in the config, and picks the format by Accept', async () => {
    const app = routes({});
    const text = await app.request('/metrics');
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const om = await app.request('/metrics', { headers: { accept: PROMETHEUS_ACCEPT } });
    expect(om.headers.get('content-type')).toContain('application/openmetrics-text');
    expect(await om.text()).toContain('# EOF');
    const gz = await app.request('/metrics', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toContain('halftime_check_runs_total{monitor="shop",outcome="ok"} 1');
  });

  it('wants the bearer token when one is set', async () => {
    const app = routes({ token: 'a-long-metrics-token-123' });
    const none = await app.request('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await none.text()).not.toContain('halftime_');
    expect((await app.request('/metrics', { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await app.request('/metrics', { headers: { authorization: 'Basic ' + Buffer.from('a:a-long-metrics-token-123').toString('base64') } })).status).toBe(401);
    const ok = await app.request('/metrics', { headers: { authorization: 'Bearer a-long-metrics-token-123' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('halftime_check_runs_total{monitor="shop",outcome="ok"} 1');
  });

  it('wants basic auth when it is set', async () => {
    const app = routes({ basicAuth: { username: 'prom', password: 'scrape-password-1' } });
    const basic = (u: string, p: string) => ({ headers: { authorization: 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64') } });
    const none = await app.request('/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Basic');
    expect((await app.request('/metrics', basic('prom', 'wrong-password-x'))).status).toBe(401);
    expect((await app.request('/metrics', basic('other', 'scrape-password-1'))).status).toBe(401);
    expect((await app.request('/metrics', basic('prom', 'scrape-password-1'))).status).toBe(200);
  });
});

describe('scrapes of many series', () => {
  it('render exactly what prom-client renders, while slicing large histogram families', async () => {
    // 300 monitors × 5 steps: 1,500 step series, rendered in three slices.
    const runs = Array.from({ length: 900 }, (_, i) => fakeRun({ monitor: `m${i % 300}`, steps: 5, ms: 10 + (i % 250), ok: i % 9 !== 0 }));
    const ours = createPromRegistry();
    const a = createRunMetrics(ours.registry);
    const plain = (type: string) => {
      const r = new client.Registry<client.OpenMetricsContentType>();
      r.setContentType(client.openMetricsContentType);
      const m = createRunMetrics(r);
      for (const run of runs) m.record(run);
      (r as unknown as { setContentType(t: string): void }).setContentType(type);
      return r;
    };
    for (const r of runs) a.record(r);
    // Exemplar timestamps are taken when each registry recorded: compare without them.
    const norm = (t: string) => t.replace(/( # \{trace_id="[0-9a-f]{32}"\} \S+) \S+/g, '$1');
    const om = (await ours.scrape('openmetrics')).body;
    expect(om.split('\n').filter((l) => l.startsWith('halftime_step_duration_seconds_count')).length).toBe(1500);
    expect(norm(om)).toBe(norm(await plain(client.openMetricsContentType).metrics()));
    expect((await ours.scrape('prometheus')).body).toBe(await plain(client.prometheusContentType).metrics());
  });
});
