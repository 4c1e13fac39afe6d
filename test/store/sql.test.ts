/** The executor both engines sit behind (src/store/sql.ts): the same calls give the same answers. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';

describe.each(BACKENDS)('the store executor on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, [{ key: 'a', name: 'A', public: true, schedule: 'every 60s' }]);
  });
  afterEach(() => dropTestStore(store));
  const sql = () => storeSql(store);

  it('answers one statement text in whichever shape each call asks for', async () => {
    const text = 'SELECT key, name FROM monitors WHERE key = ?';
    // Each order of calls on the same text: a shape asked for once does not stick to the next call.
    expect(await sql().pluck(text, ['a'])).toEqual(['a']);
    expect(await sql().all(text, ['a'])).toEqual([{ key: 'a', name: 'A' }]);
    expect(await sql().raw(text, ['a'])).toEqual([['a', 'A']]);
    expect(await sql().get(text, ['a'])).toEqual({ key: 'a', name: 'A' });
    expect(await sql().pluck(text, ['a'])).toEqual(['a']);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const names = () => sql().pluck<string>('SELECT name FROM monitors ORDER BY id');
    await sql().tx(async (tx) => {
      await tx.run('UPDATE monitors SET name = ? WHERE key = ?', ['kept', 'a']);
    });
    await expect(
      sql().tx(async (tx) => {
        await tx.run('UPDATE monitors SET name = ? WHERE key = ?', ['lost', 'a']);
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await names()).toEqual(['kept']);
  });
});
