/**
 * The Telegram Bot API: POST /bot<token>/sendMessage with JSON; parse_mode HTML is parsed the way
 * Telegram does (only its tags, only &lt; &gt; &amp; &quot; and numeric entities, 4096 characters
 * of visible text); errors as `{ ok: false, error_code, description }`.
 */
import { mediaType, startFakeProvider } from '../fake-provider.js';

export const TG_TOKEN = '7203948516:AAH4kq9Xv2LmPz8TnR3wYc6HsD1aFgJ5uE0';
export const TG_CHAT = -1001234567890;

const TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'blockquote', 'tg-emoji']);
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** The visible text of a Telegram HTML message, or why Telegram would refuse it. */
export function parseTelegramHtml(html: string): { text: string; links: string[] } | { error: string } {
  let text = '';
  const links: string[] = [];
  const open: string[] = [];
  for (let i = 0; i < html.length; ) {
    const c = html[i]!;
    if (c === '<') {
      const m = /^<(\/?)([a-z-]+)((?:\s+[a-z-]+="[^"]*")*)\s*>/.exec(html.slice(i));
      if (!m) return { error: `Bad Request: can't parse entities: Unexpected end name token at byte offset ${i}` };
      const [whole, closing, name, attrs] = m;
      if (!TAGS.has(name!)) return { error: `Bad Request: can't parse entities: Unsupported start tag "${name}" at byte offset ${i}` };
      if (closing) {
        if (open.pop() !== name) return { error: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${name}"` };
      } else {
        open.push(name!);
        if (name === 'a') links.push(/href="([^"]*)"/.exec(attrs!)?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"') ?? '');
      }
      i += whole!.length;
    } else if (c === '&') {
      const m = /^&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/i.exec(html.slice(i));
      if (!m) return { error: `Bad Request: can't parse entities: Character '&' is reserved and must be escaped with the preceding '\\' at byte offset ${i}` };
      const e = m[1]!;
      text += e.startsWith('#') ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITIES[e.toLowerCase()]!;
      i += m[0].length;
    } else if (c === '>') {
      return { error: `Bad Request: can't parse entities: Character '>' is reserved at byte offset ${i}` };
    } else {
      text += c;
      i++;
    }
  }
  if (open.length) return { error: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${open.at(-1)}"` };
  return { text, links };
}

export type TelegramSent = { chatId: number | string; text: string; links: string[]; body: any };

export async function startFakeTelegram() {
  const sent: TelegramSent[] = [];
  const fail = (code: number, description: string, parameters?: object) => ({ status: code, body: { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) } });
  const fake = await startFakeProvider((r, reject) => {
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(r.path);
    if (!m) return fail(404, 'Not Found');
    if (m[1] !== TG_TOKEN) return fail(401, 'Unauthorized');
    if (m[2]!.toLowerCase() !== 'sendmessage') return fail(404, 'Not Found: method not found');
    if (mediaType(r) !== 'application/json' || !r.json) {
      reject([`content-type ${mediaType(r)}`]);
      return fail(400, 'Bad Request: message text is empty');
    }
    const b = r.json;
    if (b.chat_id !== TG_CHAT && b.chat_id !== String(TG_CHAT)) return fail(400, 'Bad Request: chat not found');
    const problems: string[] = [];
    if (b.parse_mode !== 'HTML') problems.push(`parse_mode: ${b.parse_mode} (this test expects HTML)`);
    if (typeof b.text !== 'string' || !b.text) problems.push('text: empty');
    const parsed = parseTelegramHtml(String(b.text ?? ''));
    if ('error' in parsed) problems.push(parsed.error);
    else if (parsed.text.length > 4096) problems.push('Bad Request: message is too long');
    if (problems.length) {
      reject(problems);
      return fail(400, problems.find((p) => p.startsWith('Bad Request')) ?? `Bad Request: ${problems[0]}`);
    }
    const ok = parsed as { text: string; links: string[] };
    sent.push({ chatId: b.chat_id, text: ok.text, links: ok.links, body: b });
    return { status: 200, body: { ok: true, result: { message_id: sent.length, date: 1795435200, chat: { id: TG_CHAT, title: 'Ops', type: 'supergroup' }, text: ok.text } } };
  });
  return Object.assign(fake, { sent });
}

export const telegramRateLimit = { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 35', parameters: { retry_after: 35 } } };
