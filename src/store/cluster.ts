/**
 * What several halftime nodes on one PostgreSQL database agree on, through the database itself:
 * leases for the duties that must run once (a location's scheduler, the outbox sender, housekeeping),
 * with a fencing token that grows with every change of holder, and the list of live nodes. Times are
 * the database's clock, so nodes with slightly different clocks still agree on who holds what.
 * On SQLite (one process per file, enforced by a lock file) the same calls work and are trivially won.
 */
import type { Sql } from './sql.js';

export type NodeInfo = { id: string; location: string; role: string; version: string; startedAt: number };
export type NodeRow = NodeInfo & { seenAt: number };
export type LeaseRow = { name: string; holder: string; token: number; expiresAt: number };

/** The database's "now" in epoch ms (its clock, not this node's). */
const NOW = { postgres: `(extract(epoch from clock_timestamp()) * 1000)::bigint`, sqlite: `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)` } as const;

export type Cluster = {
  /** The database's clock (epoch ms). */
  clock(): Promise<number>;
  /**
   * Takes or renews the lease `name` for `holder` until ttlMs from now (database time): the lease's
   * fencing token, or null while another holder's lease has not expired. The token changes only when
   * the holder changes.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<number | null>;
  /** Gives the lease up at once (a clean stop), so another node need not wait for it to expire. */
  release(name: string, holder: string): Promise<void>;
  /** Whether `holder` still holds `name` with `token`: checked right before a fenced action. */
  holds(name: string, holder: string, token: number, tx?: Sql): Promise<boolean>;
  leases(): Promise<LeaseRow[]>;
  /** Registers or refreshes this node (every few seconds: nodes not seen for a while are gone). */
  heartbeat(node: NodeInfo): Promise<void>;
  leave(nodeId: string): Promise<void>;
  /** Nodes seen within `withinMs`. */
  nodes(withinMs: number): Promise<NodeRow[]>;
};

export function createCluster(sql: Sql): Cluster {
  const now = NOW[sql.dialect];
  const ACQUIRE = `INSERT INTO leases (name, holder, token, expires_at) VALUES (?, ?, 1, ${now} + ?)
     ON CONFLICT (name) DO UPDATE SET
       token = CASE WHEN leases.holder = excluded.holder THEN leases.token ELSE leases.token + 1 END,
       holder = excluded.holder,
       expires_at = excluded.expires_at
     WHERE leases.holder = excluded.holder OR leases.expires_at < ${now}
     RETURNING token`;
  return {
    clock: async () => Number((await sql.pluck<number>(`SELECT ${now}`))[0]),
    async acquire(name, holder, ttlMs) {
      const [token] = await sql.pluck<number>(ACQUIRE, [name, holder, ttlMs]);
      return token ?? null;
    },
    async release(name, holder) {
      await sql.run('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder]);
    },
    async holds(name, holder, token, tx = sql) {
      const rows = await tx.pluck(`SELECT 1 FROM leases WHERE name = ? AND holder = ? AND token = ? AND expires_at >= ${now}`, [name, holder, token]);
      return rows.length > 0;
    },
    leases: () => sql.all<LeaseRow>('SELECT name, holder, token, expires_at AS "expiresAt" FROM leases ORDER BY name'),
    async heartbeat(n) {
      await sql.run(
        `INSERT INTO nodes (id, location, role, version, started_at, seen_at) VALUES (?, ?, ?, ?, ?, ${now})
         ON CONFLICT (id) DO UPDATE SET location = excluded.location, role = excluded.role, version = excluded.version, seen_at = excluded.seen_at`,
        [n.id, n.location, n.role, n.version, n.startedAt],
      );
    },
    async leave(nodeId) {
      await sql.run('DELETE FROM nodes WHERE id = ?', [nodeId]);
    },
    nodes: (withinMs) =>
      sql.all<NodeRow>(
        `SELECT id, location, role, version, started_at AS "startedAt", seen_at AS "seenAt" FROM nodes WHERE seen_at >= ${now} - ? ORDER BY location, id`,
        [withinMs],
      ),
  };
}
