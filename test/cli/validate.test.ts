/** `halftime validate`: every problem in one pass, in config order, semantic ones included, each with its path and the fix. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractAll } from '../../src/probes/extract.js';
import { loadHtmlParser, parseHtml } from '../../src/probes/html.js';
import { createRng } from '../../src/probes/random.js';
import { tempDir } from '../helpers.js';
import { halftime } from './cli-helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

const write = (name: string, text: string) => {
  const file = join(tmp.dir, name);
  writeFileSync(file, text);
  return file;
};

describe('halftime validate', () => {
  it('lists schema errors and semantic ones together, in the order they appear in the file', async () => {
    const file = write(
      'many.yaml',
      `alerts:
  channels:
    mail: { type: email, host: smtp.example.com, port: 25, from: a@example.com, to: [ops@example.com] }
  defaults: { channels: [pager] }
  maintenance:
    - { cron: "0 3 * * *", duration: 30m, monitors: [shop, ghost] }
monitors:
  - name: Shop
    every: 30s
    steps:
      - url: 5
        expcet: { status: 200 }
  - name: Shop
    alerts:
      channels: [chat]
      degraded:
        - p95 > 800ms over 10m
        - { rule: p95 > 800ms over 10m, step: chekout }
    steps:
      - name: checkout
        url: http://127.0.0.1/checkout
        extract:
          token: { css: "input[name=token" }
          link: { css: "a.product", attr: href }
  - name: Journey
    id: journey
    alerts:
      degraded: [{ rule: p99 > 2s over 15m, step: search }]
    personas:
      - name: buyer
        steps: [{ name: home, url: http://127.0.0.1/ }]
        tasks:
          - name: browse
            steps:
              - url: http://127.0.0.1/results
                extract: { first: { css: "ul > li:nth-child(x)" } }
loads:
  - { name: rush, monitor: shopp, users: 5, duration: 10s }
`,
    );
    const r = await halftime(['validate', '--config', file]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`${file}: 11 problems`);
    expect(lines.slice(1).map((l) => l.trim())).toEqual([
      'alerts.defaults.channels[0]: unknown channel "pager" (known: mail)',
      'alerts.maintenance[0].monitors[1]: unknown monitor id "ghost"',
      'monitors[0].steps[0]: unknown key: expcet (did you mean expect?)',
      'monitors[0].steps[0].url: Invalid input: expected string, received number',
      'monitors[1].name: duplicate monitor id "shop" (also monitors[0]); give each monitor its own id',
      'monitors[1].alerts.channels[0]: unknown channel "chat" (known: mail)',
      'monitors[1].alerts.degraded[1].step: no step named "chekout" in this monitor (steps: "checkout"); use one of those names, or leave step out to judge the whole run',
      'monitors[1].steps[0].extract.token.css: not a valid CSS selector "input[name=token": Attribute selector didn\'t terminate; write one such as a.product, #add-to-cart or input[name="token"]',
      'monitors[2].alerts.degraded[0].step: no step named "search" in this monitor (steps: "home", "GET /results"); use one of those names, or leave step out to judge the whole run',
      'monitors[2].personas[0].tasks[0].steps[0].extract.first.css: not a valid CSS selector "ul > li:nth-child(x)": n-th rule couldn\'t be parsed (\'x\'); write one such as a.product, #add-to-cart or input[name="token"]',
      'loads[0].monitor: no monitor with id "shopp" (known: shop, journey)',
    ]);
  });

  it('accepts selectors and step names the probes accept, unnamed steps by method and path', async () => {
    const file = write(
      'fine.yaml',
      `monitors:
  - name: Shop
    baseUrl: http://127.0.0.1:3100
    alerts:
      degraded:
        - { rule: p95 > 800ms over 10m, step: GET /results }
        - { rule: p95 > 800ms over 10m, step: product page }
    steps:
      - url: /results
        extract:
          product: { css: "a.product:first", attr: href }
          title: { css: "h1:contains('Ball'), #add-to-cart[data-product-id]" }
      - { name: product page, method: post, url: "{{ product }}", body: x }
`,
    );
    const r = await halftime(['validate', '--config', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ok — 1 monitor, 2 steps');
  });

  it('checks selectors with the parser the probes use: what fails a run now fails validate, with the same reason', async () => {
    await loadHtmlParser();
    const page = { status: 200, body: '<a href="/x">x</a>', headers: {}, url: 'http://127.0.0.1/', html: () => parseHtml('<a href="/x">x</a>') };
    for (const css of ['a[', 'li:nth-child(x)', 'a::before', ':nope']) {
      const atRunTime = extractAll({ x: { css, pick: 'first', optional: false, secret: false } }, page, createRng(1)).failures[0];
      expect(atRunTime).toMatch(new RegExp(`^extract x: CSS ${css.replace(/[[\]()*:.]/g, '\\$&')}: `));
      const reason = atRunTime.slice(`extract x: CSS ${css}: `.length).trim();
      const file = write('css.yaml', `monitors:\n  - name: A\n    steps:\n      - url: http://127.0.0.1:9/\n        extract: { x: { css: ${JSON.stringify(css)} } }\n`);
      const r = await halftime(['validate', '--config', file]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`monitors[0].steps[0].extract.x.css: not a valid CSS selector ${JSON.stringify(css)}: ${reason}`);
    }
    // And one it accepts extracts at run time.
    expect(extractAll({ x: { css: 'a', attr: 'href', pick: 'first', optional: false, secret: false } }, page, createRng(1)).values).toEqual({ x: '/x' });
  });

});
