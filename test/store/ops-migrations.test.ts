/** Migrations 10 (outbox dead letters) and 11 (incident evidence kept apart) on a SQLite database written before them. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAlertStore } from '../../src/store/alerts.js';
import { openSqlite, schemaVersion } from '../../src/store/db.js';
import { tempDir } from '../helpers.js';

describe('upgrading a SQLite database to dead letters and kept-apart incident evidence', () => {
  it('keeps old incidents readable (their last evidence is the closing one) and old outbox rows pending', async () => {
    const tmp = tempDir();
    try {
      const path = join(tmp.dir, 'old.db');
      const old = await openSqlite(path, { migrateTo: 9 });
      expect(await schemaVersion(old)).toBe(9);
      await old.run("INSERT INTO monitors (id, key, name, created_at, updated_at) VALUES (1, 'api', 'API', 0, 0)");
      const ev = JSON.stringify({ latency: { actualMs: 150, thresholdMs: 500 }, worst: 900 });
      await old.run("INSERT INTO incidents (monitor_id, kind, started_at, ended_at, worst_value, summary, evidence) VALUES (1, 'degraded', 1000, 2000, 900, 'slow', ?)", [ev]);
      await old.run("INSERT INTO incidents (monitor_id, kind, started_at, worst_value, summary, evidence) VALUES (1, 'down', 3000, 2, 'down', '{\"failures\":2}')");
      await old.run("INSERT INTO outbox (channel, event, created_at, next_attempt_at) VALUES ('hook', '{\"id\":\"e1\",\"kind\":\"down\"}', 5, 5)");
      await old.close();

      const sql = await openSqlite(path);
      try {
        expect(await schemaVersion(sql)).toBeGreaterThanOrEqual(11);
        const store = createAlertStore(sql);
        const [open, closed] = await store.listIncidents();
        expect(closed).toMatchObject({ kind: 'degraded', openedValue: null, worstValue: 900, closedValue: null, evidence: JSON.parse(ev), closedEvidence: JSON.parse(ev), worstEvidence: null });
        expect(open).toMatchObject({ kind: 'down', openedValue: null, closedEvidence: null, evidence: { failures: 2 } });
        const head = await store.outbox.head('hook');
        expect(head).toMatchObject({ event: '{"id":"e1","kind":"down"}', deadAt: null, deadReason: null });
        expect(await store.outbox.list({ state: 'pending' })).toMatchObject([{ state: 'pending', eventId: 'e1', kind: 'down' }]);
        await store.outbox.dead(head!.id, 10, 'permanent failure: HTTP 400', { error: 'HTTP 400' });
        expect(await store.outbox.head('hook')).toBeUndefined();
        expect(await store.outbox.list({ state: 'dead' })).toMatchObject([{ state: 'dead', deadAt: 10, deadReason: 'permanent failure: HTTP 400', attempts: 1, lastError: 'HTTP 400' }]);
        expect(await store.outbox.pending()).toBe(0);
      } finally {
        await sql.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
