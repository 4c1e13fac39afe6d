/** `halftime validate`, `alert-test` and `schema` with the provider channels, through the real CLI. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinChannels } from '../../../src/alerting/channels/index.js';
import { tempDir } from '../../helpers.js';
import { PD_ROUTING_KEY, startFakePagerDuty } from './fakes/pagerduty.js';
import { startFakeTelegram, TG_CHAT, TG_TOKEN } from './fakes/telegram.js';

const run = promisify(execFile);
const tsx = join(process.cwd(), 'node_modules/.bin/tsx');
const cli = join(process.cwd(), 'src/cli/index.ts');
const halftime = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(tsx, [cli, ...args], { env: { ...process.env, ...env }, timeout: 30_000, maxBuffer: 16 << 20 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('halftime CLI with provider channels', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());
  const write = (yaml: string) => {
    const file = join(tmp.dir, 'halftime.yaml');
    writeFileSync(file, yaml + '\nmonitors:\n  - { id: shop, name: Shop, steps: [{ url: "http://127.0.0.1:1/" }] }\n');
    return file;
  };

  it('validate names each bad channel option by its path', async () => {
    const file = write(`alerts:
  channels:
    pager: { type: pagerduty, routingKey: "\${env:PD_KEY}", severity: { down: fatal } }
    phone: { type: pushover, token: abc, user: "\${env:PUSHOVER_USER}" }
    chat: { type: teams }
    tg: { type: telegram, botToken: "\${env:TG_TOKEN}", chatId: ops, colour: red }
    pager2: { type: pagerdutty, routingKey: x }`);
    const r = await halftime(['validate', '--config', file], { PD_KEY: 'too-short-key', PUSHOVER_USER: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG', TG_TOKEN });
    // An invalid config is wrong input: exit 2 (src/cli/exit-codes.ts).
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').map((l) => l.trim());
    expect(lines).toContain('alerts.channels.pager.routingKey: a PagerDuty integration key is 32 characters');
    expect(lines).toContain('alerts.channels.pager.severity.down: Invalid option: expected one of "critical"|"error"|"warning"|"info"');
    expect(lines).toContain('alerts.channels.phone.token: a Pushover key is 30 letters and digits');
    expect(lines).toContain('alerts.channels.chat.url: required');
    expect(lines).toContain('alerts.channels.tg.chatId: a chat id is a number (-100… for groups and channels) or @channelname');
    expect(lines).toContain('alerts.channels.tg: unknown key: colour');
    expect(lines).toContain(`alerts.channels.pager2.type: unknown channel type "pagerdutty" (known: ${builtinChannels.types().join(', ')})`);
    expect(r.stderr).not.toContain(TG_TOKEN);
  });

  it('alert-test triggers and resolves a PagerDuty test alert, and reports a refused Telegram token without showing it', async () => {
    const pd = await startFakePagerDuty();
    const tg = await startFakeTelegram();
    try {
      const file = write(`server: { title: Shop status }
alerts:
  channels:
    pager: { type: pagerduty, routingKey: "\${env:PD_KEY}", apiUrl: "${pd.url}" }
    tg: { type: telegram, botToken: "\${env:TG_TOKEN}", chatId: ${TG_CHAT}, apiUrl: "${tg.url}" }`);
      const ok = await halftime(['alert-test', 'pager', '--config', file], { PD_KEY: PD_ROUTING_KEY, TG_TOKEN });
      expect(ok.stdout).toContain('halftime: test message sent through "pager" (pagerduty)');
      expect(ok.code).toBe(0);
      expect(pd.received.map((r) => r.json.event_action)).toEqual(['trigger', 'resolve']);
      expect(pd.received[0].json.payload.summary).toBe('Test message for Shop status');
      expect([...pd.alerts.values()].map((a) => a.status)).toEqual(['resolved']);

      const wrong = TG_TOKEN.replace(/.$/, 'x');
      const bad = await halftime(['alert-test', 'tg', '--config', file], { PD_KEY: PD_ROUTING_KEY, TG_TOKEN: wrong });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe('halftime: sending through "tg" failed: Telegram answered HTTP 401: Unauthorized\n');
      expect(tg.received).toHaveLength(1);
      expect(pd.rejected).toEqual([]);
    } finally {
      await pd.close();
      await tg.close();
    }
  });

  it('schema describes every channel type and its options', async () => {
    const r = await halftime(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    const defs = (schema.$defs ?? {}) as Record<string, any>;
    // A part of the schema may be inline or a reference into $defs.
    const deref = (node: any): any => (node && typeof node.$ref === 'string' ? deref(defs[node.$ref.split('/').at(-1)]) : node);
    const alerts = deref(schema.properties.alerts);
    const variants = (deref(deref(deref(alerts.properties.channels).additionalProperties).oneOf) as any[]).map(deref);
    expect(variants.map((v) => v.properties.type.const)).toEqual(builtinChannels.types());
    const byType = Object.fromEntries(variants.map((v) => [v.properties.type.const, v]));
    expect(byType.pagerduty.required).toEqual(['type', 'routingKey']);
    expect(byType.pagerduty.properties.apiUrl.default).toBe('https://events.pagerduty.com');
    expect(byType.ntfy.properties.priority.properties.down).toMatchObject({ type: 'integer', minimum: 1, maximum: 5 });
    expect(byType.telegram.additionalProperties).toBe(false);
    expect(byType['google-chat'].properties.format.enum).toEqual(['cards', 'text']);
  });
});
