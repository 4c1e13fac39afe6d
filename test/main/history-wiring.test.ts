import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { createLogger } from '../../src/log.js';
import { startHalftime, type Halftime } from '../../src/main.js';
import { sleep, startServer, tempDir, type TestServer } from '../helpers.js';

/** End to end: a real target on 127.0.0.1, the real scheduler and writer, the monitor page and series over HTTP. */
describe('history wired into halftime', () => {
  let target: TestServer;
  let tmp: ReturnType<typeof tempDir>;
  let ht: Halftime;
  beforeAll(async () => {
    tmp = tempDir();
    target = await startServer((req, res) => {
      res.writeHead(req.url === '/pay' ? 500 : 200, { 'content-type': 'text/plain' });
      res.end('hello');
    });
    const yaml = `
retention:
  runs: 2d
monitors:
  - name: Journey
    id: journey
    public: true
    every: 1s
    steps:
      - { name: home, url: "${target.url}/" }
      - { name: about, url: "${target.url}/about" }
  - name: Hidden
    every: 1s
    steps:
      - { url: "${target.url}/" }
`;
    ht = await startHalftime({ loaded: parseConfigText(yaml, 'test.yaml'), dbPath: join(tmp.dir, 'h.db'), port: 0, host: '127.0.0.1', logger: createLogger({ quiet: true }) });
    // Wait (bounded) until a few runs have been written.
    for (let i = 0; i < 50 && ((await ht.store.history.series('journey', '24h'))?.summary.runs ?? 0) < 2; i++) {
      await sleep(200);
      await ht.store.writer.flush();
    }
  });
  afterAll(async () => {
    await ht?.stop(2000);
    await target?.close();
    tmp?.cleanup();
  });

  it('serves the monitor page, its chart partial and the series of each step', async () => {
    const page = await fetch(`${ht.url}/monitors/journey?range=7d`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<h1>Journey</h1>');
    expect(html).toContain('<option value="1">2. about</option>');
    const s = (await (await fetch(`${ht.url}/api/monitors/journey/series?range=24h`)).json()) as { runs: number[]; p95: number[]; summary: { runs: number; failures: number } };
    expect(s.summary.runs).toBeGreaterThanOrEqual(2);
    expect(s.summary.failures).toBe(0);
    expect(s.p95.some((v) => typeof v === 'number' && v > 0)).toBe(true);
    const step1 = (await (await fetch(`${ht.url}/api/monitors/journey/series?range=24h&step=1`)).json()) as { summary: { runs: number } };
    expect(step1.summary.runs).toBeGreaterThanOrEqual(2);
    expect((await fetch(`${ht.url}/monitors/hidden`)).status).toBe(404);
    const status = await (await fetch(`${ht.url}/`)).text();
    expect(status).toContain('href="/monitors/journey"');
  });
});
