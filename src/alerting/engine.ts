import type { DegradedRule } from '../config/alerts-schema.js';
import type { LatencySource } from '../store/latency.js';
import { ruleKey, type MonitorAlertRules } from './resolve.js';
import type { AlertEvent, CertificateEvidence, Condition, FailureEvidence, LatencyEvidence } from './types.js';

export type MonitorStatus = 'up' | 'degraded' | 'down' | 'maintenance' | 'no_data';

export type RuleState = { bad: number; good: number; active: boolean; since: number | null; last: LatencyEvidence | null };

/** Everything the engine remembers about one monitor between evaluations (stored as JSON, so restarts resume). */
export type MonitorAlertState = {
  status: MonitorStatus;
  failures: number;
  successes: number;
  failingSince: number | null;
  lastFailure: FailureEvidence | null;
  down: { since: number; worst: number } | null;
  degraded: { since: number; worst: number; evidence: LatencyEvidence } | null;
  rules: Record<string, RuleState>;
  /** When the last down/degraded/reminder message was raised, for reminders. */
  lastAlertAt: number | null;
  /**
   * Per location ('' on a single node): its own consecutive failures and successes. The monitor is
   * DOWN while at least `down.locations` of them see it failing `down.after` times in a row.
   */
  locs?: Record<string, { failures: number; successes: number; failingSince: number | null }>;
  /** A certificate warning in force: since when, and the certificate it is about (absent in states saved before it existed). */
  certificate?: { since: number; evidence: CertificateEvidence } | null;
};

export const initialAlertState = (): MonitorAlertState => ({
  status: 'no_data',
  failures: 0,
  successes: 0,
  failingSince: null,
  lastFailure: null,
  down: null,
  degraded: null,
  rules: {},
  lastAlertAt: null,
  certificate: null,
});

/** The certificate of a run that expires first (https steps, a tls check), when it showed one. */
export type RunCertificate = { host: string; subject: string; issuer: string; validTo: number };

export type RunSummary = { ok: boolean; startedAt: number; failure?: FailureEvidence; location?: string; certificate?: RunCertificate };

const DAY = 86_400_000;

/**
 * The certificate warning: raised once when the run's soonest-expiring certificate is within
 * `expiresIn`, cleared (a recovery) once a run shows it renewed beyond that. A warning, never down:
 * the state stays what the runs make it. Runs that showed no certificate (failed before the
 * handshake, plain http) change nothing.
 */
function judgeCertificate(s: MonitorAlertState, cert: RunCertificate | undefined, expiresInMs: number, now: number, event: (kind: AlertEvent['kind'], c: Condition, since: number | null, e: AlertEvent['evidence']) => AlertEvent) {
  if (!cert) return;
  const evidence: CertificateEvidence = { ...cert, daysLeft: Math.round(((cert.validTo - now) / DAY) * 10) / 10, expiresInMs };
  const within = cert.validTo - now <= expiresInMs;
  if (within && !s.certificate) {
    s.certificate = { since: now, evidence };
    event('warning', 'certificate', now, { certificate: evidence });
  } else if (within && s.certificate) {
    s.certificate.evidence = evidence;
  } else if (!within && s.certificate) {
    event('recovered', 'certificate', s.certificate.since, { certificate: evidence });
    s.certificate = null;
  }
}

/**
 * Incident record changes. An incident keeps three things apart: the evidence that opened it (the
 * event's), its worst value with that moment's evidence (`update`), and the value and evidence it
 * closed on (`close`: the recovering measurement for degraded; null for down).
 */
export type IncidentOp =
  | { op: 'open'; kind: IncidentCondition; startedAt: number; worst: number; event: AlertEvent }
  | { op: 'update'; kind: IncidentCondition; worst: number; evidence: AlertEvent['evidence'] }
  | { op: 'close'; kind: IncidentCondition; endedAt: number; worst: number; value: number | null; evidence: AlertEvent['evidence'] };

/** Conditions kept as incident records (a certificate warning is not an outage: it is shown from the state). */
export type IncidentCondition = Exclude<Condition, 'certificate'>;

export type EvaluateInput = {
  now: number;
  monitor: AlertEvent['monitor'];
  rules: MonitorAlertRules;
  prev: MonitorAlertState;
  /** The run just written (null: nothing new, only reminders are checked). */
  run: RunSummary | null;
  inMaintenance: boolean;
  /** Reads stored history (the latency windows and baselines). */
  latency: LatencySource;
  newId: () => string;
  /** Whether an operator acknowledged the open incident of this condition (no reminders then). Asked only when a reminder is due. */
  acknowledged?: (condition: IncidentCondition) => boolean | Promise<boolean>;
};

export type Evaluation = { state: MonitorAlertState; events: AlertEvent[]; incidents: IncidentOp[] };

const HOUR = 3_600_000;
const WEEK = 7 * 86_400_000;
const BASELINE_STEP = 5 * 60_000;

/**
 * The baseline range for a relative rule; rounded to 5 minutes so it can be cached between runs.
 * Its old end is a whole hour, so hourly rollups answer it completely long after raw runs and minute
 * rollups are gone: `same-hour-of-week` is the clock hour (UTC) that held this moment one week ago,
 * whose middle is at most 30 min from it; a period starts at the beginning of the hour it reaches
 * back to and ends where the window starts.
 */
export function baselineRange(rule: DegradedRule, now: number): { from: number; to: number; label: string } | null {
  if (rule.baseline === undefined) return null;
  const t = Math.floor(now / BASELINE_STEP) * BASELINE_STEP;
  if (rule.baseline === 'same-hour-of-week') {
    const from = Math.floor((t - WEEK) / HOUR) * HOUR;
    return { from, to: from + HOUR, label: 'same hour last week' };
  }
  const days = rule.baseline / 86_400_000;
  const label = Number.isInteger(days) ? `previous ${days}d` : `previous ${rule.baseline / HOUR}h`;
  return { from: Math.floor((t - rule.baseline) / HOUR) * HOUR, to: t - rule.windowMs, label };
}

/** One judgement of one rule: bad/good with evidence, or null when there are too few samples. */
export async function judgeRule(rule: DegradedRule, monitorKey: string, now: number, latency: LatencySource, location: string | null = null): Promise<{ bad: boolean; evidence: LatencyEvidence } | null> {
  const step = rule.step;
  const cur = await latency({ monitorKey, step, percentile: rule.percentile, from: now - rule.windowMs, to: now + 1, location });
  if (cur.value === null || cur.samples < rule.minSamples) return null;
  let thresholdMs: number;
  let baselineMs: number | undefined;
  let baselineSamples = 0;
  const range = baselineRange(rule, now);
  if (range) {
    const base = await latency({ monitorKey, step, percentile: rule.percentile, from: range.from, to: range.to, location });
    if (base.value === null || base.samples < rule.minSamples) return null;
    baselineMs = base.value;
    baselineSamples = base.samples;
    thresholdMs = base.value * rule.factor!;
  } else {
    thresholdMs = rule.thresholdMs!;
  }
  const evidence: LatencyEvidence = {
    rule: rule.text,
    ...(location ? { location } : {}),
    step,
    percentile: rule.percentile,
    windowMs: rule.windowMs,
    actualMs: cur.value,
    samples: cur.samples,
    thresholdMs,
    ...(baselineMs !== undefined ? { baselineMs, factor: rule.factor, baselineLabel: range!.label, baselineSamples } : {}),
  };
  return { bad: cur.value > thresholdMs, evidence };
}

/**
 * The rule engine: (stored history, config, previous state) → (new state, events, incident changes).
 * No I/O of its own, no clock: `now` and the latency reader are passed in (async: the store may be a network database).
 */
export async function evaluate(input: EvaluateInput): Promise<Evaluation> {
  const { now, monitor, rules, run, latency } = input;
  const s: MonitorAlertState = structuredClone(input.prev);
  const events: AlertEvent[] = [];
  const incidents: IncidentOp[] = [];
  const event = (kind: AlertEvent['kind'], condition: Condition, since: number | null, evidence: AlertEvent['evidence']): AlertEvent => {
    const e: AlertEvent = { id: input.newId(), kind, condition, at: now, monitor, since, evidence };
    events.push(e);
    return e;
  };

  if (!rules.enabled) {
    s.status = run ? (run.ok ? 'up' : 'down') : s.status;
    return { state: s, events: [], incidents: [] };
  }
  if (input.inMaintenance) {
    // Runs inside a maintenance window are not judged: no counters move, nothing is sent.
    s.status = 'maintenance';
    return { state: s, events, incidents };
  }

  if (run && rules.certificateMs !== null) judgeCertificate(s, run.certificate, rules.certificateMs, now, event);
  else if (s.certificate && rules.certificateMs === null) s.certificate = null;

  if (run) {
    // Down / recovered, counted per location: DOWN once enough locations each see it failing.
    const here = run.location ?? '';
    const locs = (s.locs ??= {});
    const L = (locs[here] ??= { failures: 0, successes: 0, failingSince: null });
    const failingLocations = () => Object.entries(locs).filter(([, l]) => l.failures >= rules.down.after);
    if (run.ok) {
      L.successes++;
      L.failures = 0;
      L.failingSince = null;
    } else {
      L.failures++;
      L.successes = 0;
      L.failingSince ??= run.startedAt;
    }
    // The run's own location's counts, as single-node states always had them.
    s.failures = L.failures;
    s.successes = L.successes;
    s.failingSince = L.failingSince;
    const failing = failingLocations();
    const quorum = rules.down.locations ?? 1;
    const where = (list: [string, unknown][]) => (list.some(([k]) => k !== '') ? { locations: list.map(([k]) => k).sort() } : {});
    if (run.ok) {
      if (s.down && L.successes >= rules.down.recoverAfter && failing.length < quorum) {
        const evidence = { failures: s.down.worst, lastFailure: s.lastFailure ?? undefined, worst: s.down.worst };
        event('recovered', 'down', s.down.since, evidence);
        incidents.push({ op: 'close', kind: 'down', endedAt: now, worst: s.down.worst, value: null, evidence });
        s.down = null;
      }
    } else {
      s.lastFailure = { ...(run.failure ?? { message: 'failed' }), ...(here ? { location: here } : {}) };
      if (!s.down && failing.length >= quorum) {
        const since = Math.min(...failing.map(([, l]) => l.failingSince ?? now));
        s.down = { since, worst: L.failures };
        const e = event('down', 'down', since, { failures: L.failures, lastFailure: s.lastFailure, worst: L.failures, ...where(failing) });
        incidents.push({ op: 'open', kind: 'down', startedAt: since, worst: L.failures, event: e });
        s.lastAlertAt = now;
      } else if (s.down && L.failures > s.down.worst) {
        s.down.worst = L.failures;
        incidents.push({ op: 'update', kind: 'down', worst: L.failures, evidence: { failures: L.failures, lastFailure: s.lastFailure, worst: L.failures, ...where(failing) } });
      }
    }

    // Degraded: judged on successful runs while not down.
    if (run.ok && !s.down) {
      const keep: Record<string, RuleState> = {};
      let entered: LatencyEvidence | null = null;
      let worstNow: LatencyEvidence | null = null;
      const heldNow = new Set<string>();
      const heldBefore = new Set(
        rules.degraded
          .filter((r) => (r.locations ?? 1) > 1)
          .map(ruleKey)
          .filter((base) => Object.entries(input.prev.rules).filter(([k, v]) => k.startsWith(`${base}#`) && v.active).length >= (rules.degraded.find((r) => ruleKey(r) === base)!.locations ?? 1)),
      );
      for (const rule of rules.degraded) {
        const many = (rule.locations ?? 1) > 1;
        // A rule over several locations judges each on its own window and keeps a state per location.
        const key = many ? `${ruleKey(rule)}#${run.location ?? ''}` : ruleKey(rule);
        const rs: RuleState = s.rules[key] ?? { bad: 0, good: 0, active: false, since: null, last: null };
        keep[key] = rs;
        const j = await judgeRule(rule, monitor.key, now, latency, many ? (run.location ?? '') : null);
        if (!j) continue; // too few samples: no judgement either way
        rs.last = j.evidence;
        if (j.bad) {
          rs.bad++;
          rs.good = 0;
          if (!rs.active && rs.bad >= rule.enterAfter) {
            rs.active = true;
            rs.since = now;
          }
        } else {
          rs.good++;
          rs.bad = 0;
          if (rs.active && rs.good >= rule.leaveAfter) {
            rs.active = false;
            rs.since = null;
          }
        }
      }
      // The other locations' states of multi-location rules are kept as they were.
      for (const [key, rs] of Object.entries(s.rules)) if (key.includes('#') && !(key in keep)) keep[key] = rs;
      // A rule holds when it is active in enough locations (a single-location rule: when it is active).
      for (const rule of rules.degraded) {
        const base = ruleKey(rule);
        const states = (rule.locations ?? 1) > 1 ? Object.entries(keep).filter(([k]) => k.startsWith(`${base}#`)).map(([, v]) => v) : [keep[base]].filter(Boolean);
        const active = states.filter((r) => r.active);
        if (active.length < (rule.locations ?? 1)) continue;
        const wasHeld = (rule.locations ?? 1) > 1 ? heldBefore.has(base) : !!input.prev.rules[base]?.active;
        for (const r of active) {
          if (!r.last) continue;
          if (!wasHeld) entered ??= r.last;
          if (!worstNow || r.last.actualMs / r.last.thresholdMs > worstNow.actualMs / worstNow.thresholdMs) worstNow = r.last;
        }
        heldNow.add(base);
      }
      s.rules = keep;
      const anyActive = heldNow.size > 0;
      if (!s.degraded && anyActive) {
        const ev = entered ?? worstNow!;
        s.degraded = { since: now, worst: ev.actualMs, evidence: ev };
        const e = event('degraded', 'degraded', now, { latency: ev, worst: ev.actualMs });
        incidents.push({ op: 'open', kind: 'degraded', startedAt: now, worst: ev.actualMs, event: e });
        s.lastAlertAt = now;
      } else if (s.degraded && !anyActive) {
        // The closing value: the rule that opened the episode, as measured now it has recovered.
        const opened = s.degraded.evidence.rule;
        const rules = Object.values(keep).filter((r) => r.last);
        const last = (rules.find((r) => r.last!.rule === opened) ?? rules[0])?.last ?? s.degraded.evidence;
        const evidence = { latency: last, worst: s.degraded.worst };
        event('recovered', 'degraded', s.degraded.since, evidence);
        incidents.push({ op: 'close', kind: 'degraded', endedAt: now, worst: s.degraded.worst, value: last.actualMs, evidence });
        s.degraded = null;
      } else if (s.degraded && worstNow) {
        s.degraded.evidence = worstNow;
        if (worstNow.actualMs > s.degraded.worst) {
          s.degraded.worst = worstNow.actualMs;
          incidents.push({ op: 'update', kind: 'degraded', worst: worstNow.actualMs, evidence: { latency: worstNow, worst: worstNow.actualMs } });
        }
      }
    }
  }

  // Reminders while still down or degraded.
  const open = s.down ? 'down' : s.degraded ? 'degraded' : null;
  const reminderDue = open && !events.some((e) => e.condition !== 'certificate') && rules.reminderEveryMs !== null && s.lastAlertAt !== null && now - s.lastAlertAt >= rules.reminderEveryMs;
  if (open && reminderDue && !(await input.acknowledged?.(open))) {
    if (open === 'down') event('reminder', 'down', s.down!.since, { failures: s.failures, lastFailure: s.lastFailure ?? undefined, worst: s.down!.worst });
    else event('reminder', 'degraded', s.degraded!.since, { latency: s.degraded!.evidence, worst: s.degraded!.worst });
    s.lastAlertAt = now;
  }

  s.status = s.down ? 'down' : s.degraded ? 'degraded' : run || s.failures + s.successes > 0 ? 'up' : 'no_data';
  return { state: s, events, incidents };
}
