/**
 * One halftime node among several on a PostgreSQL database. Every node serves pages, the API and
 * admin; the duties that must run once are held through leases (duty.ts):
 *   scheduler:<location>  the measuring thread of that location (checks run from there)
 *   outbox                the alert sender
 *   housekeeping          retention, reminders and outbox pruning
 * A node with role `web` takes no duty. Each node says it is alive in the `nodes` table; a node
 * whose clock is off from the database's by more than the limit is refused at start.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Cluster, NodeInfo } from '../store/cluster.js';
import { startDuty, type Duty } from './duty.js';
import type { Health } from '../health/registry.js';

export type Controllable = { start(): void | Promise<void>; stop(): void | Promise<void> };

export type NodeOptions = {
  cluster: Cluster;
  location: string;
  role: 'all' | 'web';
  leaseMs: number;
  version: string;
  log: Logger;
  /** The location's measuring thread (role all). */
  scheduler?: Controllable;
  outbox: Controllable;
  housekeeping: Controllable;
  /** Where duties no node holds are reported (every node reports them, web nodes too). */
  health?: Pick<Health, 'fail' | 'ok'>;
  /** Locations that must have a node checking from them (config `locations` and monitors' own). */
  locations?: string[];
};

export type ClusterNode = {
  info: NodeInfo;
  /** Whether this node may send alerts now: it holds the outbox lease with the token it started with. */
  fenceOutbox(): Promise<boolean>;
  /** The duties held right now, by lease name. */
  held(): string[];
  /** The duties this node takes part in, and whether it holds each now. */
  duties(): [string, boolean][];
  /** Looks for duties no node holds (also on a timer); returns their names. */
  checkDuties(): Promise<string[]>;
  close(): Promise<void>;
};

export class ClockSkew extends Error {}

/** Refuses to go on when this node's clock and the database's differ by more than `maxMs`. */
export async function checkClock(cluster: Cluster, maxMs: number): Promise<number> {
  const t0 = Date.now();
  const db = await cluster.clock();
  const t1 = Date.now();
  // The database read its clock somewhere in [t0, t1]: the skew is at least its distance from that span.
  const skew = db < t0 ? db - t0 : db > t1 ? db - t1 : 0;
  if (Math.abs(skew) > maxMs) {
    throw new ClockSkew(
      `this node's clock is ${Math.abs(skew)} ms ${skew > 0 ? 'behind' : 'ahead of'} the database's (more than node.maxClockSkew, ${maxMs} ms): ` +
        'schedules, leases and incidents would disagree between nodes. Synchronise the clock (NTP) and start again.',
    );
  }
  return skew;
}

export function joinCluster(o: NodeOptions): ClusterNode {
  const info: NodeInfo = { id: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`, location: o.location, role: o.role, version: o.version, startedAt: Date.now() };
  const beat = () => o.cluster.heartbeat(info).catch((err) => o.log.warn('node heartbeat failed', { error: err }));
  void beat();
  const beatTimer = setInterval(() => void beat(), Math.max(1_000, Math.floor(o.leaseMs / 3)));
  beatTimer.unref();

  const duty = (name: string, part: Controllable, keepWhenUnreachable = false): Duty =>
    startDuty({ cluster: o.cluster, name, holder: info.id, ttlMs: o.leaseMs, start: () => part.start(), stop: () => part.stop(), keepWhenUnreachable, log: o.log });
  const duties = new Map<string, Duty>();
  if (o.role === 'all') {
    // Measurements wait in the writer's memory while the database is away: the scheduler keeps going.
    if (o.scheduler) duties.set(`scheduler:${o.location}`, duty(`scheduler:${o.location}`, o.scheduler, true));
    duties.set('outbox', duty('outbox', o.outbox));
    duties.set('housekeeping', duty('housekeeping', o.housekeeping));
  }
  const outbox = duties.get('outbox');

  // Fail loud: a location whose nodes all stopped measures nothing, and an outbox nobody holds sends
  // nothing. Any node sees it in the leases: one not renewed for longer than a lease (or never taken).
  const missingSince = new Map<string, number>();
  const describeDuty = (name: string) =>
    name === 'outbox' ? 'no node sends alerts' : name === 'housekeeping' ? 'no node runs retention and reminders' : `no node checks from ${name.slice('scheduler:'.length) || 'this location'}`;
  const reported = new Set<string>();
  async function checkDuties(): Promise<string[]> {
    const [leases, dbNow] = await Promise.all([o.cluster.leases(), o.cluster.clock()]);
    const byName = new Map(leases.map((l) => [l.name, l]));
    const expected = new Set(['outbox', 'housekeeping', ...(o.locations ?? []).map((l) => `scheduler:${l}`), ...leases.filter((l) => l.name.startsWith('scheduler:')).map((l) => l.name)]);
    if (o.role === 'all' && o.scheduler) expected.add(`scheduler:${o.location}`);
    const unheld: string[] = [];
    for (const name of expected) {
      const l = byName.get(name);
      // No row: given back (a clean stop) or never taken; counted from when this node first saw it so.
      if (l) missingSince.delete(name);
      else if (!missingSince.has(name)) missingSince.set(name, Date.now());
      const lapsedFor = l ? dbNow - l.expiresAt : Date.now() - missingSince.get(name)!;
      if (lapsedFor > o.leaseMs) {
        unheld.push(name);
        const since = Date.now() - lapsedFor;
        o.health?.fail(`duty:${name}`, `${describeDuty(name)}: the ${name} lease has not been held for ${Math.round(lapsedFor / 1000)} s`, since);
        if (!reported.has(name)) o.log.error(`${describeDuty(name)}`, { lease: name, lapsedSeconds: Math.round(lapsedFor / 1000) });
        reported.add(name);
      } else if (reported.delete(name)) {
        o.health?.ok(`duty:${name}`);
        o.log.info(`held again: ${name}`, { holder: l?.holder });
      }
    }
    return unheld;
  }
  const watchTimer = setInterval(
    () => void checkDuties().catch((err) => o.log.warn('cannot read the leases to see that every duty is held', { error: err })),
    Math.max(1_000, o.leaseMs),
  );
  watchTimer.unref();

  return {
    info,
    async fenceOutbox() {
      const token = outbox?.token() ?? null;
      if (token === null) return false;
      try {
        return await o.cluster.holds('outbox', info.id, token);
      } catch (err) {
        // Unsure whether this node still holds the outbox: nothing is sent; the message stays queued.
        o.log.warn('cannot confirm the outbox lease; holding deliveries back', { error: err });
        return false;
      }
    },
    held: () => [...duties].filter(([, d]) => d.token() !== null).map(([n]) => n),
    duties: () => [...duties].map(([n, d]) => [n, d.token() !== null]),
    checkDuties,
    async close() {
      clearInterval(beatTimer);
      clearInterval(watchTimer);
      await Promise.all([...duties.values()].map((d) => d.close()));
      // Not removed: the node shows as gone once it stops being seen.
      await o.cluster.leave(info.id).catch((err) => o.log.warn('leaving the node list failed', { error: err }));
    },
  };
}
