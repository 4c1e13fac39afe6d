import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJourneyRunner } from '../../src/probes/journey.js';
import { startShopTarget } from '../fixtures/shop-target.js';
import { loadedFrom, monitorFrom } from './journey-helpers.js';

let target: Awaited<ReturnType<typeof startShopTarget>>;
beforeAll(async () => {
  target = await startShopTarget();
});
afterAll(() => target.close());

const run = (yaml: string, opts: { seed?: number; noThink?: boolean } = {}) => createJourneyRunner(monitorFrom(yaml)).run({ noThink: true, ...opts });

describe('journey steps', () => {
  it('sends templated url, query, headers, form, json and raw bodies', async () => {
    const r = await run(`- name: t
  baseUrl: ${target.url}
  vars: { who: ada, n: 3 }
  steps:
    - url: /echo?x={{ who }}
      query: { page: "{{ n }}", flag: true }
      headers: { X-Who: "{{ upper(who) }}" }
      extract: { method: { json: $.method }, flag: { json: $.query.flag }, hdr: { json: "$.headers['x-who']" } }
    - method: post
      url: "{{ baseUrl }}/echo"
      form: { name: "{{ who }}", qty: 2 }
      extract: { formBody: { json: $.body }, ctype: { json: "$.headers['content-type']" } }
    - method: PUT
      url: /echo
      json: { id: "{{ n }}", tags: ["{{ who }}", x], nested: { ok: true } }
      extract: { jsonBody: { json: $.body } }
    - method: PATCH
      url: /echo
      body: "raw {{ who }}"
      headers: { content-type: text/plain }
      extract: { rawBody: { json: $.body } }
`);
    expect(r.failure).toBeUndefined();
    expect(r.steps[0].extracted).toEqual({ method: 'GET', flag: 'true', hdr: 'ADA' });
    expect(r.steps[0].url).toBe(`${target.url}/echo?x=ada&page=3&flag=true`);
    expect(r.steps[1].extracted).toEqual({ formBody: 'name=ada&qty=2', ctype: 'application/x-www-form-urlencoded' });
    expect(JSON.parse(r.steps[2].extracted!.jsonBody)).toEqual({ id: 3, tags: ['ada', 'x'], nested: { ok: true } });
    expect(r.steps[3].extracted!.rawBody).toBe('raw ada');
    expect(r.steps.map((s) => s.name)).toEqual(['GET /echo', 'POST /echo', 'PUT /echo', 'PATCH /echo']);
  });

  it('keeps cookies across redirect hops and steps, and starts each run with a fresh jar', async () => {
    const yaml = `- name: c
  baseUrl: ${target.url}
  steps:
    - { method: POST, url: /login, form: { u: a }, extract: { sid: { css: "#sid" }, hop: { css: "#hop" } } }
    - { url: /me, extract: { again: { css: "#sid" }, cookie: { cookie: sid } } }
`;
    const runner = createJourneyRunner(monitorFrom(yaml));
    const r = await runner.run();
    expect(r.steps[0]).toMatchObject({ ok: true, redirects: 2, status: 200, extracted: { sid: 'abc123', hop: '1' } });
    expect(r.steps[1].extracted).toEqual({ again: 'abc123', cookie: 'abc123' });
    target.seen.length = 0;
    await createJourneyRunner(monitorFrom(yaml.replace(/- \{ method: POST.*\n/, ''))).run();
    expect(target.seen[0].headers.cookie).toBeUndefined();
  });

  it('session: keep carries cookies from one run to the next', async () => {
    const runner = createJourneyRunner(monitorFrom(`- name: k
  baseUrl: ${target.url}
  session: keep
  personas:
    - { name: a, steps: [{ url: /me, extract: { sid: { css: "#sid" } } }] }
`));
    expect((await runner.run()).steps[0].extracted!.sid).toBe('none');
    const login = createJourneyRunner(monitorFrom(`- name: k2
  baseUrl: ${target.url}
  session: keep
  steps: [{ method: POST, url: /login, followRedirects: false, expect: { status: 302 } }, { url: /me, extract: { sid: { css: "#sid" } } }]
`));
    await login.run();
    const second = await login.run();
    expect(second.steps[0].status).toBe(302);
    expect(target.seen.at(-2)!.headers.cookie).toContain('sid=abc123');
  });

  it('does not follow redirects when told, and stops at the redirect limit', async () => {
    const r = await run(`- name: r
  baseUrl: ${target.url}
  steps:
    - { method: POST, url: /login, followRedirects: false, expect: { status: 302, headers: { location: /hop } } }
    - { url: /loop, maxRedirects: 3 }
`);
    expect(r.steps[0]).toMatchObject({ ok: true, status: 302, redirects: 0 });
    expect(r.failure).toMatchObject({ code: 'redirects', step: 1, message: 'more than 3 redirects (last to /loop)' });
  });

  it('per-step timeout, journey timeout, and alwaysRun clean-up after a failure', async () => {
    const r = await run(`- name: to
  baseUrl: ${target.url}
  steps:
    - { url: "/slow?ms=400", timeout: 100ms }
    - { url: /echo, name: skipped }
    - { url: /echo?bye=1, name: log out, alwaysRun: true }
`);
    expect(r.failure).toMatchObject({ code: 'timeout', step: 0, message: 'no complete response within 100 ms' });
    expect(r.steps.map((s) => [s.name, s.ok, s.afterFailure ?? false])).toEqual([
      ['GET /slow', false, false],
      ['log out', true, true],
    ]);
    // Wide margins, so a busy machine cannot let the first step eat the run's budget: 100 ms of a
    // second for the first step, then a step that would take 3 s.
    const j = await run(`- name: jt
  baseUrl: ${target.url}
  timeout: 1s
  steps:
    - { url: "/slow?ms=100" }
    - { url: "/slow?ms=3000" }
    - { url: /echo, name: log out, alwaysRun: true }
`);
    expect(j.failure).toMatchObject({ code: 'timeout', step: 1, message: 'the whole run exceeded its 1000 ms timeout' });
    expect(j.steps[2]).toMatchObject({ name: 'log out', ok: true });
  });

  it('think time pauses between steps (not counted in the duration), skipped with noThink', async () => {
    const yaml = `- name: th
  baseUrl: ${target.url}
  think: { min: 150ms, max: 200ms }
  steps: [{ url: /echo }, { url: /echo }, { url: /echo }]
`;
    const t0 = performance.now();
    const r = await createJourneyRunner(monitorFrom(yaml)).run();
    const wall = performance.now() - t0;
    expect(wall).toBeGreaterThanOrEqual(300);
    expect(r.durationMs).toBeLessThan(wall - 290);
    // Without think times the run's wall time is its duration (no pauses of 150 ms or more in it).
    const t1 = performance.now();
    const quick = await createJourneyRunner(monitorFrom(yaml)).run({ noThink: true });
    expect(performance.now() - t1 - quick.durationMs).toBeLessThan(150);
  });
});

describe('extract', () => {
  it('from JSON path, regex group, CSS text and attribute, header, cookie and status; random picks are seeded', async () => {
    const yaml = `- name: x
  baseUrl: ${target.url}
  steps:
    - url: /products
      extract:
        firstName: { css: a.product }
        hrefs: { css: a.product, attr: href, pick: all }
        lastId: { css: a.product, attr: data-id, pick: last }
        anyHref: { css: a.product, attr: href, pick: random }
        viaRegex: { regex: 'href="/products/(\\d+)"' }
        named: { regex: 'id="count">(?<n>\\d+)<', group: n }
        reqId: { header: X-Request-Id }
        code: { status: true }
    - url: "{{ anyHref }}"
      expect: { status: 404 }
`;
    const a = await run(yaml, { seed: 7 });
    const b = await run(yaml, { seed: 7 });
    const ex = a.steps[0].extracted!;
    expect(ex).toMatchObject({ firstName: 'Ball', hrefs: '["/products/11","/products/12","/products/13"]', lastId: '13', viaRegex: '11', named: '3', reqId: 'req-42', code: '200' });
    expect(['/products/11', '/products/12', '/products/13']).toContain(ex.anyHref);
    expect(b.steps[0].extracted!.anyHref).toBe(ex.anyHref);
    expect(a.steps[1].url).toBe(`${target.url}${ex.anyHref}`);
    const picks = new Set<string>();
    for (let seed = 0; seed < 30; seed++) picks.add((await run(yaml, { seed })).steps[0].extracted!.anyHref);
    expect(picks.size).toBe(3);
  });

  it('a missing value fails the step and names the extraction; optional and default do not', async () => {
    const r = await run(`- name: xf
  baseUrl: ${target.url}
  steps:
    - url: /products
      extract:
        ok: { css: "#count" }
        maybe: { css: .nothing, optional: true }
        fallback: { json: $.x, default: none }
        token: { css: "input[name=token]", attr: value }
    - url: /echo
`);
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ code: 'extract', step: 0, message: 'extract token: nothing matched CSS input[name=token] @value' });
    expect(r.steps).toHaveLength(1);
  });
});

describe('assertions as evidence', () => {
  it('keeps every check with expected and actual, passing or not', async () => {
    const r = await run(`- name: ev
  baseUrl: ${target.url}
  steps:
    - url: /echo?q=ball
      expect:
        status: [200, 201]
        bodyContains: ball
        bodyNotContains: Traceback
        bodyMatches: '"q":"b\\w+"'
        json:
          - { path: $.query.q, equals: ball }
          - { path: $.method }
          - { path: $.missing, exists: false }
          - { path: $.query, contains: ball }
        headers: { content-type: json, x-nope: { exists: false } }
        minBytes: 10
        maxBytes: 100000
        maxLatency: 5s
    - url: /products
      expect:
        json: [{ path: $.count, gte: 1 }]
`);
    const ev = r.steps[0].evidence;
    expect(ev.every((e) => e.pass)).toBe(true);
    expect(ev.map((e) => e.what)).toEqual([
      'status', 'body contains', 'body does not contain', 'body matches', 'json $.query.q', 'json $.method', 'json $.missing', 'json $.query',
      'header content-type', 'header x-nope', 'response size', 'response size', 'latency',
    ]);
    expect(ev[4]).toEqual({ what: 'json $.query.q', expected: 'equals "ball"', actual: '"ball"', pass: true });
    expect(r.failure).toMatchObject({ code: 'assertion', step: 1, message: 'json $.count: expected a JSON body, got not JSON' });
  });

  it('numeric comparisons fail with the actual value', async () => {
    const r = await run(`- name: num
  baseUrl: ${target.url}
  vars: { want: GET }
  steps:
    - url: /echo?n=5
      expect:
        json: [{ path: $.query.n, gt: 5 }, { path: $.method, equals: "{{ want }}" }]
`);
    expect(r.steps[0].evidence.slice(1)).toEqual([
      { what: 'json $.query.n', expected: '> 5', actual: '5', pass: false },
      { what: 'json $.method', expected: 'equals "GET"', actual: '"GET"', pass: true },
    ]);
    expect(r.failure!.message).toBe('json $.query.n: expected > 5, got 5');
  });
});

describe('secrets', () => {
  it('env secrets and secret extractions never appear in results', async () => {
    const loaded = loadedFrom(`- name: s
  baseUrl: ${target.url}
  steps:
    - method: POST
      url: /echo?k=\${env:API_TOKEN}
      headers: { authorization: "Bearer \${env:API_TOKEN}" }
      json: { password: "\${env:API_TOKEN}" }
      extract: { session: { json: $.body, secret: true }, method: { json: $.method } }
    - url: "/echo?s={{ session }}"
      expect: { bodyContains: "{{ session }}-nope" }
`, { API_TOKEN: 'tok-SECRET-987' });
    const r = await createJourneyRunner(loaded.config.monitors[0], { redact: loaded.redact }).run();
    expect(r.steps[0].extracted).toEqual({ session: '[redacted]', method: 'POST' });
    expect(r.ok).toBe(false);
    expect(r.failure!.message).toContain('[redacted:session]');
    const text = JSON.stringify(r);
    expect(text).not.toContain('tok-SECRET-987');
    expect(text).not.toContain('password');
    expect(text).toContain('[secret:API_TOKEN]');
  });
});

describe('assets', () => {
  it('fetches same-origin CSS, JS, images and the fonts CSS refers to, at most 6 at a time', async () => {
    const r = await run(`- name: as
  baseUrl: ${target.url}
  steps:
    - { url: /page, assets: true }
    - { url: /echo }
`);
    const a = r.steps[0].assets!;
    expect(r.ok).toBe(true);
    expect(a.count).toBe(18);
    expect(a.failed).toBe(0);
    expect(a.bytes).toBeGreaterThanOrEqual(16 * 1000);
    expect(a.items.some((i) => i.url.endsWith('/a/font.woff2'))).toBe(true);
    expect(a.items.some((i) => i.url.includes('127.0.0.2'))).toBe(false);
    expect(a.slowest!.ms).toBeGreaterThanOrEqual(20);
    expect(a.totalMs).toBeGreaterThanOrEqual(a.slowest!.ms);
    expect(target.assetPeak()).toBeGreaterThan(1);
    expect(target.assetPeak()).toBeLessThanOrEqual(6);
    // 18 assets, 6 at a time, 25 ms each: at least three waves. The page's own timing leaves them out.
    expect(a.totalMs).toBeGreaterThanOrEqual(70);
    const t = r.steps[0].timings;
    expect(t.total).toBeLessThan(a.totalMs);
    expect(t.dns + t.connect + t.tls + t.ttfb + t.download).toBeLessThanOrEqual(t.total + 0.01);
    // The next page goes out on a connection that is already open.
    expect(r.steps[1].timings.connect).toBe(0);
  });

  it('a broken asset fails the step and names it', async () => {
    const r = await run(`- name: ab
  baseUrl: ${target.url}
  steps: [{ url: /broken, assets: { max: 10 } }]
`);
    expect(r.steps[0].assets).toMatchObject({ count: 2, failed: 1 });
    expect(r.failure).toMatchObject({ code: 'assets', message: `1 of 2 assets failed: ${target.url}/a/missing.png (status 404)` });
  });
});

describe('more journey options', () => {
  it('assets from another origin only when that origin is allowed', async () => {
    const { startServer } = await import('../helpers.js');
    let cdnHits = 0;
    const cdn = await startServer((_req, res) => {
      cdnHits++;
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end('1');
    });
    const page = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><head><script src="${cdn.url}/lib.js"></script><link rel="icon" href="/favicon.ico"></head></html>`);
    });
    try {
      const same = await run(`- name: o1\n  steps: [{ url: "${page.url}/", assets: true }]\n`);
      expect(same.steps[0].assets!.items.map((i) => i.url)).toEqual([`${page.url}/favicon.ico`]);
      expect(cdnHits).toBe(0);
      const other = await run(`- name: o2\n  steps: [{ url: "${page.url}/", assets: { origins: ["${cdn.url}"] } }]\n`);
      expect(other.steps[0].assets!.items.map((i) => i.url).sort()).toEqual([`${cdn.url}/lib.js`, `${page.url}/favicon.ico`].sort());
      expect(cdnHits).toBe(1);
    } finally {
      await Promise.all([cdn.close(), page.close()]);
    }
  });

  it('pick: all gives a list that pick() draws from; a step think overrides the journey think', async () => {
    const t0 = performance.now();
    const r = await createJourneyRunner(
      monitorFrom(`- name: pa
  baseUrl: ${target.url}
  think: 5s
  steps:
    - { url: /products, extract: { hrefs: { css: a.product, attr: href, pick: all } }, think: 10ms }
    - { url: "{{ pick(hrefs) }}", expect: { status: 404 } }
`),
    ).run({ seed: 4 });
    // The step's 10 ms think replaced the journey's 5 s one.
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(r.ok).toBe(true);
    expect(r.steps[1].url).toMatch(/\/products\/1[123]$/);
  });
});

describe('template failures', () => {
  it('an unknown variable fails the step with its name, and the step is recorded', async () => {
    const r = await run(`- name: tf\n  baseUrl: ${target.url}\n  steps: [{ url: "/echo?id={{ productId }}" }]\n`);
    expect(r.failure).toEqual({ code: 'template', message: 'template: unknown variable "productId"', step: 0 });
    expect(r.steps[0]).toMatchObject({ ok: false, name: 'GET /echo', timings: { total: 0 } });
  });

  it('an unknown faker locale is a config error with its path', () => {
    expect(() => monitorFrom(`- name: fl\n  locale: xx\n  steps: [{ url: "http://127.0.0.1/" }]\n`)).toThrow(/monitors\[0\]\.locale: unknown faker locale "xx"/);
  });
});

describe('asset discovery', () => {
  it('resolves against <base href> and skips data: URLs and fragments', async () => {
    const { parseHtml, loadHtmlParser } = await import('../../src/probes/html.js');
    const { findAssets, findCssRefs } = await import('../../src/probes/assets.js');
    await loadHtmlParser();
    const $ = parseHtml(`<html><head><base href="/shop/"><link rel="stylesheet" href="a.css#x"><link rel="preload" as="font" href="/f.woff2">
      <link rel="alternate" href="/feed.xml"></head><body><img src="data:image/png;base64,AA"><img srcset="small.png 1x, big.png 2x"><video poster="p.jpg"></video></body></html>`);
    expect(findAssets($, 'http://h/x/page')).toEqual(['http://h/shop/a.css', 'http://h/f.woff2', 'http://h/shop/small.png', 'http://h/shop/p.jpg']);
    expect(findCssRefs(`@import "more.css"; a{background:url('img/b.png')} b{src:url(data:font/woff2;base64,AA)}`, 'http://h/css/site.css')).toEqual([
      'http://h/css/more.css',
      'http://h/css/img/b.png',
    ]);
  });
});
