/**
 * The store suites run against both backends: SQLite (a file in a temp folder) and PostgreSQL (a fresh
 * database in the cluster test/global-setup.ts started). Use `describe.each(BACKENDS)` and open stores
 * with `openTestStore(kind, …)`; raw SQL in a test goes through `storeSql(store)` (the same executor
 * the store uses, `?` placeholders on both engines).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { openStore, storeSql, type MonitorDef, type OpenStoreOptions, type Store } from '../../src/store/index.js';
import { createTestDatabase } from './postgres.js';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

export type TestDatabase = { kind: Backend; location: string; drop(): Promise<void> };

/** A fresh, empty database: a SQLite path in a new temp folder, or a new PostgreSQL database. */
export async function testDatabase(kind: Backend, name = 'halftime.db'): Promise<TestDatabase> {
  if (kind === 'postgres') {
    const db = await createTestDatabase(inject('pgUrl'));
    return { kind, location: db.url, drop: db.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'halftime-test-'));
  return { kind, location: join(dir, name), drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

export type TestStore = Store & { db: TestDatabase };

/** `openStore` on a fresh database of that kind; `close()` closes it, `db.drop()` removes it. */
export async function openTestStore(kind: Backend, monitors: MonitorDef[] | null, opts: OpenStoreOptions = {}): Promise<TestStore> {
  const db = await testDatabase(kind);
  try {
    return Object.assign(await openStore(db.location, monitors, opts), { db });
  } catch (err) {
    await db.drop();
    throw err;
  }
}

/** Closes a test store and removes its database. */
export async function dropTestStore(store: TestStore | undefined): Promise<void> {
  if (!store) return;
  await store.close();
  await store.db.drop();
}

export { storeSql };
