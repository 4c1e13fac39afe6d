import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { telegramChannel } from '../../../src/alerting/channels/telegram.js';
import { degradedEvent, downEvent, hugeEvent, MONITOR_URL, TRICKY_NAME } from './events.js';
import { startFakeTelegram, TG_CHAT, TG_TOKEN } from './fakes/telegram.js';
import { optionsOf, problemsFor } from './helpers.js';

describe('telegram channel', () => {
  let fake: Awaited<ReturnType<typeof startFakeTelegram>>;
  beforeEach(async () => {
    fake = await startFakeTelegram();
  });
  afterEach(() => fake.close());
  const options = (extra = {}) => optionsOf(telegramChannel, { type: 'telegram', botToken: TG_TOKEN, chatId: TG_CHAT, apiUrl: fake.url, ...extra });

  it('sends HTML that Telegram parses back to exactly the evidence', async () => {
    await telegramChannel.send(downEvent, options());
    await telegramChannel.send(degradedEvent, options({ messageThreadId: 42, silent: true }));
    expect(fake.rejected).toEqual([]);
    const [down, slow] = fake.sent;
    expect(down.text.split('\n')[0]).toBe(`DOWN ${TRICKY_NAME}: 3 failed checks in a row at step "pay": HTTP 503`);
    expect(down.text).toContain('Last failure: [status] expected status 200, got 503 (<html> & more)');
    expect(down.text).toContain('Failing step: pay');
    expect(down.text).toContain('Started: 2026-11-23 10:00 UTC');
    expect(down.links).toEqual([MONITOR_URL]);
    expect(down.body).toMatchObject({ parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
    expect(down.body.disable_notification).toBeUndefined();
    expect(slow.text).toContain('Baseline: 420 ms (previous 7d, 40213 samples); alert above 2× = 840 ms');
    expect(slow.body).toMatchObject({ message_thread_id: 42, disable_notification: true });
  });

  it('a message longer than Telegram allows is shortened, not refused', async () => {
    await telegramChannel.send(hugeEvent, options());
    expect(fake.rejected).toEqual([]);
    expect(fake.sent[0].text.length).toBeLessThanOrEqual(4096);
    expect(fake.sent[0].text).toContain('Failing step: pay');
  });

  it('an unknown chat is the provider’s 400, and the token never shows', async () => {
    const err = await telegramChannel.send(downEvent, options({ chatId: -100999 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, message: 'Telegram answered HTTP 400: Bad Request: chat not found' });
    expect(fake.received[0].path).toBe(`/bot${TG_TOKEN}/sendMessage`);
  });

  it('defaults to the real Bot API and names bad options', () => {
    expect(optionsOf(telegramChannel, { type: 'telegram', botToken: TG_TOKEN, chatId: '@halftime_ops' }).apiUrl).toBe('https://api.telegram.org');
    expect(problemsFor(telegramChannel, { type: 'telegram', botToken: 'nope', chatId: 'ops' })).toEqual([
      'botToken: a bot token looks like 123456789:AAH…',
      'chatId: a chat id is a number (-100… for groups and channels) or @channelname',
    ]);
  });
});
