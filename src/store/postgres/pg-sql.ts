/**
 * The store's executor (see ../sql.ts) over PostgreSQL with node-postgres (`pg`): a connection pool,
 * `?` placeholders turned into `$1…$n` once per statement text, 64-bit integers (epoch ms, counts,
 * ids) and numerics read as JS numbers, and a transaction on one pooled connection.
 */
import pg from 'pg';
import type { Params, Sql } from '../sql.js';

// Epoch milliseconds, ids and counts are BIGINT; all stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

const converted = new Map<string, string>();

/** `a = ? AND b = ?` → `a = $1 AND b = $2`; question marks inside quotes are left alone. */
export function numbered(text: string): string {
  let out = converted.get(text);
  if (out !== undefined) return out;
  let n = 0;
  let quote: string | null = null;
  out = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else out += ch === '?' ? `$${++n}` : ch;
  }
  if (converted.size > 5_000) converted.clear();
  converted.set(text, out);
  return out;
}

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

function over(q: Queryable, txFn: Sql['tx'], close: () => Promise<void>): Sql {
  const query = async <R extends pg.QueryResultRow>(text: string, params: Params, rowMode?: 'array') =>
    (await q.query<R>({ text: numbered(text), values: params as unknown[], ...(rowMode ? { rowMode } : {}) })) as pg.QueryResult<R>;
  return {
    dialect: 'postgres',
    all: async <T>(text: string, params: Params = []) => (await query(text, params)).rows as T[],
    get: async <T>(text: string, params: Params = []) => (await query(text, params)).rows[0] as T | undefined,
    pluck: async <T>(text: string, params: Params = []) => (await query<unknown[]>(text, params, 'array')).rows.map((r) => (r as unknown[])[0] as T),
    raw: async <T extends unknown[]>(text: string, params: Params = []) => (await query<unknown[]>(text, params, 'array')).rows as unknown as T[],
    run: async (text, params = []) => ({ changes: (await query(text, params)).rowCount ?? 0 }),
    exec: async (text) => void (await q.query(text)),
    tx: txFn,
    close,
  };
}

export type PgSqlOptions = { max?: number; connectionTimeoutMillis?: number; applicationName?: string };

/** A pool on `url`. Errors of idle connections (a restarted server) are passed to `onError`, never thrown. */
export function postgresSql(url: string, opts: PgSqlOptions & { onError?: (err: Error) => void } = {}): Sql & { pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 10_000,
    application_name: opts.applicationName ?? 'halftime',
  });
  pool.on('error', (err) => opts.onError?.(err));
  const tx: Sql['tx'] = async (fn) => {
    const client = await pool.connect();
    let inner: Sql;
    inner = over(client, (f) => f(inner), async () => undefined);
    try {
      await client.query('BEGIN');
      const out = await fn(inner);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
  return Object.assign(over(pool, tx, () => pool.end()), { pool });
}
