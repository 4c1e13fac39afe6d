import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createObserver } from '../../src/export/observe.js';
import { config, fakeRun } from './fixtures.js';

/** docs/observability.md and the README's Observability section stay true: their configs load, their metric list is what /metrics serves. */
const doc = readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const yamlBlocks = (md: string) => [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
const env = { METRICS_TOKEN: 'a-metrics-token-0123456789', METRICS_PASSWORD: 'a-metrics-password-1' };

describe('docs/observability.md', () => {
  it('its configs are valid', () => {
    const blocks = yamlBlocks(doc);
    const full = config(blocks.find((b) => b.includes('monitors:'))!, env).config;
    expect(full.otel?.endpoint).toBe('http://otel-collector:4318');
    expect(full.monitors.map((m) => m.trace)).toEqual([undefined, false]);
    for (const b of blocks.filter((x) => /^(metrics|otel):/m.test(x) && !x.includes('scrape_configs'))) expect(() => config(b, env)).not.toThrow();
    const [section] = yamlBlocks(readme.slice(readme.indexOf('\n## Observability\n')));
    expect(config(section, env).config.otel?.traceUrl).toContain('{traceId}');
  });

  it('lists exactly the halftime_* metrics /metrics serves', async () => {
    const o = createObserver({ loaded: config('otel: { endpoint: "http://127.0.0.1:9", traces: true }\nmonitors: []'), processMetrics: false });
    o.runs([fakeRun(), fakeRun({ ok: false })]);
    o.watch({ alertRules: () => [{ monitor: 'shop', rule: 'p95 > 1s over 5m', active: false, valueMs: 1, thresholdMs: 2, baselineMs: 3, samples: 4 }], monitorState: () => 'up', openIncidents: () => [], outboxPending: () => 0, scheduler: () => ({ started: 0, finished: 0, skipped: 0, inFlight: 0, queued: 0 }), writer: () => ({ pending: 0, written: 0 }) });
    o.lateness(1);
    const served = new Set([...(await o.scrape('prometheus')).body.matchAll(/^# TYPE (halftime_\w+) /gm)].map((m) => m[1]));
    await o.stop(200);
    const documented = new Set([...doc.matchAll(/`(halftime_[a-z_]+)`/g)].map((m) => m[1]));
    expect([...served].filter((n) => !documented.has(n))).toEqual([]);
    expect([...documented].filter((n) => !served.has(n))).toEqual([]);
  });
});
