import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendTestMessage } from '../../src/alerting/alert-test.js';
import { tempDir } from '../helpers.js';
import { freePort, loadYaml, startHookReceiver, startSmtp, type SmtpSink } from './fixtures.js';

const run = promisify(execFile);
const tsx = join(process.cwd(), 'node_modules/.bin/tsx');
const cli = join(process.cwd(), 'src/cli/index.ts');

const yaml = (smtpPort: number, hookUrl = 'http://127.0.0.1:1/') => `
server: { title: Shop status, publicUrl: "https://status.example.com" }
alerts:
  channels:
    ops-mail: { type: email, host: 127.0.0.1, port: ${smtpPort}, user: "\${env:SMTP_USER}", password: "\${env:SMTP_PASSWORD}", from: a@example.com, to: ops@example.com, timeout: 2000 }
    hook: { type: webhook, url: "${hookUrl}", secret: "\${env:HOOK_SECRET}", format: slack }
monitors:
  - { id: shop, name: Shop, steps: [{ url: "http://127.0.0.1:1/" }] }
`;
const ENV = { SMTP_USER: 'alerts', SMTP_PASSWORD: 'smtp-pass-123', HOOK_SECRET: 'hook-secret-9' };

describe('halftime alert-test', () => {
  let tmp: ReturnType<typeof tempDir>;
  let smtp: SmtpSink | undefined;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
    tmp.cleanup();
  });

  it('the CLI sends a test email through a real SMTP server (with auth)', async () => {
    smtp = await startSmtp();
    const file = join(tmp.dir, 'halftime.yaml');
    writeFileSync(file, yaml(smtp.port));
    const { stdout } = await run(tsx, [cli, 'alert-test', 'ops-mail', '--config', file], { env: { ...process.env, ...ENV }, timeout: 20_000 });
    expect(stdout).toContain('test message sent through "ops-mail" (email)');
    const [mail] = await smtp.waitFor(1);
    expect(mail.subject).toBe('[halftime] Test message for Shop status');
    expect(smtp.logins).toEqual(['alerts']);
    expect(mail.text).toContain('test message from halftime alert-test');
    expect(mail.text).toContain('https://status.example.com/#monitor-shop');
  });

  it('the CLI exits 1 with a clear message when SMTP is unreachable or the channel is unknown, without leaking secrets', async () => {
    const file = join(tmp.dir, 'halftime.yaml');
    writeFileSync(file, yaml(await freePort()));
    const err = await run(tsx, [cli, 'alert-test', 'ops-mail', '--config', file], { env: { ...process.env, ...ENV }, timeout: 20_000 }).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/sending through "ops-mail" failed: .*ECONNREFUSED/);
    expect(err.stderr).not.toContain('smtp-pass-123');
    smtp = await startSmtp();
    const wrong = await sendTestMessage(loadYaml(yaml(smtp.port), { ...ENV, SMTP_PASSWORD: 'not-the-password' }), 'ops-mail');
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.error).toMatch(/Invalid login|bad credentials|535/);
    expect(!wrong.ok && wrong.error).not.toContain('not-the-password');
    expect(smtp.mails).toHaveLength(0);
    const r = await sendTestMessage(loadYaml(yaml(1), ENV), 'pager');
    expect(r).toEqual({ ok: false, error: 'no channel "pager" under alerts.channels in test.yaml (known: ops-mail, hook)' });
  });

  it('sends a signed test message to a webhook', async () => {
    const hook = await startHookReceiver('hook-secret-9');
    try {
      const r = await sendTestMessage(loadYaml(yaml(1, `${hook.url}/in`), ENV), 'hook');
      expect(r).toEqual({ ok: true, type: 'webhook' });
      expect(hook.received[0].signatureOk).toBe(true);
      expect((hook.received[0].json as { text: string }).text).toBe('[halftime] Test message for Shop status');
    } finally {
      await hook.close();
    }
  });
});
