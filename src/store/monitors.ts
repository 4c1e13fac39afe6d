import type { Sql } from './sql.js';

export type MonitorDef = {
  key: string;
  name: string;
  description?: string;
  public: boolean;
  schedule: string;
  /** Number of steps; a one-step monitor keeps no per-step rollups (its run rollups are its step's). */
  steps?: number;
  /** Status-page group (`group:` in config). */
  group?: string;
};

/**
 * Makes the monitors table match the config: upserts each monitor (keeping its id and history)
 * and marks monitors no longer configured inactive. Returns key → id.
 */
export async function syncMonitors(sql: Sql, defs: MonitorDef[], now = Date.now()): Promise<Map<string, number>> {
  const UPSERT = `INSERT INTO monitors (key, name, description, public, active, schedule, position, grp, created_at, updated_at)
    VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET name = excluded.name, description = excluded.description, public = excluded.public,
      active = 1, schedule = excluded.schedule, position = excluded.position, grp = excluded.grp, updated_at = excluded.updated_at
    RETURNING id`;
  const ids = new Map<string, number>();
  await sql.tx(async (tx) => {
    await tx.run('UPDATE monitors SET active = 0');
    for (const [position, d] of defs.entries()) {
      const [id] = await tx.pluck<number>(UPSERT, [d.key, d.name, d.description ?? null, d.public ? 1 : 0, d.schedule, position, d.group ?? null, now, now]);
      ids.set(d.key, id);
    }
  });
  return ids;
}
