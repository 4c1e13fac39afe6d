/**
 * Paging back through runs and incidents with a (time, id) keyset: rows that share the boundary
 * millisecond are neither skipped nor repeated.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PageCursor } from '../../src/store/runs.js';
import { BACKENDS } from '../support/backends.js';
import { adminFixture, type AdminFixture } from '../web/admin-helpers.js';
import { runOf, step } from './history-fixtures.js';

const T = Date.UTC(2026, 10, 26, 12, 0, 0);

/** Pages until an empty page (bounded), returning each page's ids. */
async function pageAll<R extends { id: number; startedAt: number }>(read: (before: PageCursor | undefined) => Promise<R[]>): Promise<number[][]> {
  const pages: number[][] = [];
  let before: PageCursor | undefined;
  for (let i = 0; i < 50; i++) {
    const rows = await read(before);
    if (rows.length === 0) return pages;
    pages.push(rows.map((r) => r.id));
    const last = rows[rows.length - 1];
    before = { at: last.startedAt, id: last.id };
  }
  throw new Error('paging did not end');
}

describe.each(BACKENDS)('keyset paging on non-unique timestamps on %s', (kind) => {
  let f: AdminFixture;
  beforeEach(async () => {
    f = await adminFixture({ kind });
  });
  afterEach(() => f.close());
  const ids = async (rows: Promise<{ id: number }[]>) => (await rows).map((r) => r.id);

  it('runs of one monitor and of all monitors: every run once, newest first, across a shared millisecond', async () => {
    // Five runs of the shop in one millisecond, around a page boundary of 2; two more before and after.
    const times = [T + 5, T, T, T, T, T, T - 5];
    // Each from its own planned slot (one run per monitor and slot is stored).
    times.forEach((at, i) => f.store.writer.write({ ...runOf('shop', at, [step(0, at, 10)]), plannedAt: T - 1_000 + i }));
    f.store.writer.write(runOf('private-db', T, [step(0, T, 20)]));
    await f.store.writer.flush();
    const everyShop = await ids(f.store.runs.list({ monitor: 'shop', limit: 100 }));
    expect(everyShop).toHaveLength(7);

    for (const limit of [1, 2, 3]) {
      const pages = await pageAll((before) => f.store.runs.list({ monitor: 'shop', limit, before }));
      expect(pages.flat()).toEqual(everyShop);
      expect(pages.every((p) => p.length <= limit)).toBe(true);
      const all = await pageAll((before) => f.store.runs.list({ limit, before }));
      expect(all.flat()).toEqual(await ids(f.store.runs.list({ limit: 100 })));
      expect(new Set(all.flat()).size).toBe(8);
    }
    // A plain time still means "older than this time".
    expect(await ids(f.store.runs.list({ monitor: 'shop', before: { at: T } }))).toEqual(everyShop.slice(-1));
  });

  it('incidents sharing a start time', async () => {
    for (const key of ['shop', 'private-db', 'xss']) {
      await f.store.alerts.commit({ monitorKey: key, status: 'down', state: {}, now: T, outbox: [], incidents: [{ op: 'open', kind: 'down', startedAt: T, worst: 2, summary: `${key} down`, evidence: {} }] });
    }
    await f.store.alerts.commit({ monitorKey: 'shop', status: 'degraded', state: {}, now: T - 1, outbox: [], incidents: [{ op: 'open', kind: 'degraded', startedAt: T - 1, worst: 900, summary: 'slow', evidence: {} }] });
    const every = await ids(f.store.alerts.listIncidents({ limit: 100 }));
    expect(every).toHaveLength(4);
    for (const limit of [1, 2]) expect((await pageAll((before) => f.store.alerts.listIncidents({ limit, before }))).flat()).toEqual(every);
  });

  it('the JSON API hands out (time, id) cursors and follows them', async () => {
    for (let i = 0; i < 5; i++) f.store.writer.write({ ...runOf('shop', T, [step(0, T, 10 + i)]), plannedAt: T - 1_000 + i });
    await f.store.writer.flush();
    const { cookie, csrf } = await f.login();
    const token = /value="(ht_[^"]+)"/.exec(await (await f.post('/admin/tokens', cookie, { name: 'ci', _csrf: csrf })).text())![1];
    const get = async (path: string) => (await f.request(path, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<{ runs: { id: number }[]; next: string | null; error?: string }>;
    const seen: number[] = [];
    let next: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await get(`/api/v1/monitors/shop/runs?limit=2${next ? `&before=${next}` : ''}`);
      if (page.runs.length === 0) break;
      seen.push(...page.runs.map((r) => r.id));
      expect(page.next).toBe(`${T}:${page.runs[page.runs.length - 1].id}`);
      next = page.next;
    }
    expect(seen).toEqual(await ids(f.store.runs.list({ monitor: 'shop' })));
    expect(seen).toHaveLength(5);
    expect((await get('/api/v1/runs?before=12:ab')).error).toMatch(/^query parameter before must be a cursor from "next"/);
  });
});
