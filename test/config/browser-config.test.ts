import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/read.js';
import { loadConfigFile, parseConfigText } from '../../src/configure.js';
import { resolveBurst } from '../../src/load/from-config.js';
import { tempDir } from '../helpers.js';

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml, 't', {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be rejected');
}

const shop = (extra = '', steps = `    steps:
      - goto: /lab/late
      - waitFor: '#buy'
      - click: role=button[name="Add to basket"]
      - expect: { selector: '#status', text: Added }`) => `monitors:
  - name: Shop in a browser
    browser: true
    baseUrl: http://127.0.0.1:3100
${steps}
${extra}`;

describe('browser monitor config', () => {
  it('reads browser steps with the same templates, think time and alwaysRun as HTTP steps', () => {
    const { config } = parseConfigText(
      `monitors:
  - name: Checkout in a browser
    type: browser
    baseUrl: http://127.0.0.1:3100
    think: 500ms
    vars: { term: ball }
    data: { emails: { values: [a@halftime.test, b@halftime.test] } }
    steps:
      - goto: "/results?q={{ term }}"
      - fill: { selector: 'input[name="q"]', value: "{{ emails }}" }
      - press: { selector: 'input[name="q"]', key: Enter }
      - select: { selector: '#size', value: [M, L] }
      - check: '#terms'
      - waitFor: { networkidle: true }
      - expect: { title: Results, url: /results, selector: a.product, count: 3 }
      - extract: { first: a.product, link: { selector: a.product, attr: href } }
      - screenshot: { fullPage: true }
      - name: log out
        click: text=Log out
        alwaysRun: true
        timeout: 3s
`,
      't',
      {},
    );
    const m = config.monitors[0];
    expect(m.steps).toEqual([]);
    expect(m.browser?.viewport).toEqual({ width: 1280, height: 800 });
    expect(m.browser?.screenshotOnFailure).toBe(true);
    expect(m.browser?.steps).toHaveLength(10);
    expect(m.browser?.steps[9]).toMatchObject({ name: 'log out', click: 'text=Log out', alwaysRun: true, timeout: 3_000 });
    expect(m.browser?.steps[8]).toMatchObject({ screenshot: { fullPage: true } });
    expect(config.browser).toMatchObject({ chromium: '/usr/bin/chromium', concurrency: 2, recycleAfterRuns: 50, memoryLimit: 1024 });
  });

  it('names the step and the problem: one action per step, unknown keys, bad templates, HTTP steps as before', () => {
    expect(
      problems(`monitors:
  - name: b
    browser: { viewport: { width: 100, height: 800 } }
    baseUrl: http://127.0.0.1:3100
    steps:
      - goto: /
        click: a
      - clik: '#buy'
      - fill: { selector: '#q' }
      - expect: { count: 2 }
      - goto: "/x?q={{ term"
  - name: h
    baseUrl: http://127.0.0.1:3100
    steps:
      - url: /
        clik: 1
`),
    ).toEqual([
      'monitors[0].browser.viewport.width: Too small: expected number to be >=200',
      'monitors[0].steps[0]: a browser step takes exactly one action: goto, click, fill, select, press, check, uncheck, waitFor, expect, screenshot, extract (got goto, click)',
      'monitors[0].steps[1]: a step needs url (an HTTP request) or one action (goto, click, fill, select, press, check, uncheck, waitFor, expect, screenshot, extract) on a browser monitor',
      expect.stringMatching(/^monitors\[0\]\.steps\[1\]: unknown key: clik/),
      'monitors[0].steps[2].fill.value: required',
      'monitors[0].steps[3].expect.count: count needs selector',
      expect.stringMatching(/^monitors\[0\]\.steps\[4\]\.goto: template: unclosed/),
      expect.stringMatching(/^monitors\[1\]\.steps\[0\]: unknown key: clik/),
    ]);
    // Kinds that do not match the monitor, once the rest is right.
    expect(problems(shop('', '    steps:\n      - url: /lab/late\n      - goto: /lab/late'))).toEqual([
      expect.stringMatching(/^monitors\[0\]\.steps\[0\]: a browser monitor's steps take one action/),
    ]);
    expect(problems('monitors:\n  - name: h\n    baseUrl: http://127.0.0.1:3100\n    steps: [{ url: / }, { goto: / }]\n')).toEqual([
      'monitors[0].steps[1]: a browser action: set browser: true on the monitor to run its steps in Chromium',
    ]);
  });

  it('refuses a browser monitor in a burst load check, in the monitor and in loads[]', () => {
    expect(problems(shop('    load: { users: 5, duration: 10s }'))).toEqual([
      expect.stringMatching(/^monitors\[0\]\.load: browser monitors cannot run in burst load checks/),
    ]);
    expect(problems(shop('loads:\n  - { name: rush, monitor: shop-in-a-browser, users: 5, duration: 10s }'))).toEqual([
      expect.stringMatching(/^loads\[0\]\.monitor: "shop-in-a-browser" is a browser monitor: browser journeys cannot run in burst load checks/),
    ]);
    const { config } = parseConfigText(shop(), 't', {});
    expect(() => resolveBurst(config, 'shop-in-a-browser')).toThrow(/browser monitor: browser journeys cannot run in burst load checks/);
  });

  it('reads Web Vital rules as rules on their series, and checks them against the monitor', () => {
    const { config } = parseConfigText(
      shop(`    alerts:
      degraded:
        - lcp p75 > 2.5s over 15m
        - rule: inp p75 over 30m > 1.5x baseline 7d
          minSamples: 10
        - cls p75 > 0.1 over 15m
        - { rule: "p95 > 800ms over 10m", step: "click role=button[name=\\"Add to basket\\"]" }
        - { percentile: p75, over: 15m, above: 1.8s, step: "vital:FCP" }`),
      't',
      {},
    );
    const rules = config.monitors[0].alerts!.degraded;
    expect(rules[0]).toMatchObject({ text: 'lcp p75 > 2.5s over 15m', percentile: 0.75, windowMs: 900_000, thresholdMs: 2_500, step: 'vital:LCP' });
    expect(rules[1]).toMatchObject({ percentile: 0.75, windowMs: 1_800_000, factor: 1.5, baseline: 7 * 86_400_000, step: 'vital:INP', minSamples: 10 });
    expect(rules[2]).toMatchObject({ thresholdMs: 0.1, step: 'vital:CLS' });
    expect(rules[3].step).toBe('click role=button[name="Add to basket"]');
    expect(rules[4]).toMatchObject({ thresholdMs: 1_800, step: 'vital:FCP' });

    expect(problems(shop('    alerts: { degraded: [{ rule: "p95 > 1s over 10m", step: "click #nope" }] }'))).toEqual([
      expect.stringMatching(/^monitors\[0\]\.alerts\.degraded\[0\]\.step: no step named "click #nope" in this monitor \(steps: "goto \/lab\/late", "waitFor #buy", .*"vital:LCP"/),
    ]);
    expect(problems(shop('    alerts: { degraded: ["cls p75 > 100ms over 15m"] }'))).toEqual([expect.stringMatching(/not a CLS score: "100ms"/)]);
    expect(problems(shop('    alerts: { degraded: [{ rule: "lcp p75 > 2.5s over 15m", step: "vital:FCP" }] }'))).toEqual([expect.stringMatching(/the rule names LCP/)]);
    expect(
      problems(`monitors:
  - name: api
    steps: [{ url: "http://127.0.0.1:3100/api/health" }]
    alerts: { degraded: ["lcp p75 > 2.5s over 15m"] }
`),
    ).toEqual(['monitors[0].alerts.degraded[0]: LCP is a Web Vital, measured by browser monitors only (browser: true); this monitor sends HTTP requests']);
  });

  it('resolves a script relative to the config file, and names a missing one', () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'checkout.mjs'), 'export default async ({ page, step }) => { await step("home", () => page.goto("about:blank")); };\n');
      const yaml = (script: string) => `monitors:\n  - name: scripted\n    browser: true\n    script: ${script}\n`;
      writeFileSync(join(t.dir, 'ok.yaml'), yaml('./checkout.mjs'));
      expect(loadConfigFile(join(t.dir, 'ok.yaml')).config.monitors[0].browser?.script).toBe(join(t.dir, 'checkout.mjs'));
      writeFileSync(join(t.dir, 'bad.yaml'), yaml('./missing.mjs'));
      expect(() => loadConfigFile(join(t.dir, 'bad.yaml'))).toThrow(/monitors\[0\]\.script: cannot read .*missing\.mjs: no such file/);
      expect(problems(`monitors:\n  - name: both\n    browser: true\n    script: ./x.mjs\n    steps: [{ goto: "http://127.0.0.1:3100/" }]\n`)).toEqual(['monitors[0].script: give either steps or script, not both']);
    } finally {
      t.cleanup();
    }
  });
});
