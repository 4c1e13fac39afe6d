import { describe, expect, it } from 'vitest';
import { ConfigError, EXAMPLE_CONFIG_PATH } from '../../src/config/read.js';
import { loadConfigFile, parseConfigText } from '../../src/configure.js';
import { parseDuration } from '../../src/lang/duration.js';

function problems(yaml: string, env: NodeJS.ProcessEnv = {}) {
  try {
    parseConfigText(yaml, 'test.yaml', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be rejected');
}

describe('durations', () => {
  it('parses units to milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(parseDuration('-1s')).toBeUndefined();
  });
});

describe('config loading', () => {
  it('applies defaults once', () => {
    const { config } = parseConfigText('monitors:\n  - name: Home\n    steps:\n      - url: http://127.0.0.1/\n', 't', {});
    expect(config.server).toEqual({ host: '127.0.0.1', port: 3000, title: 'Status', trustProxy: 0, shutdownGrace: 8000 });
    expect(config.selfCheck).toEqual({ every: 60_000, alertAfter: 60_000 });
    expect(config.storage.path).toBe('./data/halftime.db');
    const m = config.monitors[0];
    expect(m.public).toBe(false);
    expect(m.steps[0]).toMatchObject({ method: 'GET', headers: {}, followRedirects: true, maxRedirects: 10, expect: {} });
  });

  it('names the path of every problem', () => {
    const list = problems(`
monitors:
  - name: ok
    every: 30s
    steps:
      - url: http://127.0.0.1/
  - name: broken
    every: soon
    steps:
      - url: not-a-url
        method: FETCH
        timeout: 5 minutes
        expect:
          status: 999
`);
    expect(list).toContain('monitors[1].every: not a duration: "soon" (use e.g. 500ms, 30s, 5m, 1h)');
    expect(list).toContain('monitors[1].steps[0].url: not a valid URL (expected http:// or https://)');
    expect(list.some((p) => p.startsWith('monitors[1].steps[0].method:'))).toBe(true);
    expect(list.some((p) => p.startsWith('monitors[1].steps[0].timeout: not a duration'))).toBe(true);
    expect(list.some((p) => p.startsWith('monitors[1].steps[0].expect.status'))).toBe(true);
    expect(list.some((p) => p.startsWith('monitors[0]'))).toBe(false);
  });

  it('rejects unknown keys (typos) by name, with the key meant or the keys allowed there', () => {
    expect(problems('monitors:\n  - name: a\n    steps:\n      - url: http://127.0.0.1/\n        expcet: {}\n')).toEqual([
      'monitors[0].steps[0]: unknown key: expcet (did you mean expect?)',
    ]);
    expect(problems('servr: {}\nmonitors:\n  - name: a\n    steps:\n      - url: http://127.0.0.1/\n        extract: { t: { css: a, atr: href } }\n        zzz: 1\n')).toEqual([
      ': unknown key: servr (did you mean server?)', // the root: ConfigError's text prints it as (root)
      'monitors[0].steps[0]: unknown key: zzz; allowed here: name, method, url, query, headers, form, json, body, timeout, followRedirects, maxRedirects, maxBodyBytes, alwaysRun, extract, expect, csrf, assets, think',
      'monitors[0].steps[0].extract.t: unknown key: atr (did you mean attr?)',
    ]);
  });

  it('rejects duplicate monitor ids, both every and cron, bad cron and empty steps', () => {
    const list = problems(`
monitors:
  - name: Shop
    steps: [{ url: "http://127.0.0.1/" }]
  - name: shop
    every: 10s
    cron: "* * * * *"
    steps: [{ url: "http://127.0.0.1/" }]
  - name: c
    cron: "99 * * * *"
    steps: []
`);
    expect(list).toContain('monitors[1].name: duplicate monitor id "shop" (also monitors[0]); give each monitor its own id');
    expect(list).toContain('monitors[1].cron: give either every or cron, not both');
    expect(list.some((p) => p.startsWith('monitors[2].cron: not a valid cron expression'))).toBe(true);
    expect(list).toContain('monitors[2].steps: a monitor needs at least one step');
  });

  it('reports YAML syntax errors with a line number', () => {
    const list = problems('monitors:\n  - name: [unclosed\n');
    expect(list[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('takes secrets from the environment and can redact them', () => {
    const loaded = parseConfigText(
      'monitors:\n  - name: api\n    steps:\n      - url: "http://127.0.0.1/?key=${env:API_KEY}"\n        headers: { authorization: "Bearer ${env:API_TOKEN}" }\n',
      't',
      { API_KEY: 's3cr3t/key', API_TOKEN: 'tok-123456' },
    );
    const step = loaded.config.monitors[0].steps[0];
    expect(step.headers.authorization).toBe('Bearer tok-123456');
    expect(loaded.secretNames.sort()).toEqual(['API_KEY', 'API_TOKEN']);
    expect(loaded.redact(`GET ${step.url} with ${step.headers.authorization}`)).toBe(
      'GET http://127.0.0.1/?key=[secret:API_KEY] with Bearer [secret:API_TOKEN]',
    );
    // URL-encoded form is hidden too.
    expect(loaded.redact('q=s3cr3t%2Fkey')).toBe('q=[secret:API_KEY]');
  });

  it('names a missing environment variable and where it is used', () => {
    expect(problems('monitors:\n  - name: api\n    steps:\n      - url: "http://127.0.0.1/"\n        headers: { x-token: "${env:MISSING_TOKEN}" }\n')).toContain(
      'monitors[0].steps[0].headers["x-token"]: environment variable MISSING_TOKEN is not set',
    );
  });

  it('says when the file cannot be read', () => {
    expect(() => loadConfigFile('/nonexistent/halftime.yaml')).toThrow(/cannot read config file: ENOENT/);
  });

  it('the embedded example is valid', () => {
    const { config } = loadConfigFile(EXAMPLE_CONFIG_PATH, {});
    expect(config.monitors.length).toBeGreaterThan(0);
    expect(config.monitors.some((m) => m.public)).toBe(true);
  });
});
