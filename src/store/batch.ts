/**
 * Multi-row statements for the writer: one statement per chunk of rows instead of one per row, so a
 * batch costs a handful of round trips on PostgreSQL whatever its size. Chunks come in a few fixed
 * sizes (and IN lists are padded up to them), so each engine prepares only a few distinct texts.
 */
import type { Params, Sql } from './sql.js';

/** Rows per multi-row statement: the largest that fits, then smaller ones for the rest. */
const ROW_SIZES = [256, 64, 16, 4, 1];
/** Values per IN list, padded up to one of these with a repeat of the last value. */
const IN_SIZES = [1, 4, 16, 64, 256, 1024];

/** Splits `rows` into chunks whose sizes are in ROW_SIZES. */
export function rowChunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  while (i < rows.length) {
    const left = rows.length - i;
    const size = ROW_SIZES.find((s) => s <= left)!;
    out.push(rows.slice(i, i + size));
    i += size;
  }
  return out;
}

const placeholders = (width: number) => `(${Array.from({ length: width }, () => '?').join(', ')})`;

/**
 * `INSERT INTO <into> VALUES (…), (…) <suffix>` for every chunk of `rows` (each an array of `width`
 * values); the rows a RETURNING suffix gives back, in chunk order.
 */
export async function insertRows<R extends unknown[] = unknown[]>(tx: Sql, into: string, width: number, rows: readonly unknown[][], suffix = ''): Promise<R[]> {
  const out: R[] = [];
  const one = placeholders(width);
  for (const chunk of rowChunks(rows)) {
    const text = `INSERT INTO ${into} VALUES ${Array.from({ length: chunk.length }, () => one).join(', ')}${suffix ? ` ${suffix}` : ''}`;
    const params = chunk.flat();
    if (suffix.includes('RETURNING')) out.push(...(await tx.raw<R>(text, params)));
    else await tx.run(text, params);
  }
  return out;
}

/**
 * Distinct `values` in IN lists of the padded sizes: `[placeholders, params]` per list (at most 1,024
 * values each). Padding repeats the last value, which changes nothing in an IN.
 */
export function inLists(values: Iterable<unknown>): [string, Params][] {
  const all = [...new Set(values)];
  const out: [string, Params][] = [];
  for (let i = 0; i < all.length; i += 1024) {
    const part = all.slice(i, i + 1024);
    const size = IN_SIZES.find((s) => s >= part.length)!;
    const padded = [...part, ...Array.from({ length: size - part.length }, () => part[part.length - 1])];
    out.push([padded.map(() => '?').join(', '), padded]);
  }
  return out;
}
