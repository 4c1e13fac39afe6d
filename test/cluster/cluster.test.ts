/**
 * Several `halftime serve` processes on one PostgreSQL database, as an operator runs them: duties held
 * by leases move to a live node when their holder is killed (kill -9), alerts go out once, a location's
 * own trouble is told apart from the target's, and a `web` node only serves pages.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { openStore, storeSql, type Store } from '../../src/store/index.js';
import { startServeChild, type ServeChild } from '../faults/ops-serve-child.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';
import { testDatabase, type TestDatabase } from '../support/backends.js';

const LEASE_MS = 2_000;

type Hook = TestServer & { events: { id: string; kind: string; evidence: { locations?: string[] } }[] };

async function webhookReceiver(): Promise<Hook> {
  const events: Hook['events'] = [];
  const s = await startServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      events.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  return Object.assign(s, { events });
}

/** A target that fails for the locations listed in `failing` (or all of them with '*'). */
async function target() {
  const failing = new Set<string>();
  const seen: string[] = [];
  const s = await startServer((req, res) => {
    const where = String(req.headers['x-halftime-location'] ?? '');
    seen.push(where);
    const bad = failing.has('*') || failing.has(where);
    res.writeHead(bad ? 503 : 200, { 'content-type': 'text/plain' }).end(bad ? 'unavailable' : 'ok');
  });
  return Object.assign(s, { failing, seen });
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

describe('several nodes on PostgreSQL', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: TestDatabase;
  let nodes: ServeChild[] = [];
  let hook: Hook;
  let tgt: Awaited<ReturnType<typeof target>>;
  let reader: Store | undefined;

  beforeEach(async () => {
    tmp = tempDir();
    db = await testDatabase('postgres');
    hook = await webhookReceiver();
    tgt = await target();
  });
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.kill9()));
    nodes = [];
    await reader?.close();
    reader = undefined;
    await hook.close();
    await tgt.close();
    await db.drop();
    tmp.cleanup();
  });

  function config(monitorAlerts: string): string {
    const file = join(tmp.dir, 'halftime.yaml');
    writeFileSync(
      file,
      `server: { title: Cluster }
node: { lease: ${LEASE_MS / 1000}s }
alerts:
  channels:
    hook: { type: webhook, url: "${hook.url}/hook", timeout: 2000 }
  retry: { initial: 1s, max: 2s }
monitors:
  - { id: shop, name: Shop, public: true, every: 1s, timeout: 2s, steps: [{ name: home, url: "${tgt.url}/" }], alerts: ${monitorAlerts} }
`,
    );
    return file;
  }

  async function node(file: string, ...args: string[]): Promise<ServeChild> {
    const n = await startServeChild(['--config', file, '--port', '0', ...args], { cwd: tmp.dir, env: { HALFTIME_DATABASE_URL: db.location, HALFTIME_ADMIN_PASSWORD: 'cluster-test-password' }, timeoutMs: 60_000 });
    nodes.push(n);
    // What each node said, when a test fails: leases taken and given up, errors.
    onTestFailed(() => console.log(`--- node ${n.pid} (${args.join(' ')}):\n${n.stdout().slice(-4_000)}\n${n.stderr().slice(-4_000)}`));
    if (!n.url) throw new Error(`node did not start: ${n.stderr()}`);
    return n;
  }

  async function sql() {
    reader ??= await openStore(db.location, null);
    return storeSql(reader);
  }
  const leases = async () => new Map((await (await sql()).all<{ name: string; holder: string; token: number; expires_at: number }>('SELECT name, holder, token, expires_at FROM leases')).map((r) => [r.name, r]));
  const holderPid = (holder: string) => Number(/-(\d+)-[0-9a-f]+$/.exec(holder)?.[1]);
  const runsAfter = async (t: number) => (await (await sql()).pluck<number>("SELECT count(*) FROM runs WHERE started_at > ? AND location = 'fra'", [t]))[0];

  it('kill -9 of the node holding the checks: another takes over within two leases, and each alert goes out once', async () => {
    const file = config('{ down: { after: 2 } }');
    const all = [await node(file, '--location', 'fra'), await node(file, '--location', 'fra'), await node(file, '--location', 'fra')];
    await until('runs from the first scheduler', async () => (await runsAfter(0)) >= 3, 30_000);
    const before = await leases();
    const sched = before.get('scheduler:fra')!;
    expect(all.map((n) => n.pid)).toContain(holderPid(sched.holder));
    // One node holds each duty at a time; the other two stand by.
    expect(new Set([...before.values()].map((l) => l.name))).toEqual(new Set(['scheduler:fra', 'outbox', 'housekeeping']));

    const victim = all.find((n) => n.pid === holderPid(sched.holder))!;
    const killedAt = Date.now();
    await victim.kill9();
    nodes = nodes.filter((n) => n !== victim);
    // The first run another node starts after the kill.
    const firstAfter = await until('a run started after the kill', async () => (await (await sql()).pluck<number>('SELECT min(started_at) FROM runs WHERE started_at > ?', [killedAt]))[0] ?? undefined, 30_000);
    const takeover = firstAfter - killedAt;
    console.log(`takeover: first run ${takeover} ms after kill -9 (lease ${LEASE_MS} ms)`);
    const now = await leases();
    expect(holderPid(now.get('scheduler:fra')!.holder)).not.toBe(victim.pid);
    // A new holder gets a new fencing token: a late write of the old one is refused.
    expect(now.get('scheduler:fra')!.token).toBeGreaterThan(sched.token);
    // Within two leases, plus the first slot (every 1 s) on a busy machine: the standby's thread was warm.
    expect(takeover).toBeLessThan(2 * LEASE_MS + 4_000);
    // The new holder says so in /metrics and /healthz.
    const heir = nodes.find((n) => n.pid === holderPid(now.get('scheduler:fra')!.holder))!;
    expect(await (await fetch(`${heir.url}/metrics`)).text()).toMatch(/halftime_duty_held\{[^}]*duty="scheduler:fra"[^}]*\} 1/);
    expect(((await (await fetch(`${heir.url}/healthz`)).json()) as { node: { duties: string[] } }).node.duties).toContain('scheduler:fra');

    // The target goes down: one DOWN message, whoever holds the outbox, however many nodes see it.
    tgt.failing.add('*');
    await until('the DOWN message', async () => hook.events.some((e) => e.kind === 'down'), 30_000);
    // Kill the sender too: the next one takes its place without sending DOWN again.
    const outboxHolder = holderPid((await leases()).get('outbox')!.holder);
    const sender = nodes.find((n) => n.pid === outboxHolder);
    if (sender) {
      await sender.kill9();
      nodes = nodes.filter((n) => n !== sender);
    }
    tgt.failing.clear();
    await until('the RECOVERED message', async () => hook.events.some((e) => e.kind === 'recovered'), 30_000);
    await sleep(2 * LEASE_MS);
    expect(hook.events.filter((e) => e.kind === 'down')).toHaveLength(1);
    expect(hook.events.filter((e) => e.kind === 'recovered')).toHaveLength(1);
    expect(new Set(hook.events.map((e) => e.id)).size).toBe(hook.events.length);
    // One incident, opened and closed once.
    const incidents = await (await sql()).all<{ ended_at: number | null }>('SELECT ended_at FROM incidents');
    expect(incidents).toHaveLength(1);
    expect(incidents[0].ended_at).not.toBeNull();
    // Every request the target saw is a stored run, but for the few a killed node had not written yet
    // (in flight, or in its writer's memory: at most about a second of runs per kill).
    const stored = (await (await sql()).pluck<number>("SELECT count(*) FROM runs WHERE location = 'fra'"))[0];
    const requested = tgt.seen.filter((l) => l === 'fra').length;
    console.log(`runs: ${requested} requests, ${stored} stored`);
    expect(stored).toBeLessThanOrEqual(requested);
    expect(requested - stored).toBeLessThanOrEqual(6);
  }, 180_000);

  it('a quorum of locations: one location failing raises nothing; both failing raise DOWN; a web node holds no duty', async () => {
    const file = config('{ down: { after: 2, locations: 2 } }');
    await node(file, '--location', 'fra');
    const nyc = await node(file, '--location', 'nyc');
    const web = await node(file, '--location', 'fra', '--role', 'web');
    tgt.failing.add('fra');
    const count = async (loc: string, ok: 0 | 1) => (await (await sql()).pluck<number>('SELECT count(*) FROM runs WHERE location = ? AND ok = ?', [loc, ok]))[0];
    await until('failures from fra and successes from nyc', async () => (await count('fra', 0)) >= 4 && (await count('nyc', 1)) >= 4, 40_000);
    expect(hook.events.filter((e) => e.kind === 'down')).toEqual([]);
    expect(await count('nyc', 0)).toBe(0);

    // The series of one location shows its own failures.
    const series = async (loc: string) => (await (await fetch(`${web.url}/api/monitors/shop/series?range=24h&location=${loc}`)).json()) as { location: string; summary: { failures: number; runs: number } };
    expect((await series('fra')).summary.failures).toBeGreaterThanOrEqual(4);
    expect((await series('nyc')).summary).toMatchObject({ failures: 0 });
    expect((await series('nyc')).location).toBe('nyc');
    expect((await fetch(`${web.url}/api/monitors/shop/series?location=NOT%20A%20PLACE`)).status).toBe(400);

    tgt.failing.add('nyc');
    await until('the DOWN message', async () => hook.events.find((e) => e.kind === 'down'), 30_000);
    const down = hook.events.find((e) => e.kind === 'down')!;
    expect(down.evidence.locations?.sort()).toEqual(['fra', 'nyc']);

    // The web node serves pages and health, and has taken no duty.
    expect((await fetch(`${web.url}/`)).status).toBe(200);
    expect((await fetch(`${web.url}/healthz`)).status).toBe(200);
    expect([...(await leases()).values()].map((l) => holderPid(l.holder))).not.toContain(web.pid);
    const health = (await (await fetch(`${web.url}/healthz`)).json()) as { node: { location: string; role: string; duties: string[] } };
    expect(health.node).toMatchObject({ location: 'fra', role: 'web', duties: [] });

    // Fail loud: when the last node of a location stops, every node's /healthz says no one checks from there.
    await nyc.kill9();
    const noNyc = await until(
      'healthz to report nyc',
      async () => {
        const r = await fetch(`${web.url}/healthz`);
        const b = (await r.json()) as { problems: { check: string; reason: string }[] };
        return r.status === 503 && b.problems.find((p) => p.check === 'duty:scheduler:nyc');
      },
      8 * LEASE_MS,
    );
    expect(noNyc.reason).toMatch(/no node checks from nyc/);
  }, 180_000);
});
