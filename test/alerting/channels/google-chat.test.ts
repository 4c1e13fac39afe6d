import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { googleChatChannel } from '../../../src/alerting/channels/google-chat.js';
import { degradedEvent, downEvent, MONITOR_URL, recoveredEvent, reminderEvent } from './events.js';
import type { FakeProvider } from './fake-provider.js';
import { CHAT_KEY, CHAT_TOKEN, chatPath, startFakeGoogleChat } from './fakes/google-chat.js';
import { optionsOf, problemsFor } from './helpers.js';

describe('google-chat channel', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeGoogleChat();
  });
  afterEach(() => fake.close());
  const url = () => `${fake.url}${chatPath}?key=${CHAT_KEY}&token=${CHAT_TOKEN}`;

  it('posts a cardsV2 card with HTML-escaped evidence, one thread per incident', async () => {
    const o = optionsOf(googleChatChannel, { type: 'google-chat', url: url() });
    for (const e of [downEvent, degradedEvent, reminderEvent, recoveredEvent]) await googleChatChannel.send(e, o);
    expect(fake.rejected).toEqual([]);
    const card = fake.received[0].json.cardsV2[0].card;
    expect(card.header.title).toBe('DOWN Shop <b>&</b> *beta* _v2_ @everyone Café: 3 failed checks in a row at step "pay": HTTP 503');
    const widgets = card.sections[0].widgets;
    expect(widgets).toContainEqual({ decoratedText: { topLabel: 'Monitor', text: 'Shop &lt;b&gt;&amp;&lt;/b&gt; *beta* _v2_ @everyone Café (checkout)', wrapText: true } });
    expect(widgets).toContainEqual({ decoratedText: { topLabel: 'Failing step', text: 'pay', wrapText: true } });
    expect(widgets.at(-1)).toEqual({ buttonList: { buttons: [{ text: 'Open the monitor page', onClick: { openLink: { url: MONITOR_URL } } }] } });
    expect(fake.received[1].json.cardsV2[0].card.sections[0].widgets).toContainEqual({ decoratedText: { topLabel: 'Baseline', text: '420 ms (previous 7d, 40213 samples); alert above 2× = 840 ms', wrapText: true } });
    // DOWN, its reminder and its recovery share a thread; the slow episode has its own.
    const threads = fake.received.map((r) => r.json.thread.threadKey);
    expect(threads[0]).toBe(threads[2]);
    expect(threads[0]).toBe(threads[3]);
    expect(threads[1]).not.toBe(threads[0]);
    expect(fake.received.every((r) => r.query.get('messageReplyOption') === 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD' && r.query.get('key') === CHAT_KEY)).toBe(true);
  });

  it('sends plain text when asked, without threads when asked', async () => {
    const o = optionsOf(googleChatChannel, { type: 'google-chat', url: url(), format: 'text', thread: false });
    await googleChatChannel.send(downEvent, o);
    expect(fake.rejected).toEqual([]);
    const [r] = fake.received;
    expect(r.json.thread).toBeUndefined();
    expect(r.query.get('messageReplyOption')).toBeNull();
    expect(r.json.text).toContain('*Failing step:* pay');
    expect(r.json.text).toContain(`<${MONITOR_URL}|Open the monitor page>`);
  });

  it('names bad options by key', () => {
    expect(problemsFor(googleChatChannel, { type: 'google-chat', url: url(), format: 'html' })).toEqual(['format: Invalid option: expected one of "cards"|"text"']);
  });
});
