import type { Db } from './db.js';

export type IncidentKind = 'down' | 'degraded';

/**
 * Changes to an incident record. The evidence that opened it is never overwritten: a worse value
 * is kept with its own evidence, and the value and evidence it closed on are kept apart again.
 */
export type IncidentChange =
  | { op: 'open'; kind: IncidentKind; startedAt: number; worst: number; summary: string; evidence: unknown; value?: number }
  | { op: 'update'; kind: IncidentKind; worst: number; evidence: unknown }
  | { op: 'close'; kind: IncidentKind; endedAt: number; worst: number; evidence: unknown; value?: number | null };

export type Incident = {
  id: number;
  monitorKey: string;
  kind: IncidentKind;
  startedAt: number;
  endedAt: number | null;
  worstValue: number | null;
  summary: string;
  /** The evidence that opened it (incidents recorded before version 11 of the schema: the last evidence written). */
  evidence: unknown;
  /** The value that opened it (ms for degraded, failed checks in a row for down); null for incidents recorded before. */
  openedValue: number | null;
  /** The evidence of the worst value, when it got worse after opening. */
  worstEvidence: unknown;
  /** The value and evidence it closed on (the recovering measurement); null while open. */
  closedValue: number | null;
  closedEvidence: unknown;
  /** When an operator acknowledged it (reminders stop), and who. */
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
};

/** An incident with its monitor's name, for lists across monitors. */
export type IncidentListItem = Incident & { monitorName: string };

export type AcknowledgeResult = { ok: true; incident: IncidentListItem } | { ok: false; reason: 'not-found' | 'closed' };

export type OutboxRow = {
  id: number;
  channel: string;
  event: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  deliveredAt: number | null;
  /** When the sender gave up on it (a permanent failure or the retry limit), and why. */
  deadAt: number | null;
  deadReason: string | null;
};

/** An outbox message as the operator sees it: its event id and kind read from the stored event (when readable). */
export type OutboxListItem = OutboxRow & { state: 'pending' | 'dead' | 'delivered'; eventId: string | null; kind: string | null; monitor: string | null };

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
    'INSERT INTO incidents (monitor_id, kind, started_at, worst_value, summary, evidence, opened_value, opened_evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  // A worse value keeps its own evidence; the opening evidence stays as it was.
  const updateIncident = db.prepare(
    `UPDATE incidents SET worst_evidence = CASE WHEN @worst >= coalesce(worst_value, -1e308) THEN @evidence ELSE worst_evidence END,
       worst_value = max(coalesce(worst_value, @worst), @worst)
     WHERE monitor_id = @id AND kind = @kind AND ended_at IS NULL`,
  );
  const closeIncident = db.prepare(
    `UPDATE incidents SET ended_at = @endedAt, worst_value = max(coalesce(worst_value, @worst), @worst), closed_value = @value, closed_evidence = @evidence
     WHERE monitor_id = @id AND kind = @kind AND ended_at IS NULL`,
  );
  const enqueue = db.prepare('INSERT INTO outbox (channel, event, created_at, next_attempt_at) VALUES (?, ?, ?, ?)');
  const outboxCols = `id, channel, event, created_at AS createdAt, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, delivered_at AS deliveredAt,
     dead_at AS deadAt, dead_reason AS deadReason`;
  const nextDue = db.prepare(`SELECT ${outboxCols} FROM outbox WHERE channel = ? AND delivered_at IS NULL AND dead_at IS NULL ORDER BY id LIMIT 1`);
  const pendingChannels = db.prepare('SELECT DISTINCT channel FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL').pluck();
  const markDelivered = db.prepare('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?');
  const markFailed = db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?');
  const markDead = db.prepare('UPDATE outbox SET dead_at = ?, dead_reason = ?, attempts = attempts + ?, last_error = coalesce(?, last_error) WHERE id = ? AND delivered_at IS NULL');
  const pendingCount = db.prepare('SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL').pluck();
  const oldestPending = db.prepare(
    `SELECT channel, count(*) AS count, min(created_at) AS oldest, (SELECT last_error FROM outbox o2 WHERE o2.channel = o.channel AND o2.delivered_at IS NULL AND o2.dead_at IS NULL ORDER BY id LIMIT 1) AS lastError
     FROM outbox o WHERE delivered_at IS NULL AND dead_at IS NULL GROUP BY channel ORDER BY oldest`,
  );
  const deadSince = db.prepare('SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL AND dead_at >= ?').pluck();
  const listOutbox = db.prepare(
    `SELECT ${outboxCols} FROM outbox
     WHERE (@state = 'all' OR (@state = 'pending' AND delivered_at IS NULL AND dead_at IS NULL) OR (@state = 'dead' AND dead_at IS NOT NULL)
            OR (@state = 'delivered' AND delivered_at IS NOT NULL))
       AND (@before IS NULL OR id < @before)
     ORDER BY id DESC LIMIT @limit`,
  );
  // Delivered and dead messages are kept for inspection, then forgotten.
  const pruneDelivered = db.prepare('DELETE FROM outbox WHERE (delivered_at IS NOT NULL AND delivered_at < @before) OR (dead_at IS NOT NULL AND dead_at < @before)');
  const incidentCols = `i.id, m.key AS monitorKey, m.name AS monitorName, i.kind, i.started_at AS startedAt, i.ended_at AS endedAt, i.worst_value AS worstValue,
     i.summary, coalesce(i.opened_evidence, i.evidence) AS evidence, i.opened_value AS openedValue, i.worst_evidence AS worstEvidence,
     i.closed_value AS closedValue, i.closed_evidence AS closedEvidence, i.acknowledged_at AS acknowledgedAt, i.acknowledged_by AS acknowledgedBy`;
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
  type RawIncident = Omit<IncidentListItem, 'evidence' | 'worstEvidence' | 'closedEvidence'> & { evidence: string; worstEvidence: string | null; closedEvidence: string | null };
  const json = (s: string | null) => (s === null ? null : JSON.parse(s));
  const toIncident = (r: RawIncident): IncidentListItem => ({ ...r, evidence: JSON.parse(r.evidence), worstEvidence: json(r.worstEvidence), closedEvidence: json(r.closedEvidence) });
  const toOutboxItem = (r: OutboxRow): OutboxListItem => {
    let e: { id?: unknown; kind?: unknown; monitor?: { key?: unknown } } | null = null;
    try {
      e = JSON.parse(r.event);
    } catch {
      /* a malformed row: shown as it is */
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    return { ...r, state: r.deadAt !== null ? 'dead' : r.deliveredAt !== null ? 'delivered' : 'pending', eventId: str(e?.id), kind: str(e?.kind), monitor: str(e?.monitor?.key) };
  };

  const commit = db.transaction((c: AlertCommit): void => {
    const id = monitorIdOf.get(c.monitorKey) as number | undefined;
    if (id === undefined) throw new Error(`unknown monitor "${c.monitorKey}"`);
    saveState.run(id, c.status, JSON.stringify(c.state), c.now);
    for (const op of c.incidents) {
      const ev = JSON.stringify(op.evidence);
      if (op.op === 'open') openIncident.run(id, op.kind, op.startedAt, op.worst, op.summary, ev, op.value ?? op.worst, ev);
      else if (op.op === 'update') updateIncident.run({ worst: op.worst, evidence: ev, id, kind: op.kind });
      else closeIncident.run({ endedAt: op.endedAt, worst: op.worst, value: op.value ?? null, evidence: ev, id, kind: op.kind });
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
      /** The oldest undelivered message of a channel that is not dead (delivery per channel is in order). */
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
      /**
       * Gives up on a message: it is kept (shown in admin and the API) but no longer holds up its
       * channel. `attempted`: this giving-up followed a delivery attempt (counted), with its error.
       */
      dead(id: number, now: number, reason: string, attempted?: { error: string }): void {
        markDead.run(now, reason.slice(0, 1000), attempted ? 1 : 0, attempted ? attempted.error.slice(0, 1000) : null, id);
      },
      pending(): number {
        return pendingCount.get() as number;
      },
      /** Per channel: undelivered messages that are not dead, the oldest one's creation time and its last error. */
      backlog(): { channel: string; count: number; oldest: number; lastError: string | null }[] {
        return oldestPending.all() as { channel: string; count: number; oldest: number; lastError: string | null }[];
      },
      /** Messages given up on since `since`. */
      deadSince(since: number): number {
        return deadSince.get(since) as number;
      },
      /** Newest first: pending, dead, delivered or all messages; `before` an id, for paging back. */
      list(opts: { state?: 'pending' | 'dead' | 'delivered' | 'all'; before?: number; limit?: number } = {}): OutboxListItem[] {
        const limit = Math.min(500, Math.max(1, opts.limit ?? 50));
        return (listOutbox.all({ state: opts.state ?? 'all', before: opts.before ?? null, limit }) as OutboxRow[]).map(toOutboxItem);
      },
      /** Forget delivered and dead messages older than `before`. */
      prune(before: number): number {
        return pruneDelivered.run({ before }).changes;
      },
      all(): OutboxRow[] {
        return db.prepare(`SELECT ${outboxCols} FROM outbox ORDER BY id`).all() as OutboxRow[];
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
