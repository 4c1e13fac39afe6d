import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/read.js';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime } from '../../src/main.js';
import { resolveBurst, scheduledBursts } from '../../src/load/from-config.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';

const base = `load:\n  allowHosts: [127.0.0.1]\nmonitors:\n  - id: shop\n    name: Shop\n    steps:\n      - url: http://127.0.0.1:1/\n`;

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml, 't.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('burst config', () => {
  it('accepts a monitor load block and stand-alone loads, with defaults and parsed durations', () => {
    const { config } = parseConfigText(
      base +
        `    load:\n      users: 200\n      spawnRate: 10\n      duration: 60s\n      shape: step\n      step: { users: 10, every: 30s }\n      thinkTime: { min: 1s, max: 5s }\n      poll: { url: http://127.0.0.1:1/poll, every: 10s }\n      thresholds: ['p95<500ms', 'errors<1%']\n      cron: '0 3 * * *'\n` +
        `loads:\n  - name: launch-spike\n    monitor: shop\n    model: open\n    arrivalRate: 20\n    rampTo: 200\n    duration: 2m\n    abortOnErrorRate: 10%\n`,
      't.yaml',
    );
    expect(config.load).toEqual({ allowHosts: ['127.0.0.1'], maxUsers: 1000, maxRate: 1000, maxDuration: 600_000, abortOnErrorRate: 0.5 });
    expect(config.monitors[0].load).toMatchObject({ model: 'closed', users: 200, duration: 60_000, shape: 'step', step: { users: 10, every: 30_000 }, thinkTime: { min: 1000, max: 5000 } });
    expect(config.loads[0]).toMatchObject({ model: 'open', arrivalRate: 20, rampTo: 200, duration: 120_000, abortOnErrorRate: 0.1 });
    expect(scheduledBursts(config)).toEqual([{ name: 'shop', cron: '0 3 * * *' }]);
    const r = resolveBurst(config, 'launch-spike');
    expect(r.plan).toEqual({ model: 'open', arrivalRate: 20, rampTo: 200, duration: 120_000, maxUsers: 1000 });
    expect(r.job.abortOnErrorRate).toBe(0.1);
    const withCli = resolveBurst(config, 'shop', { users: 50, duration: '5s', thresholds: ['p99<1s'] });
    expect(withCli.plan).toMatchObject({ users: 50, duration: 5_000, shape: { type: 'step', users: 10, every: 30_000 } });
    expect(withCli.job.thresholds).toEqual(['p99<1s']);
  });

  it('names the path of every problem', () => {
    expect(problems(base + `    load:\n      duration: 1m\n`)).toEqual(['monitors[0].load.users: the closed model needs users']);
    expect(problems(base + `    load:\n      users: 5\n      duration: 1m\n      shape: spike\n`)).toEqual(['monitors[0].load.spike: shape spike needs spike: { users, at, for }']);
    expect(problems(base + `    load:\n      users: 5\n      duration: 1m\n      thresholds: ['p95 quick']\n`)[0]).toMatch(/^monitors\[0\]\.load\.thresholds\[0\]: not a threshold: "p95 quick"/);
    expect(problems(base + `loads:\n  - name: x\n    monitor: nope\n    model: open\n    duration: 1m\n`)).toEqual([
      'loads[0].arrivalRate: the open model needs arrivalRate',
      'loads[0].monitor: no monitor with id "nope" (known: shop)',
    ]);
    expect(problems(base + `loads:\n  - { name: a, monitor: shop, users: 1, duration: 1m }\n  - { name: a, monitor: shop, users: 2, duration: 1m }\n`)).toEqual([
      'loads[1].name: duplicate load name "a" (also loads[0])',
    ]);
    expect(problems(base.replace('allowHosts: [127.0.0.1]', 'allowHosts: [127.0.0.1]\n  abortOnErrorRate: 150%'))).toEqual(['load.abortOnErrorRate: not a ratio: "150%" (use e.g. 20% or 0.2)']);
  });
});

describe('scheduled bursts', () => {
  let tmp: ReturnType<typeof tempDir>;
  let target: TestServer;
  beforeAll(async () => {
    tmp = tempDir();
    target = await startServer((_q, r) => r.end('ok'));
  });
  afterAll(async () => {
    await target.close();
    tmp.cleanup();
  });

  it('runs a cron burst in the server, stores it, and skips refused ones with a log line', async () => {
    const lines: string[] = [];
    const loaded = parseConfigText(
      `load:\n  allowHosts: [127.0.0.1]\nmonitors:\n  - id: shop\n    name: Shop\n    every: 1h\n    steps:\n      - url: ${target.url}/\n` +
        `  - id: outside\n    name: Outside\n    every: 1h\n    steps:\n      - url: http://localhost:1/\n    load: { users: 1, duration: 1s, cron: '* * * * * *' }\n` +
        `loads:\n  - name: tick\n    monitor: shop\n    users: 2\n    duration: 1s\n    thinkTime: 50ms\n    cron: '* * * * * *'\n`,
      't.yaml',
    );
    const ht = await startHalftime({ loaded, dbPath: join(tmp.dir, 'h.db'), port: 0, host: '127.0.0.1', logger: createLogger({ write: (l) => lines.push(l) }) });
    try {
      for (let i = 0; i < 60 && !(await ht.store.loadRuns.list()).some((r) => r.status !== 'running'); i++) await sleep(100);
      const done = (await ht.store.loadRuns.list()).find((r) => r.status !== 'running')!;
      expect(done).toMatchObject({ name: 'tick', trigger: 'schedule', status: 'passed', monitorKey: 'shop' });
      expect(done.requests).toBeGreaterThan(5);
      expect(lines.some((l) => l.includes('scheduled burst refused') && l.includes('outside') && l.includes('load.allowHosts'))).toBe(true);
      // Mounted in the server, behind the admin login.
      const page = await fetch(`${ht.url}/admin/load-runs/${done.id}/series.json`);
      expect(page.status).toBe(401);
    } finally {
      await ht.stop(2_000);
    }
  });
});
