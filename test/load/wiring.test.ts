import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime, type Halftime } from '../../src/main.js';
import { openStore } from '../../src/store/index.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';

/** Load checks as main.ts wires them: the start form on the admin monitor page, a burst over real HTTP, shutdown while it runs. */
describe('load checks wired into halftime', () => {
  let target: TestServer;
  let tmp: ReturnType<typeof tempDir>;
  let ht: Halftime;
  let stopped = false;
  beforeAll(async () => {
    tmp = tempDir();
    target = await startServer((_req, res) => res.end('ok'));
    const yaml = `
load:
  allowHosts: [127.0.0.1]
monitors:
  - name: Shop
    id: shop
    every: 1h
    steps:
      - { name: home, url: "${target.url}/" }
    load: { users: 2, spawnRate: 2, duration: 30s, thinkTime: 50ms }
`;
    ht = await startHalftime({ loaded: parseConfigText(yaml, 'test.yaml'), dbPath: join(tmp.dir, 'h.db'), port: 0, host: '127.0.0.1', logger: createLogger({ quiet: true }), adminPassword: 'correct horse battery' });
  });
  afterAll(async () => {
    if (!stopped) await ht?.stop(2000);
    await target?.close();
    tmp?.cleanup();
  });

  const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];

  it('starts a burst from the monitor page; stopping the server stops it and stores it as stopped', async () => {
    const form = await fetch(`${ht.url}/login`);
    const login = await fetch(`${ht.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: ht.url, cookie: cookiesOf(form), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfOf(await form.text()), username: 'admin', password: 'correct horse battery', next: '/admin' }),
    });
    expect(login.status).toBe(303);
    const cookie = cookiesOf(login)
      .split('; ')
      .filter((c) => c.startsWith('halftime_session='))
      .join('; ');
    const page = await (await fetch(`${ht.url}/admin/monitors/shop`, { headers: { cookie } })).text();
    expect(page).toContain('Start load check');
    const csrf = csrfOf(page);
    const start = await fetch(`${ht.url}/admin/load-runs/start`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: ht.url, cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, monitor: 'shop', burst: 'shop', users: '2', spawnRate: '2', duration: '30s' }),
    });
    expect(start.status).toBe(303);
    const id = Number(start.headers.get('location')!.split('/').pop());
    // Wait (bounded) for the first stored second, then shut down mid-burst.
    for (let i = 0; i < 50 && (await ht.store.loadRuns.series(id)).length === 0; i++) await sleep(100);
    expect((await ht.store.loadRuns.get(id))!.status).toBe('running');
    const t0 = Date.now();
    await ht.stop(2000);
    stopped = true;
    expect(Date.now() - t0).toBeLessThan(10_000);
    const store = await openStore(join(tmp.dir, 'h.db'), []);
    try {
      const run = (await store.loadRuns.get(id))!;
      expect(run.status).toBe('stopped');
      expect(run.requests).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
