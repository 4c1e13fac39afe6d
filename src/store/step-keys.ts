import type { RunResult } from '../probes/types.js';
import type { Sql } from './sql.js';
import { insertRows, inLists } from './batch.js';

/**
 * Per-step history is keyed by the step's name, not its position: each monitor maps every step name
 * it has run to a small integer (the `step` column of the rollup tables, from 0; -1 is the whole run).
 * Keys are handed out in order of first appearance and never change, so renaming, inserting or
 * reordering steps never mixes two requests' history, and persona journeys (each run walks different
 * steps) keep per-step history too. Steps sharing a name in one journey share one history, as the
 * raw per-step queries (alert rules) count them.
 */
export type StepKeyRow = {
  step: number;
  name: string;
  /** Epoch ms of the earliest and the latest run that ran a step of this name. */
  firstSeen: number;
  lastSeen: number;
  /** The step's position (from 0) in the latest run that had it. */
  lastIndex: number;
};

/** One entry of a monitor's step selector. */
export type StepChoice = {
  /** The rollup key: what `?step=` takes. */
  step: number;
  name: string;
  /** Position from 0 in the monitor's current journey; null for persona journeys (steps vary by run) and earlier steps. */
  position: number | null;
  /** Run recently (false: a step renamed or removed whose history is still kept). */
  current: boolean;
};

/** A persona journey's step counts as current when some run walked it within this long of the newest run. */
export const RECENT_STEP_MS = 7 * 86_400_000;
/** At most this many steps are listed (a bounded page, whatever the config did over the years). */
const MAX_CHOICES = 200;

type Row = { step: number; name: string; first_seen: number; last_seen: number; last_idx: number };
const toRow = (r: Row): StepKeyRow => ({ step: r.step, name: r.name, firstSeen: r.first_seen, lastSeen: r.last_seen, lastIndex: r.last_idx });

const COLS = 'step, name, first_seen, last_seen, last_idx';
/** The advisory lock class for handing out step keys on PostgreSQL ("stepkeys" as a 32-bit number). */
const STEP_KEY_LOCK = 0x73746570;

export function createStepKeys(sql: Sql) {
  // A known name keeps its key and widens its first/last seen; a new one was given the monitor's next key.
  const UPSERT_SUFFIX = `ON CONFLICT (monitor_id, name) DO UPDATE SET
       first_seen = CASE WHEN excluded.first_seen < step_keys.first_seen THEN excluded.first_seen ELSE step_keys.first_seen END,
       last_idx = CASE WHEN excluded.last_seen >= step_keys.last_seen THEN excluded.last_idx ELSE step_keys.last_idx END,
       last_seen = CASE WHEN excluded.last_seen > step_keys.last_seen THEN excluded.last_seen ELSE step_keys.last_seen END`;

  /** The stored keys of these monitors, by monitor and name. */
  async function stored(tx: Sql, monitorIds: Iterable<number>): Promise<Map<number, Map<string, number>>> {
    const out = new Map<number, Map<string, number>>();
    for (const [inList, params] of inLists(monitorIds)) {
      for (const [monitorId, step, name] of await tx.raw<[number, number, string]>(`SELECT monitor_id, step, name FROM step_keys WHERE monitor_id IN (${inList})`, params)) {
        let m = out.get(monitorId);
        if (!m) out.set(monitorId, (m = new Map()));
        m.set(name, step);
      }
    }
    return out;
  }

  return {
    /**
     * Registers the step names of a batch of runs and returns a lookup of their keys. Call inside the
     * writer's transaction, with its executor (the keys must commit with the rollups that use them).
     * One read and one multi-row upsert per batch; handing out keys to new names (rare: a changed
     * journey) takes a per-monitor lock on PostgreSQL, so two nodes never give one key two names.
     */
    async assign(tx: Sql, runs: { monitorId: number; run: RunResult }[]): Promise<(monitorId: number, name: string) => number> {
      type Seen = { first: number; last: number; index: number };
      const seen = new Map<number, Map<string, Seen>>();
      for (const { monitorId, run } of runs) {
        let names = seen.get(monitorId);
        if (!names) seen.set(monitorId, (names = new Map()));
        for (const s of run.steps) {
          const t = run.startedAt;
          const x = names.get(s.name);
          if (!x) names.set(s.name, { first: t, last: t, index: s.index });
          else {
            if (t < x.first) x.first = t;
            // A later run moves the position; within one run the first occurrence of a name stands.
            if (t > x.last) {
              x.last = t;
              x.index = s.index;
            }
          }
        }
      }
      let keys = await stored(tx, seen.keys());
      const withNew = [...seen].filter(([monitorId, names]) => [...names.keys()].some((n) => !keys.get(monitorId)?.has(n))).map(([monitorId]) => monitorId);
      if (withNew.length > 0) {
        if (tx.dialect === 'postgres') {
          // In id order, so two nodes locking several monitors cannot wait on each other.
          for (const id of [...withNew].sort((a, b) => a - b)) await tx.run('SELECT pg_advisory_xact_lock(?, ?)', [STEP_KEY_LOCK, id]);
          // Read again under the locks: another node may have named them meanwhile.
          const again = await stored(tx, withNew);
          keys = new Map([...keys, ...again]);
        }
        for (const id of withNew) {
          const m = keys.get(id) ?? new Map<string, number>();
          keys.set(id, m);
          let next = Math.max(-1, ...m.values()) + 1;
          for (const name of seen.get(id)!.keys()) if (!m.has(name)) m.set(name, next++);
        }
      }
      const rows: unknown[][] = [];
      for (const [monitorId, names] of seen) for (const [name, x] of names) rows.push([monitorId, keys.get(monitorId)!.get(name), name, x.first, x.last, x.index]);
      await insertRows(tx, 'step_keys (monitor_id, step, name, first_seen, last_seen, last_idx)', 6, rows, UPSERT_SUFFIX);
      return (monitorId, name) => {
        const k = keys.get(monitorId)?.get(name);
        if (k === undefined) throw new Error(`no step key for step "${name}" of monitor ${monitorId}`);
        return k;
      };
    },
    /** The key of a step name, with when it was first and last run. */
    async byName(monitorId: number, name: string): Promise<StepKeyRow | undefined> {
      const r = await sql.get<Row>(`SELECT ${COLS} FROM step_keys WHERE monitor_id = ? AND name = ?`, [monitorId, name]);
      return r && toRow(r);
    },
    async byKey(monitorId: number, step: number): Promise<StepKeyRow | undefined> {
      const r = await sql.get<Row>(`SELECT ${COLS} FROM step_keys WHERE monitor_id = ? AND step = ?`, [monitorId, step]);
      return r && toRow(r);
    },
    /** The key of the step the monitor ran last (for a one-step monitor, the step its run rollups stand for). */
    async newest(monitorId: number): Promise<number | undefined> {
      return (await sql.pluck<number>('SELECT step FROM step_keys WHERE monitor_id = ? ORDER BY last_seen DESC, step DESC LIMIT 1', [monitorId]))[0];
    },
    /**
     * The monitor's steps for the step selector, current ones first. A plain journey's current steps are
     * those its latest successful run walked, in its order; a persona journey's are those run within
     * RECENT_STEP_MS of its newest run, in order of first appearance. Earlier steps follow, last run first.
     */
    async choices(monitorId: number): Promise<StepChoice[]> {
      const rows = await sql.all<Row>(`SELECT ${COLS} FROM step_keys WHERE monitor_id = ? ORDER BY last_seen DESC, step LIMIT ?`, [monitorId, MAX_CHOICES]);
      if (rows.length === 0) return [];
      const latest = await sql.get<{ started_at: number; persona: string | null }>('SELECT started_at, persona FROM runs WHERE monitor_id = ? ORDER BY started_at DESC LIMIT 1', [monitorId]);
      const persona = latest?.persona != null;
      const newestSeen = Math.max(...rows.map((r) => r.last_seen));
      // Newest first through the (monitor_id, started_at, ok) index, stopping at the first success.
      const okAt = persona ? null : (await sql.pluck<number>('SELECT started_at FROM runs WHERE monitor_id = ? AND ok = 1 ORDER BY started_at DESC LIMIT 1', [monitorId]))[0];
      const since = okAt ?? newestSeen - RECENT_STEP_MS;
      const current = rows.filter((r) => r.last_seen >= since);
      const earlier = rows.filter((r) => r.last_seen < since);
      current.sort(persona ? (a, b) => a.step - b.step : (a, b) => a.last_idx - b.last_idx || a.step - b.step);
      return [
        ...current.map((r) => ({ step: r.step, name: r.name, position: persona ? null : r.last_idx, current: true })),
        ...earlier.map((r) => ({ step: r.step, name: r.name, position: null, current: false })),
      ];
    },
  };
}

export type StepKeys = ReturnType<typeof createStepKeys>;
