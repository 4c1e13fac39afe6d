import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type TestServer } from '../helpers.js';
import { halftime, startServe } from './cli-helpers.js';

let tmp: ReturnType<typeof tempDir>;
let target: TestServer;
beforeAll(async () => {
  tmp = tempDir();
  target = await startServer((req, res) => {
    res.writeHead(req.url === '/down' ? 500 : 200, { 'content-type': 'text/html' });
    res.end('<h1>Hello from the target</h1>');
  });
});
afterAll(async () => {
  await target.close();
  tmp.cleanup();
});

describe('halftime validate', () => {
  it('prints every problem with its path and exits 2', async () => {
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(file, 'monitors:\n  - name: a\n    every: 30s\n    steps:\n      - url: http://127.0.0.1/\n  - name: b\n    steps:\n      - url: nope\n');
    const r = await halftime(['validate', '--config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('monitors[1].steps[0].url: not a valid URL');
  });

  it('accepts a good config (also via HALFTIME_CONFIG) and names the secrets it uses, not their values', async () => {
    const file = join(tmp.dir, 'good.yaml');
    writeFileSync(file, 'monitors:\n  - name: API\n    steps:\n      - url: http://127.0.0.1/\n        headers: { authorization: "Bearer ${env:TOKEN}" }\n');
    const r = await halftime(['validate'], { env: { HALFTIME_CONFIG: file, TOKEN: 'hunter2-value' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ok — 1 monitor, 1 step, secrets from environment: TOKEN');
    expect(r.stdout).not.toContain('hunter2-value');
  });

  it('has readable help', async () => {
    const r = await halftime(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/serve \[options\]\s+run the scheduler/);
    expect(r.stdout).toMatch(/validate \[options\]\s+check a config file/);
  });
});

describe('halftime serve', () => {
  it('does not start with a bad config (exit 2)', async () => {
    const file = join(tmp.dir, 'bad2.yaml');
    writeFileSync(file, 'monitors:\n  - name: a\n    every: nope\n    steps:\n      - url: http://127.0.0.1/\n');
    const r = await halftime(['serve', '--config', file, '--port', '0', '--db', join(tmp.dir, 'never.db')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('monitors[0].every: not a duration');
  });

  it('measures, shows public results on the status page, and shuts down cleanly on SIGTERM', async () => {
    const file = join(tmp.dir, 'serve.yaml');
    const db = join(tmp.dir, 'serve.db');
    writeFileSync(
      file,
      `server: { title: "Test status" }
monitors:
  - name: Target up
    public: true
    every: 1s
    steps: [{ url: "${target.url}/", expect: { bodyContains: Hello } }]
  - name: Target down
    public: true
    every: 1s
    steps: [{ url: "${target.url}/down" }]
  - name: Hidden
    every: 1s
    steps: [{ url: "${target.url}/" }]
`,
    );
    const serve = await startServe(['--port', '0'], { env: { HALFTIME_CONFIG: file, HALFTIME_DB: db } });
    let stopped: { code: number | null; stderr: string } | undefined;
    try {
      let html = '';
      for (let i = 0; i < 40; i++) {
        html = await (await fetch(`${serve.url}/`)).text();
        if (html.includes('badge-up') && html.includes('badge-down')) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(html).toContain('<h2>Target up</h2>');
      expect(html).toContain('badge-up');
      expect(html).toContain('badge-down');
      expect(html).not.toContain('Hidden');
      const health = await fetch(`${serve.url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      stopped = await serve.stop();
    }
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain('stopped cleanly');
    const reader = new Database(db, { readonly: true });
    const counts = reader.prepare('SELECT m.key, count(r.id) AS n, sum(r.ok) AS ok FROM monitors m LEFT JOIN runs r ON r.monitor_id = m.id GROUP BY m.key ORDER BY m.key').all() as { key: string; n: number; ok: number }[];
    reader.close();
    expect(counts.find((c) => c.key === 'target-up')!.n).toBeGreaterThan(0);
    expect(counts.find((c) => c.key === 'target-up')!.ok).toBe(counts.find((c) => c.key === 'target-up')!.n);
    expect(counts.find((c) => c.key === 'target-down')!.ok).toBe(0);
  });
});

describe('bin/halftime.js started from another directory', () => {
  const config = () => {
    const file = join(tmp.dir, 'elsewhere.yaml');
    writeFileSync(
      file,
      `load: { allowHosts: [127.0.0.1] }
monitors:
  - name: Target up
    public: true
    every: 1s
    steps: [{ name: home, url: "${target.url}/" }]
    load: { users: 2, duration: 1s }
`,
    );
    return file;
  };

  it('serves its pages (hono JSX) wherever it is started', async () => {
    const serve = await startServe(['--port', '0', '--config', config(), '--db', join(tmp.dir, 'elsewhere.db')], { cwd: tmp.dir, env: { HALFTIME_ADMIN_PASSWORD: 'a long enough password' } });
    let stopped: { code: number | null; stderr: string } | undefined;
    try {
      const status = await fetch(`${serve.url}/`);
      expect(status.status).toBe(200);
      expect(await status.text()).toContain('<h2>Target up</h2>');
      const login = await fetch(`${serve.url}/login`);
      expect(login.status).toBe(200);
      expect(await login.text()).toContain('name="_csrf"');
    } finally {
      stopped = await serve.stop();
    }
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).not.toContain('React is not defined');
  });

  it('runs a burst in its worker thread wherever it is started', async () => {
    const r = await halftime(['load', 'target-up', '--no-store', '--config', config()], { cwd: tmp.dir });
    expect(r.stderr).not.toContain('Error');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\d+ requests/);
  });
});
