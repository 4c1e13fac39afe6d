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
};

export type ClusterNode = {
  info: NodeInfo;
  /** Whether this node may send alerts now: it holds the outbox lease with the token it started with. */
  fenceOutbox(): Promise<boolean>;
  /** The duties held right now, by lease name. */
  held(): string[];
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
    async close() {
      clearInterval(beatTimer);
      await Promise.all([...duties.values()].map((d) => d.close()));
      await o.cluster.leave(info.id).catch(() => undefined);
    },
  };
}
