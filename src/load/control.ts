/**
 * Bursts started from the admin pages: at most one at a time per server, checked through the same
 * `resolveBurst` path as the command line (caps and `load.allowHosts`), stored as they run, with
 * their per-second points fanned out to whoever watches (the run page's live chart) and a Stop.
 */
import { acquireBurstLock, BurstLocked, type BurstLock } from './lock.js';
import { runBurstAndStore, type BurstRunOptions } from './run.js';
import { burstSchema } from '../config/load-schema.js';
import { monitorId, type LoadedConfig } from '../config/read.js';
import type { Logger } from '../log.js';
import { resolveBurst, type BurstOverrides } from './from-config.js';
import type { SeriesPoint } from './sketch-series.js';
import type { BurstSummary } from './types.js';
import type { LoadRuns } from '../store/load-runs.js';

/** A burst the config defines for a monitor, with the figures a start form is prefilled with. */
export type BurstTarget = {
  /** What `resolveBurst` takes: the monitor id, or the loads[] entry's name. */
  name: string;
  source: 'monitor' | 'loads';
  model: 'closed' | 'open';
  users?: number;
  spawnRate?: number;
  arrivalRate?: number;
  /** ms */
  duration: number;
};

export type ActiveBurst = { runId: number; name: string; monitorKey: string; startedAt: number; trigger: string };

export type BurstWatchEvent = { type: 'point'; point: SeriesPoint } | { type: 'done' };

/** A start refused because another burst is still running: on this server (`active`) or in another process on its database. */
export class BurstBusy extends Error {
  constructor(readonly active: ActiveBurst | undefined, message?: string) {
    super(message ?? `another load check is running (run #${active!.runId}, ${active!.name}); only one burst runs at a time on this server. Stop it or wait until it ends.`);
    this.name = 'BurstBusy';
  }
}

export type LoadControl = ReturnType<typeof createLoadControl>;

export function createLoadControl(opts: {
  loaded: LoadedConfig;
  loadRuns: LoadRuns;
  log?: Logger;
  now?: () => number;
  /** The SQLite file: its burst lock keeps `halftime load` in another process from running at the same time. */
  dbPath?: string;
  /** Hands every per-second point to the exporters (OTLP). */
  exportPoint?: BurstRunOptions['exportPoint'];
}) {
  const { config, redact, source } = opts.loaded;
  const now = opts.now ?? Date.now;
  let current: (ActiveBurst & { abort: AbortController; done: Promise<void> }) | undefined;
  // A start waiting for its run to be stored.
  let starting: Promise<unknown> | undefined;
  const watchers = new Set<(ev: BurstWatchEvent) => void>();
  const emit = (ev: BurstWatchEvent) => {
    for (const w of [...watchers]) w(ev);
  };

  /** The bursts defined for a monitor: its own `load:` block, then every loads[] entry aimed at it. */
  function targetsFor(monitorKey: string): BurstTarget[] {
    const m = config.monitors.find((x) => monitorId(x) === monitorKey);
    if (!m) return [];
    const bases: { name: string; source: BurstTarget['source']; raw: unknown }[] = [];
    if (m.load) bases.push({ name: monitorKey, source: 'monitor', raw: m.load });
    for (const l of config.loads) {
      if (l.monitor !== monitorKey) continue;
      const { name, monitor: _m, ...raw } = l;
      bases.push({ name, source: 'loads', raw });
    }
    return bases.flatMap((b) => {
      // Config was validated at load time; parsing again gives the defaults (and ms durations).
      const p = burstSchema.safeParse(b.raw);
      if (!p.success) return [];
      const d = p.data;
      return [{ name: b.name, source: b.source, model: d.model, users: d.users, spawnRate: d.model === 'closed' ? d.spawnRate : undefined, arrivalRate: d.arrivalRate, duration: d.duration }];
    });
  }

  /**
   * Starts a burst. Rejects with BurstBusy while another runs (or is starting), BurstRefused (caps,
   * allowlist) or BurstConfigError (a bad value) before anything is sent. Resolves with the stored
   * run's id once the run is stored (the store may be a network database), before the burst ends.
   */
  async function start(name: string, overrides: BurstOverrides = {}, o: { trigger?: 'admin' | 'schedule' | 'api'; fieldName?: (key: string) => string } = {}): Promise<{ runId: number; done: Promise<BurstSummary | undefined> }> {
    if (current) throw new BurstBusy(active()!);
    if (starting) throw new BurstBusy(undefined, 'another load check is starting; only one burst runs at a time on this server. Wait until it ends.');
    const resolved = resolveBurst(config, name, overrides, source, o.fieldName);
    let lock: BurstLock | undefined;
    try {
      lock = opts.dbPath ? acquireBurstLock(opts.dbPath, `"${resolved.name}" (${o.trigger ?? 'admin'}, halftime serve)`) : undefined;
    } catch (err) {
      if (err instanceof BurstLocked) throw new BurstBusy(undefined, err.message);
      throw err;
    }
    const abort = new AbortController();
    let begun!: (id: number) => void;
    const began = new Promise<number>((resolve) => (begun = resolve));
    const running = runBurstAndStore(resolved, {
      loadRuns: opts.loadRuns,
      trigger: o.trigger ?? 'admin',
      signal: abort.signal,
      redact,
      // Without a stored run there would be nothing to show or stop: the burst does not run.
      requireStored: true,
      onBegin: (id) => begun(id),
      onPoint: (point) => emit({ type: 'point', point }),
      exportPoint: opts.exportPoint,
      onStoreError: (err) => opts.log?.error('storing the burst failed', { burst: name, error: err }),
    });
    let runId: number;
    // Held from here until `current` is set, so two starts cannot both pass the check above.
    const gate = Promise.race([began, running.then(() => Promise.reject(new Error('the burst ended before its run was stored')))]);
    starting = gate.catch(() => undefined);
    try {
      runId = await gate;
    } catch (err) {
      void running.catch(() => {}).finally(() => lock?.release());
      throw new Error(`could not store the load run: ${(err as Error).message}`);
    } finally {
      starting = undefined;
    }
    const done = running.then(
      ({ summary }) => summary,
      async (err) => {
        opts.log?.error('burst failed', { burst: name, run: runId, error: err });
        // A worker that could not even start leaves the run as begun: mark it, so it does not look running forever.
        try {
          if ((await opts.loadRuns.get(runId))?.status === 'running') await opts.loadRuns.fail(runId, redact((err as Error).message));
        } catch {
          /* the store is gone (shutting down) */
        }
        return undefined;
      },
    );
    const settled = done.then(() => {
      lock?.release();
      current = undefined;
      emit({ type: 'done' });
    });
    current = { runId, name: resolved.name, monitorKey: resolved.monitorKey, startedAt: now(), trigger: o.trigger ?? 'admin', abort, done: settled };
    opts.log?.info('burst starting', { burst: name, run: runId, trigger: current.trigger });
    return { runId, done: settled.then(() => done) };
  }

  function active(): ActiveBurst | undefined {
    if (!current) return undefined;
    const { abort: _a, done: _d, ...a } = current;
    return a;
  }

  return {
    targetsFor,
    start,
    active,
    /** Asks the running burst to stop (it winds down and is stored as stopped); false when that run is not running. */
    stop(runId: number): boolean {
      if (!current || current.runId !== runId) return false;
      current.abort.abort();
      return true;
    },
    /** Resolves once the running burst (if any) has ended and is stored. */
    async settled(): Promise<void> {
      await current?.done;
    },
    /** Live points of the running burst `runId`; undefined when it is not running. Returns the unsubscribe function. */
    watch(runId: number, listener: (ev: BurstWatchEvent) => void): (() => void) | undefined {
      if (!current || current.runId !== runId) return undefined;
      watchers.add(listener);
      return () => watchers.delete(listener);
    },
    /** Stops a running burst and waits until it is stored (server shutdown). */
    async close(): Promise<void> {
      await starting;
      current?.abort.abort();
      await current?.done;
    },
  };
}
