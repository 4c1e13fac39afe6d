/** The README and docs/alerts.md name every channel type, and their examples are valid configs. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { builtinChannels, channelOptionSchemas } from '../../../src/alerting/channels/index.js';
import { loadYaml } from '../fixtures.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const alertsDoc = readFileSync(new URL('../../../docs/alerts.md', import.meta.url), 'utf8');
const yamlBlocks = (md: string) => [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const monitor = 'monitors:\n  - { id: checkout, name: Checkout, steps: [{ url: "http://127.0.0.1:1/" }] }\n';

/** Secrets of the right shape for every `${env:…}` the examples use. */
const ENV: Record<string, string> = {
  WEBHOOK_URL: 'https://hooks.example.com/in',
  WEBHOOK_SECRET: 'hook-secret',
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

describe('channel docs', () => {
  it('the README has a valid minimal config and a line for every channel type', () => {
    const section = readme.slice(readme.indexOf('\n## Alerts\n'), readme.indexOf('\n## ', readme.indexOf('\n## Alerts\n') + 5));
    const block = yamlBlocks(section).find((b) => b.includes('type: pagerduty'));
    expect(block).toBeDefined();
    const { config } = loadYaml(block! + monitor, ENV);
    expect(new Set(Object.values(config.alerts!.channels).map((c) => c.type))).toEqual(new Set(builtinChannels.types()));
    for (const type of builtinChannels.types()) expect(section).toMatch(new RegExp(`\\n\\| \`${type}\` +\\|`));
  });

  it('docs/alerts.md describes every channel type with every option and a valid example', () => {
    const names = builtinChannels.types();
    for (const { type, schema } of channelOptionSchemas) {
      const start = alertsDoc.indexOf(`\n**${type}**`);
      expect(start, `a **${type}** section`).toBeGreaterThan(-1);
      const next = Math.min(...names.map((n) => alertsDoc.indexOf(`\n**${n}**`, start + 5)).filter((i) => i > start), alertsDoc.indexOf('\n### ', start));
      const section = alertsDoc.slice(start, next);
      const keys = Object.keys((z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: object }).properties).filter((k) => k !== 'type' && k !== 'timeout');
      for (const key of keys) expect(section, `${type}: option ${key}`).toContain(`\`${key}\``);
      const examples = yamlBlocks(section);
      if (type !== 'email' && type !== 'webhook') expect(examples.length, `${type} example`).toBe(1);
      for (const b of examples) expect(() => loadYaml(b + monitor, ENV)).not.toThrow();
    }
  });
});
