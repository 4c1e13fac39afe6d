import type { Db } from './db.js';

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
export function syncMonitors(db: Db, defs: MonitorDef[], now = Date.now()): Map<string, number> {
  const upsert = db.prepare(`
    INSERT INTO monitors (key, name, description, public, active, schedule, position, grp, created_at, updated_at)
    VALUES (@key, @name, @description, @public, 1, @schedule, @position, @grp, @now, @now)
    ON CONFLICT(key) DO UPDATE SET name = excluded.name, description = excluded.description, public = excluded.public,
      active = 1, schedule = excluded.schedule, position = excluded.position, grp = excluded.grp, updated_at = excluded.updated_at
    RETURNING id`);
  const ids = new Map<string, number>();
  db.transaction(() => {
    db.prepare('UPDATE monitors SET active = 0').run();
    defs.forEach((d, position) => {
      const id = upsert.pluck().get({ key: d.key, name: d.name, description: d.description ?? null, public: d.public ? 1 : 0, schedule: d.schedule, position, grp: d.group ?? null, now }) as number;
      ids.set(d.key, id);
    });
  })();
  return ids;
}
