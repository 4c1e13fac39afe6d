/**
 * Several nodes on PostgreSQL, as an operator runs them: real `halftime serve` processes on a
 * throwaway PostgreSQL cluster (started here on 127.0.0.1, removed at the end).
 *
 * 1. Failover: three nodes in one location, monitors every second; the node holding the location's
 *    scheduler is killed with SIGKILL, BENCH_FAILOVER_ROUNDS times (5) per lease (2 s and the
 *    default 10 s). Takeover = the first run started after the kill − the kill. A new node replaces
 *    the killed one each round, so there are always three.
 * 2. Scale: BENCH_MONITORS (1,000) monitors every 60 s from two locations (one node each) for
 *    BENCH_SECONDS (180). Lateness (started − planned, from the runs table) p50/p99/max after the
 *    first minute, runs written, and the CPU used by PostgreSQL (all its processes) and by each node.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startServeChild, type ServeChild } from '../test/faults/ops-serve-child.js';
import { createTestDatabase, startPostgres, type PgCluster } from '../test/support/postgres.js';
import { envNumber, fmt, median, percentile, startTargetServer } from './support.js';

const ROUNDS = Math.floor(envNumber('BENCH_FAILOVER_ROUNDS', 5));
const MONITORS = Math.floor(envNumber('BENCH_MONITORS', 1000));
const SECONDS = envNumber('BENCH_SECONDS', 180);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // /proc CPU times are in clock ticks (USER_HZ, 100 on Linux)

/** CPU seconds (user + system) of a process, with its reaped children's. */
function cpuOf(pid: number, withChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [f[11], f[12], f[13], f[14]].map(Number);
    return (utime + stime + (withChildren ? cutime + cstime : 0)) / TICK;
  } catch {
    return 0;
  }
}

/** CPU seconds of a PostgreSQL cluster: the postmaster with its exited backends, plus those alive. */
function postgresCpu(postmaster: number): number {
  let total = cpuOf(postmaster, true);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) total += cpuOf(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

async function main() {
  const cluster: PgCluster = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'halftime-bench-cluster-'));
  const target = await startTargetServer();
  const nodes = new Set<ServeChild>();
  try {
    const q = async <T>(url: string, text: string, params: unknown[] = []): Promise<T[]> => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return (await c.query(text, params)).rows as T[];
      } finally {
        await c.end();
      }
    };
    const start = async (url: string, file: string, location: string) => {
      const n = await startServeChild(['--config', file, '--port', '0', '--location', location], { cwd: dir, env: { HALFTIME_DATABASE_URL: url }, timeoutMs: 120_000 });
      if (!n.url) throw new Error(`a node did not start: ${n.stderr()}`);
      nodes.add(n);
      return n;
    };
    const stopAll = async () => {
      await Promise.all([...nodes].map((n) => n.stop()));
      nodes.clear();
    };

    // 1. Failover.
    for (const leaseS of [2, 10]) {
      const url = (await createTestDatabase(cluster.url, `bench_failover_${leaseS}`)).url;
      const file = join(dir, `failover-${leaseS}.yaml`);
      writeFileSync(file, `node: { lease: ${leaseS}s }\nmonitors:\n  - { id: shop, name: Shop, every: 1s, timeout: 2s, steps: [{ url: "${target.url}/" }] }\n`);
      const live: ServeChild[] = [];
      for (let i = 0; i < 3; i++) live.push(await start(url, file, 'fra'));
      const takeovers: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Settled: the scheduler lease is held and runs are coming in.
        const since = Date.now();
        for (let t = 0; t < 600; t++) {
          const [r] = await q<{ n: string }>(url, 'SELECT count(*) AS n FROM runs WHERE started_at > $1', [since]);
          if (Number(r.n) >= 2) break;
          await sleep(100);
        }
        const [lease] = await q<{ holder: string }>(url, "SELECT holder FROM leases WHERE name = 'scheduler:fra'");
        const pid = Number(/-(\d+)-[0-9a-f]+$/.exec(lease.holder)?.[1]);
        const victim = live.find((n) => n.pid === pid)!;
        const killedAt = Date.now();
        await victim.kill9();
        nodes.delete(victim);
        live.splice(live.indexOf(victim), 1);
        let first: number | null = null;
        for (let t = 0; t < 1200 && first === null; t++) {
          const [r] = await q<{ t: string | null }>(url, 'SELECT min(started_at) AS t FROM runs WHERE started_at > $1', [killedAt]);
          first = r.t === null ? null : Number(r.t);
          if (first === null) await sleep(50);
        }
        if (first === null) throw new Error('no run after the kill within 60 s');
        takeovers.push(first - killedAt);
        live.push(await start(url, file, 'fra'));
      }
      console.log(`failover, lease ${leaseS} s, ${ROUNDS} kills: takeover median ${fmt(median(takeovers))} ms, max ${fmt(Math.max(...takeovers))} ms (each: ${takeovers.map((t) => fmt(t)).join(', ')})`);
      await stopAll();
    }

    // 2. Scale: MONITORS monitors × 2 locations every 60 s.
    const url = (await createTestDatabase(cluster.url, 'bench_scale')).url;
    const file = join(dir, 'scale.yaml');
    const monitors = Array.from({ length: MONITORS }, (_, i) => `  - { id: m${i}, name: M${i}, every: 60s, timeout: 5s, steps: [{ url: "${target.url}/m${i}" }] }`).join('\n');
    writeFileSync(file, `scheduler: { concurrency: 100 }\nlocations: [fra, nyc]\nmonitors:\n${monitors}\n`);
    const postmaster = Number(readFileSync(join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const fra = await start(url, file, 'fra');
    const nyc = await start(url, file, 'nyc');
    const t0 = Date.now();
    const cpu0 = { pg: postgresCpu(postmaster), fra: cpuOf(fra.pid), nyc: cpuOf(nyc.pid) };
    await sleep(SECONDS * 1000);
    const wall = (Date.now() - t0) / 1000;
    const cpu = { pg: postgresCpu(postmaster) - cpu0.pg, fra: cpuOf(fra.pid) - cpu0.fra, nyc: cpuOf(nyc.pid) - cpu0.nyc };
    const rows = await q<{ l: string; lateness: string }>(url, 'SELECT location AS l, started_at - planned_at AS lateness FROM runs WHERE planned_at > $1', [t0 + 60_000]);
    const late = rows.map((r) => Number(r.lateness)).sort((a, b) => a - b);
    const [all] = await q<{ n: string; fra: string; nyc: string }>(url, "SELECT count(*) AS n, count(*) FILTER (WHERE location = 'fra') AS fra, count(*) FILTER (WHERE location = 'nyc') AS nyc FROM runs");
    console.log(
      `scale, ${MONITORS} monitors × 2 locations every 60 s, ${fmt(wall)} s: lateness after the first minute p50 ${fmt(percentile(late, 0.5))} ms, p99 ${fmt(percentile(late, 0.99))} ms, max ${fmt(late.at(-1) ?? NaN)} ms ` +
        `(${late.length} runs); runs written ${all.n} (fra ${all.fra}, nyc ${all.nyc}); CPU: PostgreSQL ${fmt((100 * cpu.pg) / wall)} % of a core, node fra ${fmt((100 * cpu.fra) / wall)} %, node nyc ${fmt((100 * cpu.nyc) / wall)} %`,
    );
    await stopAll();
  } finally {
    await Promise.all([...nodes].map((n) => n.kill9()));
    await target.close();
    cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
