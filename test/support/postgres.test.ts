import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from './postgres.js';

describe('the test PostgreSQL cluster', () => {
  it('is a real server on 127.0.0.1 that hands each test file its own database', async () => {
    const db = await createTestDatabase(inject('pgUrl'));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ v: string; db: string }>('SELECT current_setting($1) AS v, current_database() AS db', ['server_version_num']);
      expect(Number(rows[0].v)).toBeGreaterThanOrEqual(130000);
      expect(db.url.endsWith(`/${rows[0].db}`)).toBe(true);
    } finally {
      await client.end();
      await db.drop();
    }
  });
});
