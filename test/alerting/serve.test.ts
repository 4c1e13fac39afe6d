import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startHalftime, type Halftime } from '../../src/main.js';
import { startServer, type TestServer } from '../helpers.js';
import { BACKENDS, testDatabase, type TestDatabase } from '../support/backends.js';
import { loadYaml, startSmtp, type SmtpSink } from './fixtures.js';

describe.each(BACKENDS)('halftime serve with alerts on %s', (kind) => {
  let ht: Halftime | undefined;
  let target: TestServer | undefined;
  let smtp: SmtpSink | undefined;
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await ht?.stop(2_000);
    await target?.close();
    await smtp?.close();
    await db?.drop();
    ht = target = smtp = db = undefined;
  });

  it('a failing target becomes a DOWN email, then RECOVERED when it is back', async () => {
    let healthy = false;
    target = await startServer((_req, res) => {
      res.writeHead(healthy ? 200 : 503).end(healthy ? 'ok' : 'maintenance');
    });
    smtp = await startSmtp();
    const loaded = loadYaml(`
server: { publicUrl: "http://status.test" }
alerts:
  channels:
    mail: { type: email, host: 127.0.0.1, port: ${smtp.port}, from: halftime@example.com, to: ops@example.com, timeout: 2000 }
  retry: { initial: 200ms, max: 1s }
monitors:
  - id: site
    name: Site
    public: true
    every: 1s
    steps: [{ name: home, url: "${target.url}/" }]
`);
    const lines: string[] = [];
    db = await testDatabase(kind);
    ht = await startHalftime({ loaded, dbPath: db.location, port: 0, logger: createLogger({ write: (l) => lines.push(l) }) });
    const [down] = await smtp.waitFor(1, 8_000);
    expect(down?.subject).toBe('[halftime] DOWN Site: 2 failed checks in a row at step "home": HTTP 503');
    expect(down.text).toContain('http://status.test/#monitor-site');
    healthy = true;
    const mails = await smtp.waitFor(2, 8_000);
    expect(mails[1]?.subject).toMatch(/^\[halftime\] RECOVERED Site: up again after \d+ s$/);
    const page = await (await fetch(`${ht.url}/`)).text();
    expect(page).toContain('DOWN Site: 2 failed checks');
    expect(lines.some((l) => l.includes('alert delivered'))).toBe(true);
  });
});
