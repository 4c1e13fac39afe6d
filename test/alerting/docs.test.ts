import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveMonitorAlerts } from '../../src/alerting/resolve.js';
import { loadYaml } from './fixtures.js';

/** The secrets the channel snippets read, with values of the right shape. */
const SNIPPET_ENV = {
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/x',
  TEAMS_WORKFLOW_URL: 'https://example.powerplatform.com/workflows/x/triggers/manual/paths/invoke?sig=x',
  DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/x',
  GOOGLE_CHAT_WEBHOOK_URL: 'https://chat.googleapis.com/v1/spaces/x/messages?key=k&token=t',
  MATTERMOST_WEBHOOK_URL: 'https://chat.example.com/hooks/x',
  PAGERDUTY_ROUTING_KEY: 'a'.repeat(32),
  OPSGENIE_API_KEY: 'opsgenie-key-0000',
  NTFY_TOKEN: 'tk_x',
  TELEGRAM_BOT_TOKEN: '123:abc',
  PUSHOVER_APP_TOKEN: 'a'.repeat(30),
  PUSHOVER_USER_KEY: 'u'.repeat(30),
};

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
      expect(() => loadYaml(withMonitor, SNIPPET_ENV)).not.toThrow();
    }
  });
});
