import { randomUUID } from 'node:crypto';
import { monitorId } from '../config/read.js';
import type { Config } from '../config/schema.js';
import type { HealthReporter } from '../health/registry.js';
import { NO_REDACTION, type Redactor } from '../lang/redact.js';
import type { Logger } from '../log.js';
import type { RunResult } from '../probes/types.js';
import type { AlertCommit, AlertStore, Incident } from '../store/alerts.js';
import type { LatencyQuery, LatencySource } from '../store/latency.js';
import { builtinChannels } from './channels/index.js';
import { evaluate, initialAlertState, type MonitorAlertState, type MonitorStatus, type RunSummary } from './engine.js';
import { monitorLink } from './format.js';
import { createMaintenanceCalendar, type MaintenanceCalendar } from './maintenance.js';
import { summaryLine } from './render.js';
import { resolveMonitorAlerts } from './resolve.js';
import { createSender, type ConfiguredChannel, type Sender } from './sender.js';
import type { AlertEvent, CertificateEvidence } from './types.js';

export type AlertingDeps = {
  config: Config;
  alertStore: AlertStore;
  latency: LatencySource;
  /** Called before judging, so the run just handed to the writer is in the stored history. */
  flush?: () => Promise<unknown>;
  now?: () => number;
  log?: Logger;
  /** Hides secrets in events, incident evidence and messages, as values, before they are serialized. */
  redact?: Redactor;
  pollMs?: number;
  sendTimeoutMs?: number;
  /** Told when alert evaluation fails and when it works again; handed on to the sender. */
  health?: HealthReporter;
  /** For the retry jitter (default Math.random). */
  random?: () => number;
  /**
   * Several nodes share the database (PostgreSQL): each judgement reads and writes the monitor's state
   * under its lock in the database, and `status()` follows what the other nodes judged.
   */
  shared?: boolean;
  /** Shared mode: how often the states judged elsewhere are read (default 2 s). */
  statusRefreshMs?: number;
  /** Shared mode: whether this node may send now (it holds the outbox lease); see Sender's fence. */
  fence?: () => Promise<boolean>;
};

export type Alerting = {
  /** Judge a run that was just written; events go to the outbox, then the sender is nudged. */
  onRun(run: RunResult): Promise<AlertEvent[]>;
  /** Check reminders for every monitor without a new run (called on a timer). */
  tick(): Promise<AlertEvent[]>;
  /** The judged state, from memory (no database round trip). */
  status(monitorKey: string): MonitorStatus;
  /** The certificate warning in force for a monitor (from memory), or null. */
  certificate(monitorKey: string): CertificateEvidence | null;
  incidents(monitorKey: string, since: number, limit?: number): Promise<Incident[]>;
  maintenance: MaintenanceCalendar;
  sender: Sender;
  /** The configured channels (for messages that must not wait in the outbox, such as "halftime is unhealthy"). */
  channels: ConfiguredChannel[];
  /** Starts the sender and the reminders (one node: both here). */
  start(): void;
  /** Reminders and outbox pruning alone (several nodes: on the node holding housekeeping). */
  startReminders(): void;
  stopReminders(): void;
  /** Stops reminders and the sender; waits for deliveries in progress at most `waitMs` (they stay in the outbox). */
  stop(waitMs?: number): Promise<void>;
};

/** Caches the (expensive, slowly moving) baseline queries: anything spanning more than two hours. */
function memoLongRanges(latency: LatencySource): LatencySource {
  const cache = new Map<string, ReturnType<LatencySource>>();
  return (q: LatencyQuery) => {
    if (q.to - q.from <= 2 * 3_600_000) return latency(q);
    const key = `${q.monitorKey}|${q.step ?? ''}|${q.percentile}|${q.from}|${q.to}`;
    let hit = cache.get(key);
    if (!hit) {
      if (cache.size > 500) cache.clear();
      hit = latency(q);
      cache.set(key, hit);
      // A failed read is not kept: the next evaluation asks again.
      hit.catch(() => cache.delete(key));
    }
    return hit;
  };
}

/** The run's certificate that expires first (https steps, a tls check). */
export function soonestCertificate(run: RunResult): RunSummary['certificate'] {
  let out: RunSummary['certificate'];
  for (const s of run.steps) {
    const t = s.tls;
    if (t && t.validTo > 0 && (!out || t.validTo < out.validTo)) out = { host: t.host, subject: t.subject, issuer: t.issuer, validTo: t.validTo };
  }
  return out;
}

export function summarise(run: RunResult): RunSummary {
  const location = run.location ? { location: run.location } : {};
  const certificate = soonestCertificate(run);
  const base = { ok: run.ok, startedAt: run.startedAt, ...location, ...(certificate ? { certificate } : {}) };
  if (run.ok || !run.failure) return base;
  const step = run.failure.step !== undefined ? run.steps[run.failure.step] : undefined;
  return {
    ...base,
    ok: false,
    failure: { step: step?.name, code: run.failure.code, message: run.failure.message, status: step?.status },
  };
}

/**
 * Wires the rule engine to the stored history, the incident records, the outbox and the sender.
 * Resolves once the engine states saved before a restart are loaded.
 */
export async function createAlerting(deps: AlertingDeps): Promise<Alerting> {
  const now = deps.now ?? Date.now;
  const redact = deps.redact ?? NO_REDACTION;
  const { config, alertStore } = deps;
  const latency = memoLongRanges(deps.latency);
  const monitors = new Map(config.monitors.map((m) => [monitorId(m), { m, rules: resolveMonitorAlerts(config, m) }]));
  const maintenance = createMaintenanceCalendar(config.alerts?.maintenance ?? []);
  const states = new Map<string, MonitorAlertState>();
  for (const [key, data] of await alertStore.loadStates()) if (monitors.has(key)) states.set(key, { ...initialAlertState(), ...(data as Partial<MonitorAlertState>) });

  const channels: ConfiguredChannel[] = Object.entries(config.alerts?.channels ?? {}).map(([name, c]) => ({ name, plugin: builtinChannels.get(c.type)!, options: c.options }));
  const retry = config.alerts?.retry;
  const sender = createSender({
    store: alertStore,
    channels,
    now,
    retry: retry ? { initialMs: retry.initial, maxMs: retry.max, maxAttempts: retry.maxAttempts, maxAgeMs: retry.maxAge } : undefined,
    random: deps.random,
    pollMs: deps.pollMs,
    sendTimeoutMs: deps.sendTimeoutMs,
    log: deps.log,
    redact,
    health: deps.health,
    fence: deps.fence,
  });

  // One evaluation at a time per monitor: a reminder tick and a new run never interleave their state.
  const queues = new Map<string, Promise<unknown>>();
  function serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
    const settled = next.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => queues.get(key) === settled && queues.delete(key));
    return next;
  }

  async function judge(key: string, run: RunSummary | null): Promise<AlertEvent[]> {
    if (!monitors.has(key)) return [];
    if (!deps.shared) return decide(key, run, states.get(key) ?? initialAlertState(), (c) => alertStore.commit(c));
    // Several nodes: the state in the database, read and written under the monitor's lock.
    return alertStore.transact(key, (stored, commit) =>
      decide(key, run, stored ? { ...initialAlertState(), ...(stored as Partial<MonitorAlertState>) } : initialAlertState(), commit),
    );
  }

  async function decide(key: string, run: RunSummary | null, prev: MonitorAlertState, commit: (c: AlertCommit) => Promise<void>): Promise<AlertEvent[]> {
    const entry = monitors.get(key)!;
    const t = now();
    const window = maintenance.activeFor(key, t);
    const result = await evaluate({
      now: t,
      monitor: { key, name: entry.m.name, url: monitorLink(config.server.publicUrl, key) },
      rules: entry.rules,
      prev,
      run,
      inMaintenance: window !== null,
      latency,
      newId: randomUUID,
      acknowledged: (kind) => alertStore.isAcknowledged(key, kind),
    });
    const events = result.events.map((e) => (entry.rules.recipients ? { ...e, recipients: entry.rules.recipients } : e));
    if (events.length === 0 && result.incidents.length === 0 && JSON.stringify(result.state) === JSON.stringify(prev)) return [];
    const serialised = events.map((e) => JSON.stringify(redact.value(e)));
    await commit({
      monitorKey: key,
      status: result.state.status,
      state: result.state,
      now: t,
      incidents: result.incidents.map((op) =>
        op.op === 'open'
          ? { op: 'open', kind: op.kind, startedAt: op.startedAt, worst: op.worst, summary: redact(summaryLine(op.event)), evidence: redact.value(op.event.evidence) }
          : { ...op, evidence: redact.value(op.evidence) },
      ),
      outbox: serialised.flatMap((event) => entry.rules.channels.map((channel) => ({ channel, event }))),
    });
    states.set(key, result.state);
    if (deps.shared) othersJudged.set(key, result.state.status);
    committedAt = now();
    for (const e of events) deps.log?.warn(`alert: ${e.kind}`, { monitor: key, condition: e.condition });
    if (events.length > 0) void sender.tick();
    return events;
  }

  let reminderTimer: NodeJS.Timeout | undefined;
  // Shared mode: what the other nodes judged, for status() (pages, API, metrics on every node).
  const othersJudged = new Map<string, MonitorStatus>();
  const refreshStatuses = async () => {
    try {
      for (const [k, st] of await alertStore.statuses()) othersJudged.set(k, st as MonitorStatus);
    } catch (err) {
      deps.log?.warn('reading alert states failed', { error: err });
    }
  };
  let statusTimer: NodeJS.Timeout | undefined;
  if (deps.shared) {
    await refreshStatuses();
    statusTimer = setInterval(() => void refreshStatuses(), deps.statusRefreshMs ?? 2_000);
    statusTimer.unref();
  }
  let committedAt = -Infinity;
  let failedAt = -Infinity;
  // Failures go to the health registry, which logs once per change (not once per run) and puts
  // them on /healthz; without one, each is logged.
  const safely = async (fn: () => Promise<AlertEvent[]>): Promise<AlertEvent[]> => {
    try {
      const events = await fn();
      // Evaluations that change nothing do not write: only a write that worked (or a quiet minute)
      // shows the failure is over, so a full disk does not flap between failing and fine.
      if (committedAt >= failedAt || now() - failedAt >= 60_000) deps.health?.ok('alerting');
      return events;
    } catch (err) {
      failedAt = now();
      if (deps.health) deps.health.fail('alerting', `alert evaluation fails: ${redact(err instanceof Error ? err.message : String(err))}`);
      else deps.log?.error('alert evaluation failed', { error: err });
      return [];
    }
  };

  const tick = async () => {
    const out: AlertEvent[] = [];
    for (const key of monitors.keys()) out.push(...(await safely(() => serial(key, () => judge(key, null)))));
    return out;
  };

  function startReminders() {
    if (reminderTimer) return;
    reminderTimer = setInterval(() => {
      void tick();
      // Delivered messages are kept 30 days for inspection, then forgotten.
      void safely(async () => (await alertStore.outbox.prune(now() - 30 * 86_400_000), []));
    }, 60_000);
    reminderTimer.unref();
  }

  return {
    onRun(run) {
      return safely(() =>
        serial(run.monitorId, async () => {
          // Latency rules read this run from the store; the down rule needs only the run itself,
          // so monitors without latency rules keep the writer's batching.
          if (monitors.get(run.monitorId)?.rules.degraded.length) await deps.flush?.();
          return judge(run.monitorId, summarise(run));
        }),
      );
    },
    tick,
    status(key) {
      if (maintenance.activeFor(key, now())) return 'maintenance';
      if (deps.shared) return othersJudged.get(key) ?? states.get(key)?.status ?? 'no_data';
      return states.get(key)?.status ?? 'no_data';
    },
    certificate: (key) => states.get(key)?.certificate?.evidence ?? null,
    incidents: (key, since, limit) => alertStore.recentIncidents(key, since, limit),
    maintenance,
    sender,
    channels,
    start() {
      sender.start();
      startReminders();
    },
    startReminders,
    stopReminders() {
      if (reminderTimer) clearInterval(reminderTimer);
      reminderTimer = undefined;
    },
    async stop(waitMs?: number) {
      if (reminderTimer) clearInterval(reminderTimer);
      if (statusTimer) clearInterval(statusTimer);
      await sender.stop(waitMs);
    },
  };
}
