import type { Db } from './db.js';

export type IncidentKind = 'down' | 'degraded';

export type IncidentChange =
  | { op: 'open'; kind: IncidentKind; startedAt: number; worst: number; summary: string; evidence: unknown }
  | { op: 'update'; kind: IncidentKind; worst: number; evidence: unknown }
  | { op: 'close'; kind: IncidentKind; endedAt: number; worst: number; evidence: unknown };

export type Incident = {
  id: number;
  monitorKey: string;
  kind: IncidentKind;
  startedAt: number;
  endedAt: number | null;
  worstValue: number | null;
  summary: string;
  evidence: unknown;
  /** When an operator acknowledged it (reminders stop), and who. */
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
};

/** An incident with its monitor's name, for lists across monitors. */
export type IncidentListItem = Incident & { monitorName: string };

export type AcknowledgeResult = { ok: true; incident: IncidentListItem } | { ok: false; reason: 'not-found' | 'closed' };

export type OutboxRow = { id: number; channel: string; event: string; createdAt: number; attempts: number; nextAttemptAt: number; lastError: string | null; deliveredAt: number | null };

/** One evaluation's outcome, written in one transaction: new state, incident changes and the messages to send. */
export type AlertCommit = {
  monitorKey: string;
  status: string;
  state: unknown;
  now: number;
  incidents: IncidentChange[];
  /** Serialised events, each to be delivered to each of its channels. */
  outbox: { channel: string; event: string }[];
};

/** Alert state, incidents and the durable outbox. The outbox is written before anything is sent. */
export function createAlertStore(db: Db) {
  const monitorIdOf = db.prepare('SELECT id FROM monitors WHERE key = ?').pluck();
  const loadStates = db.prepare('SELECT m.key, s.data FROM alert_state s JOIN monitors m ON m.id = s.monitor_id');
  const saveState = db.prepare(
    `INSERT INTO alert_state (monitor_id, status, data, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(monitor_id) DO UPDATE SET status = excluded.status, data = excluded.data, updated_at = excluded.updated_at`,
  );
  const openIncident = db.prepare(
    'INSERT INTO incidents (monitor_id, kind, started_at, worst_value, summary, evidence) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const updateIncident = db.prepare(
    'UPDATE incidents SET worst_value = max(coalesce(worst_value, ?), ?), evidence = ? WHERE monitor_id = ? AND kind = ? AND ended_at IS NULL',
  );
  const closeIncident = db.prepare(
    'UPDATE incidents SET ended_at = ?, worst_value = max(coalesce(worst_value, ?), ?), evidence = ? WHERE monitor_id = ? AND kind = ? AND ended_at IS NULL',
  );
  const enqueue = db.prepare('INSERT INTO outbox (channel, event, created_at, next_attempt_at) VALUES (?, ?, ?, ?)');
  const nextDue = db.prepare(
    `SELECT id, channel, event, created_at AS createdAt, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, delivered_at AS deliveredAt
     FROM outbox WHERE channel = ? AND delivered_at IS NULL ORDER BY id LIMIT 1`,
  );
  const pendingChannels = db.prepare('SELECT DISTINCT channel FROM outbox WHERE delivered_at IS NULL').pluck();
  const markDelivered = db.prepare('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?');
  const markFailed = db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?');
  const pendingCount = db.prepare('SELECT count(*) FROM outbox WHERE delivered_at IS NULL').pluck();
  const pruneDelivered = db.prepare('DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?');
  const incidentCols = `i.id, m.key AS monitorKey, m.name AS monitorName, i.kind, i.started_at AS startedAt, i.ended_at AS endedAt, i.worst_value AS worstValue,
     i.summary, i.evidence, i.acknowledged_at AS acknowledgedAt, i.acknowledged_by AS acknowledgedBy`;
  const incidentsOf = db.prepare(
    `SELECT ${incidentCols} FROM incidents i JOIN monitors m ON m.id = i.monitor_id
     WHERE m.key = ? AND (i.ended_at IS NULL OR i.ended_at >= ?) ORDER BY i.started_at DESC LIMIT ?`,
  );
  const incidentList = db.prepare(
    `SELECT ${incidentCols} FROM incidents i JOIN monitors m ON m.id = i.monitor_id
     WHERE (@open = 0 OR i.ended_at IS NULL) AND (@key IS NULL OR m.key = @key) AND (@before IS NULL OR (i.started_at <= @before AND (i.started_at < @before OR i.id < @beforeId)))
     ORDER BY i.started_at DESC, i.id DESC LIMIT @limit`,
  );
  const incidentById = db.prepare(`SELECT ${incidentCols} FROM incidents i JOIN monitors m ON m.id = i.monitor_id WHERE i.id = ?`);
  const ack = db.prepare('UPDATE incidents SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND ended_at IS NULL AND acknowledged_at IS NULL');
  const ackedOpen = db.prepare(
    `SELECT 1 FROM incidents i JOIN monitors m ON m.id = i.monitor_id
     WHERE m.key = ? AND i.kind = ? AND i.ended_at IS NULL AND i.acknowledged_at IS NOT NULL LIMIT 1`,
  ).pluck();
  type RawIncident = Omit<IncidentListItem, 'evidence'> & { evidence: string };
  const toIncident = (r: RawIncident): IncidentListItem => ({ ...r, evidence: JSON.parse(r.evidence) });

  const commit = db.transaction((c: AlertCommit): void => {
    const id = monitorIdOf.get(c.monitorKey) as number | undefined;
    if (id === undefined) throw new Error(`unknown monitor "${c.monitorKey}"`);
    saveState.run(id, c.status, JSON.stringify(c.state), c.now);
    for (const op of c.incidents) {
      const ev = JSON.stringify(op.evidence);
      if (op.op === 'open') openIncident.run(id, op.kind, op.startedAt, op.worst, op.summary, ev);
      else if (op.op === 'update') updateIncident.run(op.worst, op.worst, ev, id, op.kind);
      else closeIncident.run(op.endedAt, op.worst, op.worst, ev, id, op.kind);
    }
    for (const o of c.outbox) enqueue.run(o.channel, o.event, c.now, c.now);
  });

  return {
    /** Saved engine state per monitor key, for resuming after a restart. */
    loadStates(): Map<string, unknown> {
      return new Map((loadStates.all() as { key: string; data: string }[]).map((r) => [r.key, JSON.parse(r.data)]));
    },
    commit,
    /** Enqueue without touching state (used for test messages). */
    enqueue(channel: string, event: string, now: number): void {
      enqueue.run(channel, event, now, now);
    },
    outbox: {
      /** The oldest undelivered message of a channel (delivery per channel is in order). */
      head(channel: string): OutboxRow | undefined {
        return nextDue.get(channel) as OutboxRow | undefined;
      },
      channelsWithPending(): string[] {
        return pendingChannels.all() as string[];
      },
      delivered(id: number, now: number): void {
        markDelivered.run(now, id);
      },
      failed(id: number, nextAttemptAt: number, error: string): void {
        markFailed.run(nextAttemptAt, error.slice(0, 1000), id);
      },
      pending(): number {
        return pendingCount.get() as number;
      },
      /** Forget delivered messages older than `before`. */
      prune(before: number): number {
        return pruneDelivered.run(before).changes;
      },
      all(): OutboxRow[] {
        return db
          .prepare(
            `SELECT id, channel, event, created_at AS createdAt, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, delivered_at AS deliveredAt FROM outbox ORDER BY id`,
          )
          .all() as OutboxRow[];
      },
    },
    /** Open incidents and those that ended after `since`, newest first. */
    recentIncidents(monitorKey: string, since: number, limit = 5): IncidentListItem[] {
      return (incidentsOf.all(monitorKey, since, limit) as RawIncident[]).map(toIncident);
    },
    /** Incidents newest first: only open ones, of one monitor, after a (start time, id) cursor (for paging back; see PageCursor). */
    listIncidents(opts: { open?: boolean; monitor?: string; before?: { at: number; id?: number }; limit?: number } = {}): IncidentListItem[] {
      const limit = Math.min(500, Math.max(1, opts.limit ?? 50));
      return (incidentList.all({ open: opts.open ? 1 : 0, key: opts.monitor ?? null, before: opts.before?.at ?? null, beforeId: opts.before?.id ?? null, limit }) as RawIncident[]).map(toIncident);
    },
    incident(id: number): IncidentListItem | undefined {
      const r = incidentById.get(id) as RawIncident | undefined;
      return r && toIncident(r);
    },
    /**
     * Marks an open incident as seen by an operator: its reminders stop (recovery is still announced).
     * Acknowledging twice keeps the first time and name.
     */
    acknowledge(id: number, by: string, now: number): AcknowledgeResult {
      const before = incidentById.get(id) as RawIncident | undefined;
      if (!before) return { ok: false, reason: 'not-found' };
      if (before.endedAt !== null) return { ok: false, reason: 'closed' };
      ack.run(now, by, id);
      return { ok: true, incident: toIncident(incidentById.get(id) as RawIncident) };
    },
    /** Whether the monitor's open incident of this kind has been acknowledged. */
    isAcknowledged(monitorKey: string, kind: IncidentKind): boolean {
      return ackedOpen.get(monitorKey, kind) !== undefined;
    },
  };
}

export type AlertStore = ReturnType<typeof createAlertStore>;
