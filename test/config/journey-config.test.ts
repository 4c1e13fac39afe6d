import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/read.js';
import { parseConfigText } from '../../src/configure.js';

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml, 't', {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be rejected');
}

describe('journey config', () => {
  it('accepts a full journey with personas, tasks, data, csrf, assets and think time', () => {
    const { config } = parseConfigText(
      `monitors:
  - name: Shop journey
    baseUrl: http://127.0.0.1:3100
    think: { min: 1s, max: 3s }
    csrf: auto
    locale: de
    vars: { term: ball }
    data: { terms: { values: [ball, gloves], pick: unique } }
    personas:
      - name: browser
        weight: 80
        steps: [{ url: /, assets: true, think: 500ms }]
      - name: buyer
        weight: 20
        tasks:
          - name: search
            weight: 5
            steps:
              - url: /search
                query: { q: "{{ terms }}" }
                extract: { product: { css: a.product, attr: href, pick: random } }
        after: [{ method: POST, url: /logout, alwaysRun: true, form: {} }]
`,
      't',
      {},
    );
    const m = config.monitors[0];
    expect(m.think).toEqual({ min: 1000, max: 3000 });
    expect(m.personas![0].steps[0]).toMatchObject({ assets: true, think: { min: 500, max: 500 }, alwaysRun: false });
    expect(m.personas![1]).toMatchObject({ weight: 20, iterations: 1, steps: [] });
    expect(m.personas![1].tasks[0].steps[0].extract!.product).toMatchObject({ css: 'a.product', attr: 'href', pick: 'random', optional: false, secret: false });
    expect(m.session).toBeUndefined();
    expect(m.locale).toBe('de');
  });

  it('names the path of each journey mistake', () => {
    const list = problems(`monitors:
  - name: bad
    personas:
      - name: p
        steps:
          - url: /relative
          - url: "http://x/{{ oops"
          - url: http://x/
            method: GET
            form: { a: 1 }
          - url: http://x/
            extract:
              token: { css: input, json: $.a }
              other: { regex: "(" }
              third: { json: "$.a[" }
            expect: { json: [{ path: $.a, gt: nope }] }
          - url: http://x/
            csrf: maybe
            think: { min: 2s, max: 1s }
      - name: q
        weight: 0
`);
    expect(list).toContain('monitors[0].personas[0].steps[1].url: template: unclosed "{{" at position 9');
    expect(list).toContain('monitors[0].personas[0].steps[2].form: a GET request has no body (set method: POST)');
    expect(list).toContain('monitors[0].personas[0].steps[3].extract.token: give exactly one of json, regex, css, header, cookie, status (got json, css)');
    expect(list.some((p) => p.startsWith('monitors[0].personas[0].steps[3].extract.other.regex: not a valid regular expression'))).toBe(true);
    expect(list).toContain('monitors[0].personas[0].steps[3].extract.third.json: "$.a[": unclosed "["');
    expect(list.some((p) => p.startsWith('monitors[0].personas[0].steps[3].expect.json[0].gt'))).toBe(true);
    expect(list.some((p) => p.startsWith('monitors[0].personas[0].steps[4].csrf'))).toBe(true);
    expect(list.some((p) => p.startsWith('monitors[0].personas[0].steps[4].think'))).toBe(true);
    expect(list.some((p) => p.startsWith('monitors[0].personas[1].weight'))).toBe(true);
  });

  it('a path URL needs baseUrl; steps and personas exclude each other', () => {
    expect(problems('monitors:\n  - name: a\n    steps: [{ url: /x }]\n')).toEqual(["monitors[0].steps[0].url: a path needs the monitor's baseUrl (or give a full http:// URL)"]);
    expect(problems('monitors:\n  - name: a\n    steps: [{ url: "http://x/" }]\n    personas: [{ name: p, steps: [{ url: "http://x/" }] }]\n')).toEqual([
      'monitors[0].personas: give either steps or personas, not both',
    ]);
  });
});
