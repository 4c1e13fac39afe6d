/**
 * Gauges read when `/metrics` is scraped, through callbacks `main.ts` wires to the parts that know:
 * monitor states and degraded-rule values from alerting, the outbox, the scheduler, the writer, and
 * the OTLP exporters' own counts. A callback that throws leaves its metric out of that scrape and is
 * counted (`halftime_metrics_source_errors_total`), never failing the whole scrape.
 */
import client from 'prom-client';
import type { Signal, SignalCounts } from './export-health.js';

/** A degraded rule's last evaluation (alerting's stored state). */
export type AlertRuleReading = { monitor: string; rule: string; active: boolean; valueMs?: number; thresholdMs?: number; baselineMs?: number; samples?: number };

export type HealthSources = {
  /** Monitor keys from the config: the state gauge has a series for each. */
  monitors: readonly string[];
  /** Alert state of a monitor: up, degraded, down, maintenance or no_data. */
  monitorState?: (key: string) => string;
  alertRules?: () => Iterable<AlertRuleReading> | Promise<Iterable<AlertRuleReading>>;
  /** The kind (down, degraded) of each open incident. */
  openIncidents?: () => Iterable<string> | Promise<Iterable<string>>;
  outboxPending?: () => number | Promise<number>;
  /** Alert messages given up (refused for good, or past the retry limit). */
  outboxDead?: () => number | Promise<number>;
  /** The measuring thread's own health: its event-loop delay over the last period (ms) and the runs its probes measured on a stalled loop. */
  measuring?: () => { loop: { p50: number; p99: number; max: number }; stalledRuns: number } | undefined;
  /** Each monitor's soonest-expiring certificate as its last run saw it (epoch ms), https steps and tls checks. */
  certificates?: () => Iterable<[string, number]>;
  scheduler?: () => { started: number; finished: number; skipped: number; inFlight: number; queued: number };
  writer?: () => { pending: number; written: number };
  /** Several nodes: the duties this node could hold (scheduler:<location>, outbox, housekeeping) and whether it holds each now. */
  duties?: () => Iterable<[string, boolean]>;
};

export const STATES = ['up', 'degraded', 'down', 'maintenance', 'no_data'] as const;

export type HealthMetrics = {
  /** Scheduler lateness of one start (actual − planned), in ms. */
  lateness(ms: number): void;
  writeFailed(): void;
};

export function createHealthMetrics(
  registry: client.Registry<client.OpenMetricsContentType>,
  sources: () => HealthSources,
  otlp: () => { counts: (s: Signal) => SignalCounts; queuedSpans: () => number } | undefined,
  version: string,
  onSourceError: (source: string, err: unknown) => void,
): HealthMetrics {
  const registers = [registry];
  // Registered last (below): a scrape serialises metrics in order, so this one sees the failures of the others in the same scrape.
  const sourceErrors = new client.Counter({ name: 'halftime_metrics_source_errors_total', help: 'Scrapes where a metric source failed (its metric was left out)', labelNames: ['source'], registers: [] });
  const read = async <T>(source: string, f: () => T | Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (err) {
      sourceErrors.inc({ source });
      onSourceError(source, err);
      return undefined;
    }
  };
  /** A gauge whose values are read at scrape time; `fill` sets them (the old ones are cleared first). */
  const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: client.Gauge<L>) => void | Promise<void>) =>
    new client.Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        // Read first, then replace the old values at once (a scrape meanwhile sees the old set, not a half one).
        const values: [Partial<Record<L, string | number>>, number][] = [];
        const shadow = { set: (a: Partial<Record<L, string | number>> | number, b?: number) => (typeof a === 'number' ? values.push([{}, a]) : values.push([a, b!])) } as unknown as client.Gauge<L>;
        await read(name, () => fill(shadow));
        this.reset();
        for (const [labels, v] of values) this.set(labels as client.LabelValues<L>, v);
      },
    });
  /** A counter whose total is read at scrape time from a running count elsewhere. */
  const total = (name: string, help: string, value: () => number | undefined) =>
    new client.Counter({
      name,
      help,
      registers,
      async collect() {
        const v = await read(name, value);
        this.reset();
        if (v !== undefined) this.inc(v);
      },
    });

  new client.Gauge({ name: 'halftime_build_info', help: 'halftime version (always 1)', labelNames: ['version'], registers }).set({ version }, 1);

  gauge('halftime_check_state', "1 for the monitor's current alert state (up, degraded, down, maintenance, no_data), 0 for the others", ['monitor', 'state'], (g) => {
    const s = sources();
    if (!s.monitorState) return;
    for (const monitor of s.monitors) {
      const now = s.monitorState(monitor);
      for (const state of STATES) g.set({ monitor, state }, state === now ? 1 : 0);
    }
  });
  const rules = <L extends 'monitor' | 'rule'>(name: string, help: string, pick: (r: AlertRuleReading) => number | undefined) =>
    gauge<L>(name, help, ['monitor', 'rule'] as L[], async (g) => {
      for (const r of (await sources().alertRules?.()) ?? []) {
        const v = pick(r);
        if (v !== undefined) (g as client.Gauge<'monitor' | 'rule'>).set({ monitor: r.monitor, rule: r.rule }, v);
      }
    });
  rules('halftime_alert_rule_active', '1 while a degraded rule holds (after its hysteresis), else 0', (r) => (r.active ? 1 : 0));
  rules('halftime_alert_rule_value_seconds', 'The percentile a degraded rule last measured over its window', (r) => (r.valueMs === undefined ? undefined : r.valueMs / 1000));
  rules('halftime_alert_rule_threshold_seconds', 'The line a degraded rule compares with (absolute, or factor × baseline)', (r) => (r.thresholdMs === undefined ? undefined : r.thresholdMs / 1000));
  rules('halftime_alert_rule_baseline_seconds', "A relative rule's baseline from the monitor's own history", (r) => (r.baselineMs === undefined ? undefined : r.baselineMs / 1000));
  rules('halftime_alert_rule_samples', 'Runs the rule last measured over its window', (r) => r.samples);
  gauge('halftime_incidents_open', 'Open incidents by kind (down, degraded)', ['kind'], async (g) => {
    const open = sources().openIncidents;
    if (!open) return;
    const counts = new Map<string, number>([['down', 0], ['degraded', 0]]);
    for (const kind of await open()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    for (const [kind, n] of counts) g.set({ kind }, n);
  });
  gauge('halftime_duty_held', 'Several nodes: 1 for each duty this node holds now (scheduler:<location>, outbox, housekeeping), 0 for those another node holds', ['duty'], (g) => {
    for (const [duty, held] of sources().duties?.() ?? []) g.set({ duty }, held ? 1 : 0);
  });
  gauge('halftime_outbox_pending_messages', 'Alert messages not yet delivered (retried with backoff)', [], async (g) => {
    const f = sources().outboxPending;
    if (f) g.set(await f());
  });
  gauge('halftime_outbox_dead_messages', 'Alert messages given up (refused for good, or still failing after the retry limit): see /admin/health', [], async (g) => {
    const f = sources().outboxDead;
    if (f) g.set(await f());
  });
  gauge('halftime_measure_loop_delay_seconds', "The measuring thread's event-loop delay over the last period (p50, p99, max): what a probe's timers could have waited", ['stat'], (g) => {
    const m = sources().measuring?.();
    if (m) for (const stat of ['p50', 'p99', 'max'] as const) g.set({ stat }, m.loop[stat] / 1000);
  });
  total('halftime_measure_stalled_runs_total', 'Runs measured while the measuring thread stalled longer than the stall limit (their figures may carry the stall)', () => sources().measuring?.()?.stalledRuns);
  gauge('halftime_tls_certificate_expiry_timestamp_seconds', "When the soonest-expiring certificate a monitor's last run saw expires (https steps, tls checks)", ['monitor'], (g) => {
    for (const [monitor, validTo] of sources().certificates?.() ?? []) g.set({ monitor }, validTo / 1000);
  });
  const sched = () => sources().scheduler?.();
  gauge('halftime_scheduler_in_flight', 'Runs in progress', [], (g) => {
    const s = sched();
    if (s) g.set(s.inFlight);
  });
  gauge('halftime_scheduler_queued', 'Runs waiting for a free slot (scheduler.concurrency)', [], (g) => {
    const s = sched();
    if (s) g.set(s.queued);
  });
  total('halftime_scheduler_runs_started_total', 'Runs the scheduler started', () => sched()?.started);
  total('halftime_scheduler_skipped_total', "Slots skipped because the monitor's previous run was still going", () => sched()?.skipped);
  const lateness = new client.Histogram({
    name: 'halftime_scheduler_lateness_seconds',
    help: 'How late runs started against their planned time',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  gauge('halftime_writer_pending_runs', 'Runs queued in memory for the next database write', [], (g) => {
    const w = sources().writer?.();
    if (w) g.set(w.pending);
  });
  total('halftime_writer_written_runs_total', 'Runs written to the database', () => sources().writer?.().written);
  const writeFailures = new client.Counter({ name: 'halftime_writer_failures_total', help: 'Database writes that failed (the runs are kept and retried)', registers });

  // The exporters' own counts, only when halftime exports over OTLP at all.
  if (otlp()) registerOtlpMetrics();
  registry.registerMetric(sourceErrors);

  return {
    lateness: (ms) => lateness.observe(Math.max(0, ms) / 1000),
    writeFailed: () => writeFailures.inc(),
  };

  function registerOtlpMetrics() {
    const otlpCounter = (name: string, help: string, labelNames: string[], fill: (inc: (labels: Record<string, string>, v: number) => void, o: NonNullable<ReturnType<typeof otlp>>) => void) =>
      new client.Counter({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          const o = otlp();
          if (o) await read(name, () => fill((labels, v) => this.inc(labels, v), o));
        },
      });
    const SIGNALS = ['traces', 'metrics', 'load'] as const;
    otlpCounter('halftime_otlp_items_total', 'OTLP items by signal (traces: spans; metrics, load: points) and result (exported, failed, dropped)', ['signal', 'result'], (inc, o) => {
      for (const signal of SIGNALS) for (const [result, v] of Object.entries(o.counts(signal).items)) inc({ signal, result }, v);
    });
    otlpCounter('halftime_otlp_export_failures_total', 'OTLP export requests that failed (collector down, slow or answering an error)', ['signal'], (inc, o) => {
      for (const signal of SIGNALS) inc({ signal }, o.counts(signal).requests.failed);
    });
    gauge('halftime_otlp_queued_spans', 'Spans waiting to be sent to the collector (bounded by otel.maxQueueSpans)', [], (g) => {
      const o = otlp();
      if (o) g.set(o.queuedSpans());
    });
  }
}
