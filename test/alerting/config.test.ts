import { describe, expect, it } from 'vitest';
import { emailChannel } from '../../src/alerting/channels/email.js';
import { createChannelRegistry } from '../../src/alerting/channels/registry.js';
import { webhookChannel } from '../../src/alerting/channels/webhook.js';
import { createMaintenanceCalendar } from '../../src/alerting/maintenance.js';
import { resolveMonitorAlerts } from '../../src/alerting/resolve.js';
import { ConfigError } from '../../src/config/read.js';
import { parseRuleShorthand } from '../../src/lang/degraded-rule.js';
import { loadYaml } from './fixtures.js';

const problems = (yaml: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    loadYaml(yaml, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected the config to be rejected');
};

const monitor = `monitors:\n  - { id: shop, name: Shop, steps: [{ url: "http://127.0.0.1:1/" }] }\n`;

describe('alerts config', () => {
  it('parses channels, defaults, maintenance and per-monitor rules (shorthand and structured)', () => {
    const { config, redact } = loadYaml(
      `
server: { publicUrl: "https://status.example.com" }
alerts:
  channels:
    ops: { type: email, host: smtp.example.com, port: 465, secure: true, user: "\${env:SMTP_USER}", password: "\${env:SMTP_PASSWORD}", from: a@example.com, to: ops@example.com }
    chat: { type: webhook, url: "https://hooks.example.com/x", secret: "\${env:HOOK_SECRET}", format: discord }
  defaults: { channels: [ops], reminderEvery: 2h, down: { after: 3 } }
  maintenance:
    - { name: nightly, cron: "0 3 * * *", duration: 30m, timezone: Europe/Berlin, monitors: [shop] }
monitors:
  - id: shop
    name: Shop
    steps: [{ name: pay, url: "http://127.0.0.1:1/" }]
    alerts:
      channels: [ops, chat]
      degraded:
        - p95 > 800ms over 10m
        - { rule: "p95 over 10m > 2x baseline of previous 7d", step: pay, minSamples: 20, enterAfter: 3, leaveAfter: 4 }
        - { percentile: p99, over: 15m, above: 3x, baseline: same hour of week }
  - { id: quiet, name: Quiet, steps: [{ url: "http://127.0.0.1:1/" }], alerts: { enabled: false } }
  - { id: plain, name: Plain, steps: [{ url: "http://127.0.0.1:1/" }] }
`,
      { SMTP_USER: 'mailer', SMTP_PASSWORD: 'hunter22', HOOK_SECRET: 'sig-secret' },
    );
    expect(config.alerts!.channels.ops.options).toMatchObject({ host: 'smtp.example.com', port: 465, secure: true, user: 'mailer', to: ['ops@example.com'] });
    expect(redact(JSON.stringify(config.alerts!.channels))).not.toMatch(/hunter22|sig-secret/);
    const shop = resolveMonitorAlerts(config, config.monitors[0]);
    expect(shop).toMatchObject({ enabled: true, channels: ['ops', 'chat'], down: { after: 3, recoverAfter: 1 }, reminderEveryMs: 7_200_000 });
    expect(shop.degraded).toEqual([
      { text: 'p95 > 800ms over 10m', percentile: 0.95, windowMs: 600_000, thresholdMs: 800, step: null, minSamples: 5, enterAfter: 2, leaveAfter: 2, locations: 1 },
      { text: 'p95 over 10m > 2x baseline of previous 7d', percentile: 0.95, windowMs: 600_000, factor: 2, baseline: 604_800_000, step: 'pay', minSamples: 20, enterAfter: 3, leaveAfter: 4, locations: 1 },
      { text: 'p99 over 15m > 3x baseline same hour of week', percentile: 0.99, windowMs: 900_000, factor: 3, baseline: 'same-hour-of-week', step: null, minSamples: 5, enterAfter: 2, leaveAfter: 2, locations: 1 },
    ]);
    expect(resolveMonitorAlerts(config, config.monitors[1]).enabled).toBe(false);
    // The default route applies to monitors without their own alerts section.
    expect(resolveMonitorAlerts(config, config.monitors[2])).toMatchObject({ enabled: true, channels: ['ops'], degraded: [] });
  });

  it('names the path of every problem, channel options included, in config order', () => {
    expect(
      problems(`
alerts:
  channels:
    mail: { type: email, host: h, port: 99999, from: a@example.com }
    sms: { type: sms }
    hook: { type: webhook, url: "nope", format: teams }
  maintenance:
    - { cron: "61 * * * *", duration: 10m }
    - { start: "2026-12-01T10:00:00Z", end: "2026-12-01T09:00:00Z" }
    - { cron: "0 3 * * *", duration: 1h, timezone: Mars/Olympus }
monitors:
  - id: shop
    name: Shop
    steps: [{ url: "http://127.0.0.1:1/" }]
    alerts:
      degraded: ["p95 > soon over 10m", "p95 over 10m > 2x", { rule: "p95 > 1s over 1m", over: 5m }, { percentile: p101, over: 5m, above: 1s }]
      reminderEvery: 10s
`),
    ).toEqual([
      'alerts.channels.mail.to: required',
      'alerts.channels.mail.port: Too big: expected number to be <=65535',
      'alerts.channels.sms.type: unknown channel type "sms" (known: email, webhook, slack, teams, discord, google-chat, mattermost, pagerduty, opsgenie, ntfy, telegram, pushover)',
      'alerts.channels.hook.url: not a valid URL (expected http:// or https://)',
      'alerts.channels.hook.format: Invalid option: expected one of "json"|"slack"|"discord"',
      'alerts.maintenance[0].cron: not a valid cron expression: minute: 61 is a invalid expression for minute',
      'alerts.maintenance[1].end: end must be after start',
      'alerts.maintenance[2].timezone: not a known IANA time zone (e.g. Europe/Berlin, UTC)',
      'monitors[0].alerts.degraded[0]: not a duration: "soon"',
      'monitors[0].alerts.degraded[1]: cannot read rule "p95 over 10m > 2x": expected e.g. "p95 > 800ms over 10m", "p95 over 10m > 2x baseline 7d" or, for a browser monitor, "lcp p75 > 2.5s over 15m"',
      'monitors[0].alerts.degraded[2]: give either rule (shorthand) or percentile/over/above/baseline, not both',
      'monitors[0].alerts.degraded[3].percentile: not a percentile: "p101" (use p50, p95, p99 or max)',
      'monitors[0].alerts.reminderEvery: must be at least 60000 ms (got 10000 ms)',
    ]);
  });

  it('rejects references to unknown channels and monitors', () => {
    expect(
      problems(`
alerts:
  channels: { mail: { type: email, host: h, from: a@example.com, to: b@example.com } }
  defaults: { channels: [mail, pager] }
  maintenance: [{ start: "2026-12-01T10:00:00Z", end: "2026-12-01T11:00:00Z", monitors: [shop, gone] }]
${monitor.replace('}\n', ', alerts: { channels: [chat] } }\n')}`),
    ).toEqual([
      'alerts.defaults.channels[1]: unknown channel "pager" (known: mail)',
      'alerts.maintenance[0].monitors[1]: unknown monitor id "gone"',
      'monitors[0].alerts.channels[0]: unknown channel "chat" (known: mail)',
    ]);
  });

  it('reads the rule shorthand forms', () => {
    expect(parseRuleShorthand('p99 > 1.5s over 5m')).toEqual({ percentile: 0.99, threshold: 1500, window: 300_000 });
    expect(parseRuleShorthand('max > 3s over 1h')).toEqual({ percentile: 1, threshold: 3000, window: 3_600_000 });
    expect(parseRuleShorthand('p95 over 10m > 2.5x baseline same hour of week')).toEqual({ percentile: 0.95, window: 600_000, factor: 2.5, baseline: 'same-hour-of-week' });
    expect(parseRuleShorthand('p95 over 30s > 2x baseline 7d')).toMatch(/at least 1m/);
    expect(parseRuleShorthand('p95 over 10m > 2x baseline 30d')).toMatch(/at most 7d/);
  });
});

describe('channel registry', () => {
  it('rejects a second plugin with the same type', () => {
    expect(() => createChannelRegistry([emailChannel, webhookChannel, { ...webhookChannel }])).toThrow('duplicate channel type "webhook"');
    expect(createChannelRegistry([emailChannel, webhookChannel]).types()).toEqual(['email', 'webhook']);
  });
});

describe('maintenance calendar', () => {
  const cal = createMaintenanceCalendar([
    { name: 'nightly', monitors: ['shop'], cron: '0 3 * * *', duration: 30 * 60_000, timezone: 'Europe/Berlin' },
    { name: 'migration', start: Date.parse('2026-12-01T22:00:00Z'), end: Date.parse('2026-12-01T23:00:00Z') },
  ]);
  it('recurring windows follow the cron in their time zone, for the listed monitors', () => {
    // 03:00 in Berlin is 02:00 UTC in winter.
    expect(cal.activeFor('shop', Date.parse('2026-11-26T01:59:00Z'))).toBeNull();
    expect(cal.activeFor('shop', Date.parse('2026-11-26T02:00:00Z'))).toMatchObject({ name: 'nightly', start: Date.parse('2026-11-26T02:00:00Z'), end: Date.parse('2026-11-26T02:30:00Z') });
    expect(cal.activeFor('shop', Date.parse('2026-11-26T02:29:59Z'))?.name).toBe('nightly');
    expect(cal.activeFor('shop', Date.parse('2026-11-26T02:30:00Z'))).toBeNull();
    expect(cal.activeFor('other', Date.parse('2026-11-26T02:10:00Z'))).toBeNull();
    // Summer time: 03:00 in Berlin is 01:00 UTC.
    expect(cal.activeFor('shop', Date.parse('2026-07-01T01:10:00Z'))?.name).toBe('nightly');
  });
  it('one-off windows cover every monitor when none are listed, and show as upcoming', () => {
    expect(cal.activeFor('other', Date.parse('2026-12-01T22:30:00Z'))?.name).toBe('migration');
    expect(cal.activeFor('other', Date.parse('2026-12-01T23:00:00Z'))).toBeNull();
    const up = cal.upcoming(Date.parse('2026-12-01T12:00:00Z'));
    expect(up.map((w) => [w.name, new Date(w.start).toISOString()])).toEqual([
      ['migration', '2026-12-01T22:00:00.000Z'],
      ['nightly', '2026-12-02T02:00:00.000Z'],
    ]);
    expect(cal.upcoming(Date.parse('2026-12-01T12:00:00Z'), 3_600_000)).toEqual([]);
  });
});
