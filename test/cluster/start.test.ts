/**
 * A node that cannot join: the database does not answer (a clear error naming host, port and
 * database, never the password; exit 1), or its clock is off from the database's (refused, with how far).
 */
import { describe, expect, it } from 'vitest';
import { ClockSkew, checkClock } from '../../src/cluster/node.js';
import type { Cluster } from '../../src/store/cluster.js';
import { halftime } from '../cli/cli-helpers.js';
import { freePort } from '../support/postgres.js';

describe('joining a cluster', () => {
  it('an unreachable database: exit 1, host and port named, the password not', async () => {
    const port = await freePort();
    const r = await halftime(['serve', '--port', '0'], { env: { HALFTIME_DATABASE_URL: `postgres://halftime:hunter2secret@127.0.0.1:${port}/halftime` }, timeoutMs: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot use the PostgreSQL database at 127.0.0.1:${port}/halftime`);
    expect(r.stderr).toMatch(/ECONNREFUSED|connect/);
    expect(r.stderr + r.stdout).not.toContain('hunter2secret');
  });

  it("a clock off from the database's by more than the limit is refused, and says by how much", async () => {
    const at = (offsetMs: number) => ({ clock: async () => Date.now() + offsetMs }) as unknown as Cluster;
    await expect(checkClock(at(60_000), 5_000)).rejects.toThrow(ClockSkew);
    // The skew is a lower bound (the database read its clock somewhere during the call): 60 s, less
    // the milliseconds the call itself took.
    const behind = await checkClock(at(60_000), 5_000).catch((err: Error) => err.message);
    const ms = Number(/clock is (\d+) ms behind the database's/.exec(String(behind))?.[1]);
    expect(ms).toBeLessThanOrEqual(60_000);
    expect(ms).toBeGreaterThan(59_000);
    await expect(checkClock(at(-60_000), 5_000)).rejects.toThrow(/ahead of the database's/);
    expect(Math.abs(await checkClock(at(1_000), 5_000))).toBeLessThanOrEqual(1_100);
  });
});
