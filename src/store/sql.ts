/**
 * The one way the store talks to a database: a small async executor with the same calls over
 * SQLite (better-sqlite3, embedded, the default) and PostgreSQL (pg, shared by several nodes).
 *
 * Every read model and the writer are written once, in SQL both engines accept (`?` placeholders,
 * `ON CONFLICT … DO UPDATE` with table-qualified columns, `IS DISTINCT FROM`, `RETURNING`), so the
 * two backends cannot drift apart; the few places that differ ask `sql.dialect`. On SQLite the calls
 * run synchronously under the hood and settle at once, so the async interface costs a microtask,
 * not a round trip; statements are prepared once per text.
 */
import type Database from 'better-sqlite3';

export type Dialect = 'sqlite' | 'postgres';
export type Params = readonly unknown[];

export interface Sql {
  readonly dialect: Dialect;
  /** Rows as objects. */
  all<T = Record<string, unknown>>(text: string, params?: Params): Promise<T[]>;
  /** The first row, or undefined. */
  get<T = Record<string, unknown>>(text: string, params?: Params): Promise<T | undefined>;
  /** The first column of every row. */
  pluck<T = unknown>(text: string, params?: Params): Promise<T[]>;
  /** Rows as arrays, in column order (the cheapest form). */
  raw<T extends unknown[] = unknown[]>(text: string, params?: Params): Promise<T[]>;
  /** A statement that changes rows; how many it changed. */
  run(text: string, params?: Params): Promise<{ changes: number }>;
  /** Several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
  /**
   * Runs `fn` in one transaction, committed when it resolves and rolled back when it throws. Inside,
   * use the executor `fn` is given; a `tx` on it joins the transaction already open.
   */
  tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** One promise chain: what is queued runs after everything queued before it has settled. */
function createMutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}

/**
 * SQLite through better-sqlite3. One connection, so transactions take turns (a mutex); statements
 * outside a transaction that change rows wait for the open one too, so they never land inside it.
 */
export function sqliteSql(db: Database.Database): Sql {
  // One cache per row shape: pluck() and raw() switch a statement's mode for good, so a statement
  // shared between `pluck` and `all` of the same text would answer `all` with plucked values.
  type Shape = 'rows' | 'pluck' | 'raw';
  const caches: Record<Shape, Map<string, Database.Statement>> = { rows: new Map(), pluck: new Map(), raw: new Map() };
  const prepare = (text: string, shape: Shape = 'rows') => {
    const cache = caches[shape];
    let st = cache.get(text);
    if (!st) {
      st = db.prepare(text);
      if (shape === 'pluck') st.pluck();
      else if (shape === 'raw') st.raw();
      if (cache.size > 2_000) cache.clear();
      cache.set(text, st);
    }
    return st;
  };
  const lock = createMutex();
  const settle = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  };
  const base = (inTx: boolean): Sql => {
    const self: Sql = {
      dialect: 'sqlite',
      all: <T>(text: string, params: Params = []) => settle(() => prepare(text).all(...params) as T[]),
      get: <T>(text: string, params: Params = []) => settle(() => prepare(text).get(...params) as T | undefined),
      pluck: <T>(text: string, params: Params = []) => settle(() => prepare(text, 'pluck').all(...params) as T[]),
      raw: <T extends unknown[]>(text: string, params: Params = []) => settle(() => prepare(text, 'raw').all(...params) as T[]),
      run: (text, params = []) => {
        const go = () => settle(() => ({ changes: prepare(text).run(...params).changes }));
        return inTx ? go() : lock(go);
      },
      exec: (text) => settle(() => void db.exec(text)),
      tx: (fn) => (inTx ? fn(self) : lock(() => transaction(fn))),
      close: () => settle(() => void db.close()),
    };
    return self;
  };
  const outer = base(false);
  const inner = base(true);
  async function transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    db.exec('BEGIN IMMEDIATE');
    try {
      const out = await fn(inner);
      db.exec('COMMIT');
      return out;
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }
  return outer;
}
