import type { Sql } from './sql.js';

/** A heartbeat monitor's push token, as stored: its hash and prefix, never the token. */
export type PushTokenInfo = { monitorKey: string; prefix: string; createdAt: number; createdBy: string | null; lastPingAt: number | null };

/**
 * Push tokens of heartbeat monitors, one per monitor. Only a SHA-256 hash of each token is stored
 * (the caller hashes it), so a copy of the database cannot ping; setting a new one replaces (rotates)
 * the old one at once.
 */
export function createPushTokens(sql: Sql) {
  const COLS = `m.key AS "monitorKey", p.prefix, p.created_at AS "createdAt", p.created_by AS "createdBy", p.last_ping_at AS "lastPingAt"`;
  const SET = `INSERT INTO push_tokens (monitor_id, token_hash, prefix, created_at, created_by) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (monitor_id) DO UPDATE SET token_hash = excluded.token_hash, prefix = excluded.prefix, created_at = excluded.created_at, created_by = excluded.created_by`;
  return {
    /** Sets (or rotates) a monitor's token; false when no active monitor has that key. */
    async set(monitorKey: string, tokenHash: string, prefix: string, by: string | null, now = Date.now()): Promise<boolean> {
      const [id] = await sql.pluck<number>('SELECT id FROM monitors WHERE key = ? AND active = 1', [monitorKey]);
      if (id === undefined) return false;
      await sql.run(SET, [id, tokenHash, prefix, now, by]);
      return true;
    },
    /** The monitor a token belongs to (active monitors only). */
    byHash: (tokenHash: string) => sql.get<PushTokenInfo>(`SELECT ${COLS} FROM push_tokens p JOIN monitors m ON m.id = p.monitor_id WHERE p.token_hash = ? AND m.active = 1`, [tokenHash]),
    info: (monitorKey: string) => sql.get<PushTokenInfo>(`SELECT ${COLS} FROM push_tokens p JOIN monitors m ON m.id = p.monitor_id WHERE m.key = ?`, [monitorKey]),
    /** Every monitor's last ping (for the deadlines after a restart). */
    async lastPings(): Promise<Map<string, number>> {
      const rows = await sql.all<{ key: string; at: number }>('SELECT m.key, p.last_ping_at AS at FROM push_tokens p JOIN monitors m ON m.id = p.monitor_id WHERE p.last_ping_at IS NOT NULL');
      return new Map(rows.map((r) => [r.key, Number(r.at)]));
    },
    async touch(monitorKey: string, at: number): Promise<void> {
      await sql.run(
        `UPDATE push_tokens SET last_ping_at = ? WHERE monitor_id = (SELECT id FROM monitors WHERE key = ?) AND (last_ping_at IS NULL OR last_ping_at < ?)`,
        [at, monitorKey, at],
      );
    },
  };
}

export type PushTokens = ReturnType<typeof createPushTokens>;
