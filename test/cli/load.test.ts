import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type TestServer } from '../helpers.js';
import { halftime as run } from './cli-helpers.js';

const halftime = (args: string[], env: NodeJS.ProcessEnv = {}) => run(args, { env: { SHOP_KEY: 'k3y-v4lue', ...env }, timeoutMs: 20_000 });

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
let config: string;
let db: string;
beforeAll(async () => {
  tmp = tempDir();
  target = await startServer((req, res) => {
    res.writeHead(req.url?.startsWith('/down') ? 500 : 200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  db = join(tmp.dir, 'h.db');
  config = join(tmp.dir, 'h.yaml');
  writeFileSync(
    config,
    `load:\n  allowHosts: [127.0.0.1]\n  maxUsers: 50\nmonitors:\n  - id: home\n    name: Home\n    steps:\n      - name: front page\n        url: ${target.url}/\n` +
      `  - id: down\n    name: Down\n    steps:\n      - url: ${target.url}/down/\${env:SHOP_KEY}\n` +
      `  - id: away\n    name: Elsewhere\n    steps:\n      - url: http://localhost:9/\n`,
  );
});
afterAll(async () => {
  await target.close();
  tmp.cleanup();
});

describe('halftime load', () => {
  it('runs a burst, prints a per-step summary, stores the run and passes its thresholds', async () => {
    const r = await halftime(['load', 'home', '--config', config, '--db', db, '--users', '4', '--spawn-rate', '8', '--duration', '2s', '--think', '20ms-40ms', '-t', 'p95<2s', '-t', 'errors<1%']);
    expect(r.stderr).toContain('halftime load home: ramp to 4 users at 8/s for 2 s');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/completed after \d\.\d s; peak 4 users/);
    expect(r.stdout).toMatch(/front page\s+\d+\s+0%/);
    expect(r.stdout).toMatch(/pass {2}p95<2s/);
    expect(r.stdout).toMatch(/knee: /);
    expect(r.stdout).toMatch(/stored as load run #1 \(\/admin\/load-runs\/1\)/);
    const d = new Database(db, { readonly: true });
    const run = d.prepare('SELECT * FROM load_runs').get() as Record<string, unknown>;
    const seconds = d.prepare("SELECT count(*) FROM load_series WHERE run_id = 1 AND step = ''").pluck().get() as number;
    const steps = d.prepare("SELECT DISTINCT step FROM load_series WHERE step <> ''").pluck().all();
    d.close();
    expect(run).toMatchObject({ name: 'home', status: 'passed', trigger: 'cli', model: 'closed', errors: 0 });
    expect(run.requests as number).toBeGreaterThan(20);
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(steps).toEqual(['front page']);
  });

  it('exits 1 when a threshold fails', async () => {
    const r = await halftime(['load', 'home', '--config', config, '--no-store', '--users', '2', '--duration', '1s', '--think', '50ms', '-t', 'rps>100000']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}rps>100000\s+actual [\d.]+ req\/s \(want > 100000 req\/s\)/);
  });

  it('aborts on errors and exits 1, without showing secrets', async () => {
    const r = await halftime(['load', 'down', '--config', config, '--no-store', '--users', '3', '--spawn-rate', '30', '--duration', '10s', '--think', '10ms', '--abort-on-errors', '20%']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('GET /down/[secret:SHOP_KEY]');
    expect(r.stdout + r.stderr).not.toContain('k3y-v4lue');
    expect(r.stdout).toMatch(/STOPPED: aborted at \d s: 100% of the last \d+ requests failed \(limit 20%\)/);
  });

  // Four processes, each refused before it sends anything: started together, as each pays the CLI's
  // start-up (slow on a busy machine), and given the time four start-ups take there.
  it('refuses hosts outside load.allowHosts, over-cap plans and bad flags, with exit code 2', { timeout: 60_000 }, async () => {
    const [away, big, bad, unknown] = await Promise.all([
      halftime(['load', 'away', '--config', config, '--no-store', '--users', '1', '--duration', '1s']),
      halftime(['load', 'home', '--config', config, '--no-store', '--users', '500', '--duration', '1s']),
      halftime(['load', 'home', '--config', config, '--no-store', '--duration', 'soon', '-t', 'p95 fast']),
      halftime(['load', 'nope', '--config', config, '--no-store']),
    ]);
    expect(away.status).toBe(2);
    expect(away.stderr).toContain('refusing to send a burst to localhost:9 (monitors[2].steps[0].url): that host is not in load.allowHosts of');
    expect(big.status).toBe(2);
    expect(big.stderr).toContain('refusing a burst of 500 users: above the cap of 50 (load.maxUsers)');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--duration: not a duration: "soon"');
    expect(bad.stderr).toContain('--thresholds');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no monitor or loads[] entry named "nope" (known: home, down, away)');
  });
});
