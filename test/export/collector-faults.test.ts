import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createObserver, type Observer } from '../../src/export/observe.js';
import { createLogger } from '../../src/log.js';
import { startHalftime } from '../../src/main.js';
import { sleep, startServer, tempDir } from '../helpers.js';
import { config, fakeRun } from './fixtures.js';
import { startReceiver, type Receiver } from './otlp-receiver.js';

/**
 * A collector that is down, answers 500, or stalls: halftime goes on measuring and writing, keeps at
 * most `maxQueueSpans` spans in memory, counts what it dropped or lost, and logs it without flooding.
 */
async function deadPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const lines: string[] = [];
const log = createLogger({ write: (l) => lines.push(l) });
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  lines.length = 0;
});

function observer(endpoint: string, extra = ''): Observer {
  const o = createObserver({
    loaded: config(`
otel:
  endpoint: ${endpoint}
  timeout: 300ms
  maxQueueSpans: 200
  maxBatchSpans: 50
  metrics: false
${extra}`),
    log,
    processMetrics: false,
  });
  cleanups.push(() => o.stop(500));
  return o;
}

/** Feeds runs the way the writer does (batches), yielding between batches; returns the spans made. */
async function feed(o: Observer, runs: number, watch: (queued: number) => void): Promise<number> {
  let spans = 0;
  for (let i = 0; i < runs; i += 100) {
    const batch = Array.from({ length: 100 }, () => fakeRun({ steps: 3 }));
    spans += batch.length * 4;
    o.runs(batch);
    await new Promise((r) => setImmediate(r));
    watch(o.otlp()!.queuedSpans);
  }
  return spans;
}

const metricValue = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"=,]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

describe('OTLP export against a broken collector', () => {
  it('collector down: the queue never holds more than maxQueueSpans, every span is accounted for, one log line', async () => {
    const port = await deadPort();
    const o = observer(`http://user:pw-in-url@127.0.0.1:${port}`);
    let maxQueued = 0;
    const made = await feed(o, 2000, (q) => (maxQueued = Math.max(maxQueued, q)));
    // Let the background exports fail (bounded wait).
    for (let i = 0; i < 50 && o.otlp()!.counts('traces').requests.failed === 0; i++) await sleep(100);
    await sleep(500);
    const st = o.otlp()!;
    const c = st.counts('traces');
    expect(maxQueued).toBeLessThanOrEqual(200);
    expect(c.items.exported).toBe(0);
    expect(c.requests.failed).toBeGreaterThan(0);
    expect(c.items.dropped).toBeGreaterThan(made / 2);
    // Nothing vanishes: dropped + lost with a failed request + still queued (or in flight) = made.
    expect(c.items.dropped + c.items.failed + st.queuedSpans).toBeLessThanOrEqual(made);
    expect(c.items.dropped + c.items.failed + st.queuedSpans).toBeGreaterThanOrEqual(made - 2 * 50);
    const failedLines = lines.filter((l) => l.includes('OTLP traces export failed'));
    expect(failedLines).toHaveLength(1);
    expect(lines.filter((l) => l.includes('OTLP traces dropped'))).toHaveLength(1);
    expect(lines.join('\n')).not.toContain('pw-in-url');
    // And /metrics says so.
    const text = (await o.scrape('prometheus')).body;
    expect(metricValue(text, 'halftime_otlp_items_total{signal="traces",result="dropped"}')).toBe(c.items.dropped);
    expect(metricValue(text, 'halftime_otlp_export_failures_total{signal="traces"}')).toBe(c.requests.failed);
  });

  it('collector answering 500: batches are counted as failed, later ones go through once it recovers', async () => {
    const rx: Receiver = await startReceiver();
    cleanups.push(() => rx.close());
    rx.mode = { kind: 'status', status: 500 };
    const o = observer(rx.url);
    o.runs([fakeRun(), fakeRun()]);
    await sleep(10);
    for (let i = 0; i < 50 && o.otlp()!.counts('traces').requests.failed === 0; i++) await sleep(100);
    expect(o.otlp()!.counts('traces').items.failed).toBe(8);
    expect(o.otlp()!.lastError?.message).toMatch(/500/);
    expect(rx.spans).toHaveLength(0);
    rx.mode = { kind: 'ok' };
    const run = fakeRun();
    o.runs([run]);
    // The receiver has the spans before the exporter has its answer: wait for both.
    for (let i = 0; i < 50 && (!rx.spans.some((s) => s.traceId === run.traceId) || o.otlp()!.counts('traces').items.exported === 0); i++) await sleep(100);
    expect(rx.spans.filter((s) => s.traceId === run.traceId)).toHaveLength(4);
    expect(o.otlp()!.counts('traces').items.exported).toBe(4);
  });

  it('collector that stalls: exports time out and are counted; halftime keeps checking and writing at its pace', async () => {
    const rx: Receiver = await startReceiver();
    rx.mode = { kind: 'stall', ms: 30_000 };
    const tmp = tempDir();
    const target = await startServer((_req, res) => res.end('ok'));
    const ht = await startHalftime({
      loaded: config(`
metrics: {}
otel: { endpoint: "${rx.url}", timeout: 300ms, metricsInterval: 1s, maxQueueSpans: 64, maxBatchSpans: 8 }
monitors:
  - { name: A, every: 1s, steps: [{ name: a1, url: "${target.url}/a" }, { name: a2, url: "${target.url}/b" }] }
  - { name: B, every: 1s, steps: [{ url: "${target.url}/c" }] }
`),
      dbPath: join(tmp.dir, 'h.db'),
      port: 0,
      host: '127.0.0.1',
      logger: log,
    });
    cleanups.push(async () => {
      await ht.stop(2000);
      await target.close();
      await rx.close();
      tmp.cleanup();
    });
    const seconds = 5;
    await sleep(seconds * 1000);
    await ht.store.writer.flush();
    const runs = ht.store.writer.written;
    // Two monitors, each once a second: the stalled collector did not slow the checks down.
    expect(runs / (2 * seconds)).toBeGreaterThan(0.7);
    const text = await (await fetch(`${ht.url}/metrics`)).text();
    expect(metricValue(text, 'halftime_otlp_export_failures_total{signal="traces"}')).toBeGreaterThan(0);
    expect(metricValue(text, 'halftime_otlp_queued_spans')).toBeLessThanOrEqual(64);
    expect(metricValue(text, 'halftime_check_runs_total{monitor="a",outcome="ok"}')).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes('OTLP traces export failed')).length).toBe(1);
    // Shutdown does not wait on the stalled collector beyond its grace.
    const t0 = performance.now();
    await ht.stop(2000);
    expect(performance.now() - t0).toBeLessThan(15_000);
  }, 30_000);
});
