import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schemaVersion } from '../../src/store/db.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../helpers.js';
import { makeRun, writeHistory } from './fixtures.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');

describe('alert tables and latency windows', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    tmp = tempDir();
    store = openStore(`${tmp.dir}/db.sqlite`, [{ key: 'm', name: 'M', public: true, schedule: '' }]);
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('migration 3 is applied', () => {
    expect(schemaVersion(store.db)).toBeGreaterThanOrEqual(3);
    const applied = store.db.prepare('SELECT version FROM schema_migrations').pluck().all();
    expect(applied).toContain(3);
    const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['alert_state', 'incidents', 'outbox']));
  });

  it('exact nearest-rank percentiles over [from, to), successful runs only, per run or per step', () => {
    // Durations 1..200 ms in shuffled order, one per second; plus failed runs that must not count.
    const durations = Array.from({ length: 200 }, (_, i) => i + 1).sort((a, b) => ((a * 7919) % 200) - ((b * 7919) % 200));
    const runs = durations.map((d, i) => makeRun('m', T0 + i * 1000, { steps: [{ name: 'a', totalMs: d }, { name: 'b', totalMs: 1000 - d }] }));
    runs.push(makeRun('m', T0 + 50_500, { ok: false, durationMs: 99_999 }));
    writeHistory(store, runs);
    const q = (percentile: number, from = T0, to = T0 + 200_000, step?: string) => store.latency({ monitorKey: 'm', percentile, from, to, step });
    expect(q(0.95, T0, T0 + 200_000, 'a')).toEqual({ value: 190, samples: 200 });
    expect(q(0.5, T0, T0 + 200_000, 'a')).toEqual({ value: 100, samples: 200 });
    expect(q(1, T0, T0 + 200_000, 'a')).toEqual({ value: 200, samples: 200 });
    expect(q(0.99, T0, T0 + 200_000, 'b')).toEqual({ value: 997, samples: 200 });
    // Whole runs: a + b = 1000 ms each.
    expect(q(0.95)).toEqual({ value: 1000, samples: 200 });
    // [from, to): the run at `to` is excluded, the one at `from` included.
    const window = durations.slice(10, 20).sort((a, b) => a - b);
    expect(q(0.95, T0 + 10_000, T0 + 20_000, 'a')).toEqual({ value: window[Math.ceil(0.95 * 10) - 1], samples: 10 });
    expect(q(0.95, T0 - 10_000, T0, 'a')).toEqual({ value: null, samples: 0 });
    expect(q(0.95, T0, T0 + 200_000, 'nope')).toEqual({ value: null, samples: 0 });
    expect(() => q(0)).toThrow(/percentile/);
  });

  it('outbox: per-channel order, delivery marks, pruning', () => {
    store.alerts.enqueue('a', '{"n":1}', T0);
    store.alerts.enqueue('b', '{"n":2}', T0);
    store.alerts.enqueue('a', '{"n":3}', T0);
    expect(store.alerts.outbox.channelsWithPending().sort()).toEqual(['a', 'b']);
    const first = store.alerts.outbox.head('a')!;
    expect(first.event).toBe('{"n":1}');
    store.alerts.outbox.failed(first.id, T0 + 5000, 'nope');
    // A failed head keeps its place: order within a channel is kept.
    expect(store.alerts.outbox.head('a')).toMatchObject({ id: first.id, attempts: 1, nextAttemptAt: T0 + 5000, lastError: 'nope' });
    store.alerts.outbox.delivered(first.id, T0 + 6000);
    expect(store.alerts.outbox.head('a')!.event).toBe('{"n":3}');
    expect(store.alerts.outbox.pending()).toBe(2);
    expect(store.alerts.outbox.prune(T0 + 6000)).toBe(0);
    expect(store.alerts.outbox.prune(T0 + 6001)).toBe(1);
    expect(store.alerts.outbox.all()).toHaveLength(2);
  });
});
