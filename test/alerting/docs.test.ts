import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveMonitorAlerts } from '../../src/alerting/resolve.js';
import { loadYaml } from './fixtures.js';

describe('docs/alerts.md', () => {
  it('its full example config is valid', () => {
    const md = readFileSync(new URL('../../docs/alerts.md', import.meta.url), 'utf8');
    const blocks = [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    const full = blocks.find((b) => b.includes('monitors:'))!;
    const { config } = loadYaml(full, { SMTP_USER: 'u', SMTP_PASSWORD: 'mail-password', WEBHOOK_SECRET: 'hook-secret', SLACK_WEBHOOK_URL: 'https://hooks.example.com/T0/B0/x' });
    expect(Object.keys(config.alerts!.channels)).toEqual(['ops-mail', 'team-chat']);
    expect(resolveMonitorAlerts(config, config.monitors[0]).degraded.map((r) => r.text)).toEqual([
      'p95 > 800ms over 10m',
      'p95 over 10m > 2x baseline 7d',
      'p99 over 15m > 3x baseline same hour of week',
    ]);
    expect(resolveMonitorAlerts(config, config.monitors[1]).enabled).toBe(false);
    // The smaller snippets are valid alerts sections too.
    for (const b of blocks.filter((b) => b.startsWith('alerts:'))) {
      const withMonitor = `${b}\nmonitors:\n  - { id: checkout, name: Checkout, steps: [{ url: "http://127.0.0.1:1/" }] }\n`;
      expect(() => loadYaml(withMonitor)).not.toThrow();
    }
  });
});
