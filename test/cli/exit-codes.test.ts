/**
 * One exit-code scheme for every command: 0 ok, 1 a check or threshold failed (or the work itself:
 * a message not delivered, a server that cannot start), 2 a usage or config error.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type TestServer } from '../helpers.js';
import { halftime, startServe } from './cli-helpers.js';

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
let hooks: string[];
let good: string;
let bad: string;

beforeAll(async () => {
  tmp = tempDir();
  hooks = [];
  target = await startServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/hook') hooks.push(body);
      res.writeHead(req.url === '/down' ? 500 : 200, { 'content-type': 'text/plain' });
      res.end('hello');
    });
  });
  good = join(tmp.dir, 'good.yaml');
  writeFileSync(
    good,
    `load: { allowHosts: [127.0.0.1] }
alerts:
  channels:
    hook: { type: webhook, url: "${target.url}/hook" }
    nowhere: { type: webhook, url: "http://127.0.0.1:9/hook", timeout: 2000 }
monitors:
  - { id: up, name: Up, steps: [{ name: home, url: "${target.url}/" }] }
  - { id: down, name: Down, steps: [{ name: home, url: "${target.url}/down" }] }
`,
  );
  bad = join(tmp.dir, 'bad.yaml');
  writeFileSync(bad, 'monitors:\n  - name: a\n    every: soon\n    steps: [{ url: "http://127.0.0.1/" }]\n');
});
afterAll(async () => {
  await target.close();
  tmp.cleanup();
});

/** A port something is already listening on. */
async function busyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('usage errors exit 2, help and version 0', () => {
  it.each([
    [['--help'], 0],
    [['--version'], 0],
    [['run', '--help'], 0],
    [[], 2],
    [['frobnicate'], 2],
    [['validate', '--no-such-flag'], 2],
    [['run'], 2],
    [['run', 'up', '--seed', 'abc'], 2],
    [['serve', '--port', '99999'], 2],
    [['schema', 'extra'], 2],
    [['alert-test'], 2],
    [['load', 'up', '--model', 'sideways'], 2],
  ])('halftime %j → %i', async (args, code) => {
    const r = await halftime(args as string[]);
    expect(r.status, r.stderr).toBe(code);
    if (code === 2) expect(r.stderr).toMatch(/error|usage|Usage/i);
  });
});

describe('each command', () => {
  it('validate: 0 for a good config, 2 for problems or a missing file', async () => {
    expect((await halftime(['validate', '--config', good])).status).toBe(0);
    const r = await halftime(['validate', '--config', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('monitors[0].every: not a duration');
    const missing = await halftime(['validate', '--config', join(tmp.dir, 'nope.yaml')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('cannot read config file: ENOENT');
  });

  it('run: 0 when the journey passed, 1 when it failed, 2 for an unknown monitor or a bad config', async () => {
    const ok = await halftime(['run', 'up', '--config', good]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('PASSED: 1 step in');
    const failed = await halftime(['run', 'down', '--config', good]);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('FAILED at step 1');
    const unknown = await halftime(['run', 'nope', '--config', good]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no monitor "nope"');
    expect((await halftime(['run', 'up', '--config', bad])).status).toBe(2);
  });

  it('schema: 0', async () => {
    const r = await halftime(['schema']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).title).toBe('halftime configuration');
  });

  it('alert-test: 0 when delivered, 1 when sending failed, 2 for an unknown channel or a bad config', async () => {
    const sent = await halftime(['alert-test', 'hook', '--config', good]);
    expect(sent.status, sent.stderr).toBe(0);
    expect(hooks.length).toBe(1);
    const failed = await halftime(['alert-test', 'nowhere', '--config', good]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('sending through "nowhere" failed');
    const unknown = await halftime(['alert-test', 'pager', '--config', good]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no channel "pager" under alerts.channels');
    expect((await halftime(['alert-test', 'hook', '--config', bad])).status).toBe(2);
  });

  it('load: 0 when the thresholds pass, 1 when one fails, 2 for an unknown monitor, a refused plan or a bad config', async () => {
    const args = ['--config', good, '--no-store', '--users', '2', '--duration', '1s', '--think', '50ms'];
    const ok = await halftime(['load', 'up', ...args, '-t', 'p95<5s']);
    expect(ok.status, ok.stderr).toBe(0);
    const failed = await halftime(['load', 'up', ...args, '-t', 'rps>100000']);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('FAIL  rps>100000');
    expect((await halftime(['load', 'nope', ...args])).status).toBe(2);
    expect((await halftime(['load', 'up', ...args, '--users', '100000'])).status).toBe(2);
    expect((await halftime(['load', 'up', '--config', bad, '--no-store'])).status).toBe(2);
  }, 60_000); // five processes, two of them bursts in a worker thread

  it('serve: 2 for a bad config, 1 when it cannot listen, 0 after a clean shutdown', async () => {
    const db = join(tmp.dir, 'serve.db');
    expect((await halftime(['serve', '--config', bad, '--port', '0', '--db', db])).status).toBe(2);
    const busy = await busyPort();
    try {
      const r = await halftime(['serve', '--config', good, '--port', String(busy.port), '--db', db]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/could not (start|listen)|EADDRINUSE/);
    } finally {
      await busy.close();
    }
    const serve = await startServe(['--config', good, '--port', '0', '--db', db]);
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    const stopped = await serve.stop();
    expect(stopped.code).toBe(0);
  }, 60_000); // three servers started one after the other
});
