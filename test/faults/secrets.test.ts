/**
 * Secrets are hidden as values: numbers are never rewritten (a secret made of digits cannot break
 * alert evidence), and a secret with quotes, backslashes or past any cut length never reaches a
 * page, the API, an alert or the log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startHalftime, type Halftime } from '../../src/main.js';
import { createRedactor } from '../../src/lang/redact.js';
import { storeSql } from '../../src/store/index.js';
import { newApiToken } from '../../src/web/auth/secrets.js';
import { startServer, tempDir, type TestServer } from '../helpers.js';
import { harnessPerTest, loadYaml, makeRun } from '../alerting/fixtures.js';

describe('redaction as values', () => {
  it('rewrites string leaves only: numbers, booleans and keys stay, every form of a secret goes', () => {
    const r = createRedactor([['PIN', '8080'], ['TOKEN', 'a"b\\c d/e']]);
    const out = r.value({ latencyMs: 18080.5, ok: true, n: null, '8080': 'port 8080', list: ['x8080y', 7], nested: { msg: 'sent a\\"b\\\\c d/e and a%22b%5Cc%20d%2Fe and a%22b%5Cc+d%2Fe' } });
    expect(out).toEqual({
      latencyMs: 18080.5,
      ok: true,
      n: null,
      '8080': 'port [secret:PIN]',
      list: ['x[secret:PIN]y', 7],
      nested: { msg: 'sent [secret:TOKEN] and [secret:TOKEN] and [secret:TOKEN]' },
    });
    // The serialized form parses: nothing but string contents changed.
    expect(JSON.parse(JSON.stringify(out)).latencyMs).toBe(18080.5);
  });

  it('a plain ${env:…} value is not a secret; ${secret:…} and secret-named env values are, and must be long enough', () => {
    const loaded = loadYaml('monitors:\n  - name: api\n    steps:\n      - url: "http://127.0.0.1:${env:API_PORT}/?k=${env:API_KEY}&p=${secret:PIN}"\n', { API_PORT: '8080', API_KEY: 'key-123', PIN: '4711' });
    expect(loaded.secretNames.sort()).toEqual(['API_KEY', 'PIN']);
    expect(loaded.redact('http://127.0.0.1:8080/?k=key-123&p=4711')).toBe('http://127.0.0.1:8080/?k=[secret:API_KEY]&p=[secret:PIN]');
    expect(() => loadYaml('monitors:\n  - name: api\n    steps:\n      - url: "http://127.0.0.1/?p=${secret:PIN}"\n', { PIN: '42' })).toThrow(
      /monitors\[0\]\.steps\[0\]\.url: PIN is a secret of 2 characters: .*at least|shorter than 4/,
    );
  });

  describe('alert evidence with a secret made of digits', () => {
    const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
    const h = harnessPerTest(T0);

    it('still opens the incident and queues the alert, with the numbers as they were', async () => {
      const loaded = loadYaml(
        `alerts:
  channels:
    hook: { type: webhook, url: "http://127.0.0.1:9/hook?pin=\${secret:PIN}" }
monitors:
  - id: api
    name: API
    steps: [{ name: home, url: "http://127.0.0.1:1/?port=\${env:API_PORT}" }]
    alerts: { degraded: [{ rule: "p95 > 1s over 10m", minSamples: 2, enterAfter: 1 }] }
`,
        { PIN: '8080', API_PORT: '8080' },
      );
      const harness = await h.open(loaded);
      for (let i = 0; i < 4; i++) {
        h.clock.advance(30_000);
        await harness.feed(makeRun('api', h.clock.now(), { durationMs: 18080.5 }));
      }
      const [incident] = await harness.store.alerts.recentIncidents('api', 0, 10);
      expect(incident?.kind).toBe('degraded');
      expect((incident.evidence as { latency: { actualMs: number } }).latency.actualMs).toBe(18080.5);
      const queued = await storeSql(harness.store).pluck<string>('SELECT event FROM outbox');
      expect(queued.length).toBeGreaterThan(0);
      expect((JSON.parse(queued[0]) as { evidence: { latency: { actualMs: number } } }).evidence.latency.actualMs).toBe(18080.5);
    });
  });

  describe('a secret echoed by a target', () => {
    let ht: Halftime | undefined;
    let target: TestServer | undefined;
    const tmp = tempDir();
    afterEach(async () => {
      await ht?.stop(2_000);
      await target?.close();
      tmp.cleanup();
    });

    it('with quotes, backslashes and 100 characters never shows on pages, in the API or in the log', async () => {
      const core = 'Zq7' + 'x9Kp2Lm4Nb6Vc8'.repeat(7);
      const token = `t"o\\k${core}`;
      target = await startServer((req, res) => {
        // Echoes the credential into a header and a JSON body, as misbehaving targets do.
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': String(req.headers.authorization) });
        res.end(JSON.stringify({ auth: req.headers.authorization }));
      });
      const loaded = loadYaml(
        `monitors:
  - id: api
    name: API
    public: true
    every: 1s
    steps:
      - name: whoami
        url: "${target.url}/whoami?t=\${env:API_TOKEN}"
        headers: { authorization: "Bearer \${env:API_TOKEN}" }
        expect:
          headers: { x-echo: { equals: "something else" } }
          bodyContains: "never there"
`,
        { API_TOKEN: token },
      );
      const lines: string[] = [];
      ht = await startHalftime({ loaded, dbPath: `${tmp.dir}/db.sqlite`, port: 0, logger: createLogger({ redact: loaded.redact, write: (l) => lines.push(l) }), adminPassword: 'a long enough password' });
      await ht.scheduler.runNow('api');
      await ht.store.writer.flush();
      const sql = storeSql(ht.store);
      const [runId] = await sql.pluck<number>('SELECT max(id) FROM runs');
      expect(runId).toBeGreaterThan(0);
      const api = newApiToken();
      await ht.store.auth.createToken('test', api.hash, api.prefix, null);
      const get = async (p: string) => [p, await (await fetch(ht!.url + p, { headers: p.startsWith('/api/') ? { authorization: `Bearer ${api.token}` } : {} })).text()] as const;
      const pages = await Promise.all([`/`, `/monitors/api`, `/partials/monitors/api/runs/${runId}`, `/api/v1/runs/${runId}`, `/api/v1/monitors/api/runs`].map(get));
      expect(pages.find(([p]) => p === `/api/v1/runs/${runId}`)?.[1]).toContain('x-echo');
      const stored = JSON.stringify(await sql.all('SELECT * FROM step_results'));
      const [failure] = await sql.pluck<string>('SELECT failure_message FROM runs WHERE id = ?', [runId]);
      expect(failure).toMatch(/x-echo|body contains/);
      expect(stored).toContain('[secret:API_TOKEN]');
      // A distinctive part of the secret, in any escaping, appears nowhere.
      for (const [where, text] of [...pages, ['database', stored], ['log', lines.join('\n')]] as const) {
        expect(text, where).not.toContain(core.slice(3, 30));
        expect(text, where).not.toContain('x9Kp2Lm4');
      }
      expect(pages.find(([p]) => p.startsWith('/partials'))?.[1]).toContain('[secret:API_TOKEN]');
    });
  });
});
