/**
 * A start that fails (the port is taken) leaves nothing open: the database is closed, the lock is
 * released, the retention timer, the writer's flush timer and load control are stopped, and the
 * error says what to do. The command line exits 1 with that sentence.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { StartError, startHalftime } from '../../src/main.js';
import { tempDir } from '../helpers.js';

let tmp: ReturnType<typeof tempDir>;
let squatter: Server;
let port: number;
beforeAll(async () => {
  tmp = tempDir();
  squatter = createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
  port = (squatter.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((r) => squatter.close(() => r()));
  tmp.cleanup();
});

const yaml = 'monitors:\n  - { name: Shop, every: 1s, steps: [{ url: "http://127.0.0.1:1/" }] }\nload: { allowHosts: [127.0.0.1] }\n';

describe('a failed start', () => {
  it('cleans up everything already started and says why', async () => {
    const db = join(tmp.dir, 'taken.db');
    const lines: string[] = [];
    // Watch the real timers created while starting (they still run as usual).
    const intervals = vi.spyOn(globalThis, 'setInterval');
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    let error: unknown;
    let created: NodeJS.Timeout[] = [];
    let long: { ms: number; t: NodeJS.Timeout }[] = [];
    try {
      await startHalftime({ loaded: parseConfigText(yaml, 'c.yaml'), dbPath: db, port, host: '127.0.0.1', logger: createLogger({ write: (l) => lines.push(l) }) });
    } catch (err) {
      error = err;
    } finally {
      created = intervals.mock.results.map((r) => r.value as NodeJS.Timeout);
      long = timeouts.mock.calls.map((c, i) => ({ ms: Number(c[1] ?? 0), t: timeouts.mock.results[i].value as NodeJS.Timeout })).filter((x) => x.ms >= 1_000);
      intervals.mockRestore();
      timeouts.mockRestore();
    }
    expect(error).toBeInstanceOf(StartError);
    expect((error as Error).message).toBe(`could not listen on 127.0.0.1:${port}: the port is taken (another halftime, or another program, listens there). Choose another with server.port, --port or HALFTIME_PORT.`);
    // Every repeating timer started on the way (writer flush, lock heartbeat, retention) is stopped, and so are long one-shots.
    expect(created.length).toBeGreaterThanOrEqual(3);
    expect(created.filter((t) => !(t as unknown as { _destroyed: boolean })._destroyed)).toEqual([]);
    expect(long.filter((x) => !(x.t as unknown as { _destroyed: boolean })._destroyed)).toEqual([]);
    // The database is closed (its WAL checkpointed away) and the lock released…
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(existsSync(`${db}.serve-lock`)).toBe(false);
    // …so the same file starts at once on a free port.
    const ht = await startHalftime({ loaded: parseConfigText(yaml, 'c.yaml'), dbPath: db, port: 0, host: '127.0.0.1', logger: createLogger({ write: () => {} }) });
    expect((await fetch(`${ht.url}/healthz`)).status).toBe(200);
    await ht.stop(1_000);
    expect(existsSync(`${db}.serve-lock`)).toBe(false);
  });

  it('serve exits 1 with that sentence', () => {
    const config = join(tmp.dir, 'c.yaml');
    writeFileSync(config, yaml);
    const bin = new URL('../../bin/halftime.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [bin, 'serve', '--config', config, '--db', join(tmp.dir, 'cli.db'), '--port', String(port)], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`halftime: not starting: could not listen on 127.0.0.1:${port}: the port is taken`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(tmp.dir, 'cli.db.serve-lock'))).toBe(false);
  });
});
