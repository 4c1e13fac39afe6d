import type { Sql } from './sql.js';

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
export function createAlertStore(sql: Sql) {
  const SAVE_STATE = `INSERT INTO alert_state (monitor_id, status, data, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (monitor_id) DO UPDATE SET status = excluded.status, data = excluded.data, updated_at = excluded.updated_at`;
  const OPEN_INCIDENT = 'INSERT INTO incidents (monitor_id, kind, started_at, worst_value, summary, evidence, opened_value, opened_evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
  // A worse value keeps its own evidence; the opening evidence stays as it was.
  const UPDATE_INCIDENT = `UPDATE incidents SET worst_evidence = CASE WHEN ? >= coalesce(worst_value, -1e308) THEN ? ELSE worst_evidence END,
       worst_value = CASE WHEN worst_value IS NULL OR ? > worst_value THEN ? ELSE worst_value END
     WHERE monitor_id = ? AND kind = ? AND ended_at IS NULL`;
  const CLOSE_INCIDENT = `UPDATE incidents SET ended_at = ?, worst_value = CASE WHEN worst_value IS NULL OR ? > worst_value THEN ? ELSE worst_value END,
       closed_value = ?, closed_evidence = ?
     WHERE monitor_id = ? AND kind = ? AND ended_at IS NULL`;
  const ENQUEUE = 'INSERT INTO outbox (channel, event, created_at, next_attempt_at) VALUES (?, ?, ?, ?)';
  const OUTBOX_COLS = `id, channel, event, created_at AS "createdAt", attempts, next_attempt_at AS "nextAttemptAt", last_error AS "lastError", delivered_at AS "deliveredAt",
     dead_at AS "deadAt", dead_reason AS "deadReason"`;
  const PENDING = 'delivered_at IS NULL AND dead_at IS NULL';
  const INCIDENT_COLS = `i.id, m.key AS "monitorKey", m.name AS "monitorName", i.kind, i.started_at AS "startedAt", i.ended_at AS "endedAt", i.worst_value AS "worstValue",
     i.summary, coalesce(i.opened_evidence, i.evidence) AS evidence, i.opened_value AS "openedValue", i.worst_evidence AS "worstEvidence",
     i.closed_value AS "closedValue", i.closed_evidence AS "closedEvidence", i.acknowledged_at AS "acknowledgedAt", i.acknowledged_by AS "acknowledgedBy"`;
  const INCIDENT_BY_ID = `SELECT ${INCIDENT_COLS} FROM incidents i JOIN monitors m ON m.id = i.monitor_id WHERE i.id = ?`;
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

  async function commitIn(tx: Sql, c: AlertCommit): Promise<void> {
    const [id] = await tx.pluck<number>('SELECT id FROM monitors WHERE key = ?', [c.monitorKey]);
    if (id === undefined) throw new Error(`unknown monitor "${c.monitorKey}"`);
    await tx.run(SAVE_STATE, [id, c.status, JSON.stringify(c.state), c.now]);
    for (const op of c.incidents) {
      const ev = JSON.stringify(op.evidence);
      if (op.op === 'open') await tx.run(OPEN_INCIDENT, [id, op.kind, op.startedAt, op.worst, op.summary, ev, op.value ?? op.worst, ev]);
      else if (op.op === 'update') await tx.run(UPDATE_INCIDENT, [op.worst, ev, op.worst, op.worst, id, op.kind]);
      else await tx.run(CLOSE_INCIDENT, [op.endedAt, op.worst, op.worst, op.value ?? null, ev, id, op.kind]);
    }
    for (const o of c.outbox) await tx.run(ENQUEUE, [o.channel, o.event, c.now, c.now]);
  }

  return {
    /** Saved engine state per monitor key, for resuming after a restart. */
    async loadStates(): Promise<Map<string, unknown>> {
      const rows = await sql.all<{ key: string; data: string }>('SELECT m.key, s.data FROM alert_state s JOIN monitors m ON m.id = s.monitor_id');
      return new Map(rows.map((r) => [r.key, JSON.parse(r.data)]));
    },
    /** One evaluation's outcome in one transaction: the new state, incident changes and the messages to send. */
    async commit(c: AlertCommit): Promise<void> {
      await sql.tx((tx) => commitIn(tx, c));
    },
    /**
     * One evaluation under the monitor's lock, for several nodes on one database: `fn` gets the stored
     * state (undefined before the first) and commits inside the same transaction, so two nodes judging
     * runs of the same monitor take turns and each sees the other's outcome.
     */
    async transact<T>(monitorKey: string, fn: (stored: unknown, commit: (c: AlertCommit) => Promise<void>) => Promise<T>): Promise<T> {
      return sql.tx(async (tx) => {
        const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
        const [id] = await tx.pluck<number>(`SELECT id FROM monitors WHERE key = ?${lock}`, [monitorKey]);
        if (id === undefined) throw new Error(`unknown monitor "${monitorKey}"`);
        const [data] = await tx.pluck<string>('SELECT data FROM alert_state WHERE monitor_id = ?', [id]);
        return fn(data === undefined ? undefined : JSON.parse(data), (c) => commitIn(tx, c));
      });
    },
    /** Every monitor's stored status (what other nodes judged), by key. */
    async statuses(): Promise<Map<string, string>> {
      const rows = await sql.all<{ key: string; status: string }>('SELECT m.key, s.status FROM alert_state s JOIN monitors m ON m.id = s.monitor_id');
      return new Map(rows.map((r) => [r.key, r.status]));
    },
    /** Enqueue without touching state (used for test messages). */
    async enqueue(channel: string, event: string, now: number): Promise<void> {
      await sql.run(ENQUEUE, [channel, event, now, now]);
    },
    outbox: {
      /** The oldest undelivered message of a channel that is not dead (delivery per channel is in order). */
      head: (channel: string) => sql.get<OutboxRow>(`SELECT ${OUTBOX_COLS} FROM outbox WHERE channel = ? AND ${PENDING} ORDER BY id LIMIT 1`, [channel]),
      channelsWithPending: () => sql.pluck<string>(`SELECT DISTINCT channel FROM outbox WHERE ${PENDING}`),
      async delivered(id: number, now: number): Promise<void> {
        await sql.run('UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?', [now, id]);
      },
      async failed(id: number, nextAttemptAt: number, error: string): Promise<void> {
        await sql.run('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?', [nextAttemptAt, error.slice(0, 1000), id]);
      },
      /**
       * Gives up on a message: it is kept (shown in admin and the API) but no longer holds up its
       * channel. `attempted`: this giving-up followed a delivery attempt (counted), with its error.
       */
      async dead(id: number, now: number, reason: string, attempted?: { error: string }): Promise<void> {
        await sql.run('UPDATE outbox SET dead_at = ?, dead_reason = ?, attempts = attempts + ?, last_error = coalesce(?, last_error) WHERE id = ? AND delivered_at IS NULL', [
          now,
          reason.slice(0, 1000),
          attempted ? 1 : 0,
          attempted ? attempted.error.slice(0, 1000) : null,
          id,
        ]);
      },
      pending: async () => (await sql.pluck<number>(`SELECT count(*) FROM outbox WHERE ${PENDING}`))[0],
      /** Per channel: undelivered messages that are not dead, the oldest one's creation time and its last error. */
      backlog: () =>
        sql.all<{ channel: string; count: number; oldest: number; lastError: string | null }>(
          `SELECT channel, count(*) AS count, min(created_at) AS oldest,
             (SELECT last_error FROM outbox o2 WHERE o2.channel = o.channel AND o2.delivered_at IS NULL AND o2.dead_at IS NULL ORDER BY id LIMIT 1) AS "lastError"
           FROM outbox o WHERE ${PENDING} GROUP BY channel ORDER BY oldest`,
        ),
      /** Messages given up on since `since`. */
      /** Messages given up (dead) and not yet pruned. */
      deadCount: async () => (await sql.pluck<number>('SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL'))[0],
      deadSince: async (since: number) => (await sql.pluck<number>('SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL AND dead_at >= ?', [since]))[0],
      /** Newest first: pending, dead, delivered or all messages; `before` an id, for paging back. */
      async list(opts: { state?: 'pending' | 'dead' | 'delivered' | 'all'; before?: number; limit?: number } = {}): Promise<OutboxListItem[]> {
        const limit = Math.min(500, Math.max(1, opts.limit ?? 50));
        const where = { all: 'TRUE', pending: PENDING, dead: 'dead_at IS NOT NULL', delivered: 'delivered_at IS NOT NULL' }[opts.state ?? 'all'];
        const rows = await sql.all<OutboxRow>(`SELECT ${OUTBOX_COLS} FROM outbox WHERE ${where} AND id < ? ORDER BY id DESC LIMIT ?`, [opts.before ?? Number.MAX_SAFE_INTEGER, limit]);
        return rows.map(toOutboxItem);
      },
      /** Forget delivered and dead messages older than `before`. */
      prune: async (before: number) => (await sql.run('DELETE FROM outbox WHERE (delivered_at IS NOT NULL AND delivered_at < ?) OR (dead_at IS NOT NULL AND dead_at < ?)', [before, before])).changes,
      all: () => sql.all<OutboxRow>(`SELECT ${OUTBOX_COLS} FROM outbox ORDER BY id`),
    },
    /** Open incidents and those that ended after `since`, newest first. */
    async recentIncidents(monitorKey: string, since: number, limit = 5): Promise<IncidentListItem[]> {
      const rows = await sql.all<RawIncident>(
        `SELECT ${INCIDENT_COLS} FROM incidents i JOIN monitors m ON m.id = i.monitor_id
         WHERE m.key = ? AND (i.ended_at IS NULL OR i.ended_at >= ?) ORDER BY i.started_at DESC LIMIT ?`,
        [monitorKey, since, limit],
      );
      return rows.map(toIncident);
    },
    /** Incidents newest first: only open ones, of one monitor, after a (start time, id) cursor (for paging back; see PageCursor). */
    async listIncidents(opts: { open?: boolean; monitor?: string; before?: { at: number; id?: number }; limit?: number } = {}): Promise<IncidentListItem[]> {
      const limit = Math.min(500, Math.max(1, opts.limit ?? 50));
      const at = opts.before?.at ?? 9e15;
      const id = opts.before ? (opts.before.id ?? -1) : 9e15;
      const rows = await sql.all<RawIncident>(
        `SELECT ${INCIDENT_COLS} FROM incidents i JOIN monitors m ON m.id = i.monitor_id
         WHERE (? = 0 OR i.ended_at IS NULL) AND (CAST(? AS TEXT) IS NULL OR m.key = ?) AND i.started_at <= ? AND (i.started_at < ? OR i.id < ?)
         ORDER BY i.started_at DESC, i.id DESC LIMIT ?`,
        [opts.open ? 1 : 0, opts.monitor ?? null, opts.monitor ?? null, at, at, id, limit],
      );
      return rows.map(toIncident);
    },
    async incident(id: number): Promise<IncidentListItem | undefined> {
      const r = await sql.get<RawIncident>(INCIDENT_BY_ID, [id]);
      return r && toIncident(r);
    },
    /**
     * Marks an open incident as seen by an operator: its reminders stop (recovery is still announced).
     * Acknowledging twice keeps the first time and name.
     */
    async acknowledge(id: number, by: string, now: number): Promise<AcknowledgeResult> {
      const before = await sql.get<RawIncident>(INCIDENT_BY_ID, [id]);
      if (!before) return { ok: false, reason: 'not-found' };
      if (before.endedAt !== null) return { ok: false, reason: 'closed' };
      await sql.run('UPDATE incidents SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND ended_at IS NULL AND acknowledged_at IS NULL', [now, by, id]);
      return { ok: true, incident: toIncident((await sql.get<RawIncident>(INCIDENT_BY_ID, [id]))!) };
    },
    /** Whether the monitor's open incident of this kind has been acknowledged. */
    async isAcknowledged(monitorKey: string, kind: IncidentKind): Promise<boolean> {
      const rows = await sql.pluck(
        `SELECT 1 FROM incidents i JOIN monitors m ON m.id = i.monitor_id
         WHERE m.key = ? AND i.kind = ? AND i.ended_at IS NULL AND i.acknowledged_at IS NOT NULL LIMIT 1`,
        [monitorKey, kind],
      );
      return rows.length > 0;
    },
  };
}

export type AlertStore = ReturnType<typeof createAlertStore>;
