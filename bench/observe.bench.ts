/**
 * What exporting costs: per run, recording the Prometheus metrics and building the span tree (time
 * and bytes allocated), the whole OTLP pipeline's CPU per run (spans and metrics serialised and sent
 * to a receiver in a child process), and a `/metrics` scrape with 1,000 monitors × 5 steps in both
 * formats. Peers measured side by side: bare prom-client observations and bare OpenTelemetry spans,
 * the least any exporter built on those libraries can cost.
 *
 * Last, the probe path: the same fresh-visitor run (`runMonitor`, one GET) with and without a
 * traceparent, alternating rounds against the bench target server in its own process, and the cost
 * of the ids and header alone.
 *
 * Env: BENCH_OBSERVE_RUNS (20000 recorded runs per measure), BENCH_OBSERVE_MONITORS (1000),
 * BENCH_OBSERVE_STEPS (5), BENCH_OBSERVE_SCRAPES (15), BENCH_OBSERVE_ROUNDS (5),
 * BENCH_OBSERVE_PROBE_ROUNDS (8 per side), BENCH_OBSERVE_PROBE_RUNS (1000 per round).
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import client from 'prom-client';
import { parseConfigText } from '../src/config/read.js';
import { createObserver } from '../src/export/observe.js';
import { PresetIds, recordRunSpans } from '../src/export/run-spans.js';
import { LATENCY_BUCKETS } from '../src/export/run-metrics.js';
import { monitorSchema } from '../src/config/schema.js';
import { runMonitor } from '../src/probes/run-monitor.js';
import { newSpanId, newTraceId, traceparent } from '../src/probes/trace-context.js';
import type { RunResult } from '../src/probes/types.js';
import { envNumber, fmt, gc, median, startTargetServer } from './support.js';

process.setSourceMapsEnabled(false);
// A young generation large enough that a measured chunk rarely sees a scavenge (chunks that do are dropped).
setFlagsFromString('--max-semi-space-size=128');

const RUNS = Math.floor(envNumber('BENCH_OBSERVE_RUNS', 20_000));
const MONITORS = Math.floor(envNumber('BENCH_OBSERVE_MONITORS', 1000));
const STEPS = Math.floor(envNumber('BENCH_OBSERVE_STEPS', 5));
const SCRAPES = Math.floor(envNumber('BENCH_OBSERVE_SCRAPES', 15));
const ROUNDS = Math.floor(envNumber('BENCH_OBSERVE_ROUNDS', 5));

let gcs = 0;
new PerformanceObserver((l) => (gcs += l.getEntries().length)).observe({ entryTypes: ['gc'] });

/** A traced run of monitor `m` with STEPS steps, like the journey runner returns it. */
function run(m: number, i: number): RunResult {
  const startedAt = Date.now() - 60_000;
  const ms = 20 + ((i * 7919) % 200);
  return {
    monitorId: `monitor-${m}`,
    plannedAt: startedAt,
    startedAt,
    durationMs: ms * STEPS,
    ok: true,
    traceId: newTraceId(),
    spanId: newSpanId(),
    steps: Array.from({ length: STEPS }, (_, s) => ({
      index: s,
      name: `step ${s + 1}`,
      method: 'GET',
      url: `https://shop.example.com/page/${s}?q=ball`,
      startedAt: startedAt + s * ms,
      ok: true,
      status: 200,
      timings: { dns: s === 0 ? 1.2 : 0, connect: s === 0 ? 0.8 : 0, tls: s === 0 ? 3.1 : 0, ttfb: ms - 7, download: 2, total: ms },
      bytes: 4096,
      redirects: 0,
      headers: {},
      evidence: [{ what: 'status', expected: '2xx or 3xx', actual: '200', pass: true }],
      spanId: newSpanId(),
    })),
  };
}

/** Pre-built runs, so building them is not measured. */
const runs = Array.from({ length: RUNS }, (_, i) => run(i % MONITORS, i));

/** Time and bytes allocated per call of `fn(run)`, in chunks of 500 (chunks with a GC are left out of the bytes). */
function measure(fn: (r: RunResult) => void): { nsPerRun: number; bytesPerRun: number | null } {
  const times: number[] = [];
  const bytes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    gc();
    const t0 = performance.now();
    for (let c = 0; c < runs.length; c += 500) {
      const g0 = gcs;
      const h0 = process.memoryUsage().heapUsed;
      for (let i = c; i < Math.min(c + 500, runs.length); i++) fn(runs[i]);
      const h1 = process.memoryUsage().heapUsed;
      if (gcs === g0 && h1 >= h0) bytes.push((h1 - h0) / 500);
    }
    times.push(((performance.now() - t0) * 1e6) / runs.length);
  }
  return { nsPerRun: median(times), bytesPerRun: bytes.length ? median(bytes) : null };
}

const loaded = parseConfigText('monitors: []', 'bench', {});
const line = (name: string, m: { nsPerRun: number; bytesPerRun: number | null }) =>
  console.log(`${name.padEnd(58)} ${fmt(m.nsPerRun / 1000, 2).padStart(8)} µs/run  ${m.bytesPerRun === null ? '     n/a' : fmt(m.bytesPerRun / 1024, 1).padStart(8)} KB/run`);

console.log(`${RUNS} runs of ${STEPS} steps over ${MONITORS} monitors; median of ${ROUNDS} rounds`);

// 1. Prometheus metrics per run: halftime's recording, and bare prom-client doing the same observations.
{
  const o = createObserver({ loaded, processMetrics: false });
  for (let m = 0; m < MONITORS; m++) o.runs([runs[m]]); // every series exists: steady state
  line('halftime: Prometheus metrics (observe.runs, no OTLP)', measure((r) => o.runs([r])));
  const reg = new client.Registry();
  const h1 = new client.Histogram({ name: 'a', help: 'a', labelNames: ['monitor'], buckets: LATENCY_BUCKETS, registers: [reg] });
  const h2 = new client.Histogram({ name: 'b', help: 'b', labelNames: ['monitor', 'step'], buckets: LATENCY_BUCKETS, registers: [reg] });
  const h3 = new client.Histogram({ name: 'c', help: 'c', labelNames: ['monitor', 'phase'], buckets: LATENCY_BUCKETS, registers: [reg] });
  const c1 = new client.Counter({ name: 'd', help: 'd', labelNames: ['monitor', 'outcome'], registers: [reg] });
  const bare = (r: RunResult) => {
    c1.inc({ monitor: r.monitorId, outcome: 'ok' });
    h1.observe({ monitor: r.monitorId }, r.durationMs / 1000);
    for (const s of r.steps) {
      h2.observe({ monitor: r.monitorId, step: s.name }, s.timings.total / 1000);
      for (const p of ['dns', 'connect', 'tls', 'ttfb', 'download'] as const) h3.observe({ monitor: r.monitorId, phase: p }, s.timings[p] / 1000);
    }
  };
  for (let m = 0; m < MONITORS; m++) bare(runs[m]);
  line('peer: bare prom-client, same observations, no exemplars', measure(bare));
}

// 2. The span tree per run, up to the span processor (export excluded): halftime's, and bare SDK spans.
{
  const ids = new PresetIds();
  let ended = 0;
  const sink: SpanProcessor = { onStart() {}, onEnd: () => void ended++, forceFlush: async () => {}, shutdown: async () => {} };
  const tracer = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench' }), idGenerator: ids, spanProcessors: [sink] }).getTracer('bench');
  line(`halftime: span tree (${STEPS + 1} spans, events, attributes)`, measure((r) => recordRunSpans(r, { tracer, ids })));
  const plain = new BasicTracerProvider({ spanProcessors: [sink] }).getTracer('bench');
  line(`peer: bare SDK, ${STEPS + 1} spans with no attributes or events`, measure((r) => {
    const root = plain.startSpan('run');
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    for (let s = 0; s < r.steps.length; s++) plain.startSpan('step', {}, ctx).end();
    root.end();
  }));
  if (ended === 0) throw new Error('no span ended');
}

// 3. The whole OTLP pipeline's CPU per run: spans and metrics built, serialised (protobuf) and sent to a receiver in its own process.
{
  const receiver = fork(fileURLToPath(new URL('./otlp-sink.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((r) => receiver.once('message', (m: { port: number }) => r(m.port)));
  const o = createObserver({ loaded: parseConfigText(`otel: { endpoint: "http://127.0.0.1:${port}", metricsInterval: 1s, maxQueueSpans: 100000, maxBatchSpans: 512 }`, 'bench', {}), processMetrics: false });
  const n = Math.min(RUNS, 10_000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 100) {
    o.runs(runs.slice(i, i + 100));
    await new Promise((r) => setTimeout(r, 5));
  }
  for (let i = 0; i < 600 && (o.otlp()!.queuedSpans > 0 || o.otlp()!.counts('traces').items.exported < n * (STEPS + 1)); i++) await new Promise((r) => setTimeout(r, 50));
  const cpu = process.cpuUsage(cpu0);
  const c = o.otlp()!.counts('traces');
  console.log(
    `halftime: OTLP pipeline (record + protobuf + HTTP), client CPU ${fmt((cpu.user + cpu.system) / n, 1)} µs/run over ${n} runs in ${fmt((performance.now() - t0) / 1000, 1)} s (includes the Prometheus recording); spans exported ${c.items.exported}, failed ${c.items.failed}, dropped ${c.items.dropped}`,
  );
  await o.stop(2000);
  receiver.kill();
}

// 4. A /metrics scrape with MONITORS × STEPS, in both formats (the event loop is busy for this long).
{
  const o = createObserver({ loaded, processMetrics: true });
  for (const r of runs) o.runs([r]);
  for (const format of ['prometheus', 'openmetrics'] as const) {
    const times: number[] = [];
    const blocks: number[] = [];
    let body = '';
    for (let i = 0; i < SCRAPES; i++) {
      // A 1 ms ticker: the longest gap between its ticks is the longest the scrape held the event loop.
      let last = performance.now();
      let longest = 0;
      const ticker = setInterval(() => {
        const t = performance.now();
        longest = Math.max(longest, t - last);
        last = t;
      }, 1);
      await new Promise((r) => setTimeout(r, 5));
      const t0 = performance.now();
      body = (await o.scrape(format)).body;
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
      clearInterval(ticker);
      blocks.push(longest);
    }
    const series = body.split('\n').filter((l) => l && !l.startsWith('#')).length;
    console.log(
      `/metrics ${format.padEnd(11)} ${MONITORS} monitors × ${STEPS} steps: ${fmt(median(times), 1)} ms median (min ${fmt(Math.min(...times), 1)}), event loop held at most ${fmt(median(blocks), 1)} ms at a time (median over scrapes), ${series} samples, ${fmt(body.length / 1024, 0)} KB`,
    );
  }
  // The same scrape over HTTP, as Prometheus makes it (a plain node:http server in this process).
  const server = createServer((_req, res) => void o.scrape('openmetrics').then((s) => res.writeHead(200, { 'content-type': s.contentType }).end(s.body)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const times: number[] = [];
  for (let i = 0; i < SCRAPES; i++) {
    const t0 = performance.now();
    await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { accept: 'application/openmetrics-text;version=1.0.0' } })).text();
    times.push(performance.now() - t0);
  }
  console.log(`/metrics over HTTP (fetch, OpenMetrics): ${fmt(median(times), 1)} ms median`);
  server.close();
}

// 5. The probe path: a traced fresh-visitor run against an untraced one, and the ids alone.
{
  const PROBE_ROUNDS = Math.floor(envNumber('BENCH_OBSERVE_PROBE_ROUNDS', 8));
  const PROBE_RUNS = Math.floor(envNumber('BENCH_OBSERVE_PROBE_RUNS', 1000));
  const server = await startTargetServer();
  const monitors = { traced: true, untraced: false } as const;
  const parsed = Object.fromEntries(
    Object.entries(monitors).map(([k, trace]) => [k, monitorSchema.parse({ id: 'bench', name: 'bench', trace, steps: [{ url: `${server.url}/`, expect: { status: 200, bodyContains: 'Welcome' } }] })]),
  );
  const results: Record<string, { p50: number[]; cpu: number[] }> = { traced: { p50: [], cpu: [] }, untraced: { p50: [], cpu: [] } };
  for (let i = 0; i < 200; i++) for (const m of Object.values(parsed)) await runMonitor(m);
  for (let round = 0; round < PROBE_ROUNDS; round++) {
    const order = round % 2 === 0 ? ['traced', 'untraced'] : ['untraced', 'traced'];
    for (const side of order) {
      gc();
      const times: number[] = [];
      const c0 = process.cpuUsage();
      for (let i = 0; i < PROBE_RUNS; i++) {
        const t0 = performance.now();
        const r = await runMonitor(parsed[side]);
        times.push(performance.now() - t0);
        if (!r.ok || (side === 'traced') !== (r.traceId !== undefined)) throw new Error(`probe run failed or wrongly traced: ${r.failure?.message}`);
      }
      const c = process.cpuUsage(c0);
      results[side].p50.push(median(times));
      results[side].cpu.push((c.user + c.system) / 1000 / PROBE_RUNS);
    }
  }
  const t = { p50: median(results.traced.p50), cpu: median(results.traced.cpu) };
  const u = { p50: median(results.untraced.p50), cpu: median(results.untraced.cpu) };
  console.log(
    `probe path, runMonitor fresh visitor, ${PROBE_ROUNDS} alternating rounds × ${PROBE_RUNS}: traced p50 ${fmt(t.p50)} ms, cpu ${fmt(t.cpu)} ms; untraced p50 ${fmt(u.p50)} ms, cpu ${fmt(u.cpu)} ms; traced/untraced ${fmt(t.p50 / u.p50, 3)}× p50, ${fmt(t.cpu / u.cpu, 3)}× cpu`,
  );
  const n = 1_000_000;
  const t0 = performance.now();
  let len = 0;
  for (let i = 0; i < n; i++) len += traceparent(newTraceId(), newSpanId()).length + newSpanId().length;
  console.log(`ids and traceparent of a one-step run (trace id, run span, step span, header): ${fmt(((performance.now() - t0) * 1e6) / n, 0)} ns (${len > 0 ? 'ok' : ''})`);
  await server.close();
}
