/**
 * A Google Chat space webhook: POST JSON to /v1/spaces/<space>/messages?key=…&token=…; 200 with the
 * created message. Messages with the same thread key land in one thread when messageReplyOption asks.
 */
import { z } from 'zod';
import { mediaType, problemsOf, startFakeProvider } from '../fake-provider.js';

export const CHAT_SPACE = 'AAAAq1w2e3r';
export const CHAT_KEY = 'AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI';
export const CHAT_TOKEN = 'p4Lm9xQ2vR7tK1nB8cW3yH6dF0sJ5aGe2uKi4oXtMzV';
export const chatPath = `/v1/spaces/${CHAT_SPACE}/messages`;

/** Card text is a small HTML subset: other `<` and bare `&` must be escaped. */
function cardHtmlProblems(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/<[^>]*>?/g)) if (!/^<\/?(b|i|u|s|br|font|a)(\s+[a-z]+="[^"]*")*\s*\/?>$/.test(m[0])) out.push(`unsupported markup in card text: ${m[0].slice(0, 30)}`);
  for (const m of text.matchAll(/&[^\s]*/g)) if (!/^&(amp|lt|gt|quot|#\d+);/.test(m[0])) out.push(`bare "&" in card text: ${m[0].slice(0, 20)}`);
  return out;
}

const widget = z.union([
  z.object({ decoratedText: z.object({ text: z.string().min(1), topLabel: z.string().optional(), wrapText: z.boolean().optional() }) }).strict(),
  z.object({ textParagraph: z.object({ text: z.string().min(1) }) }).strict(),
  z.object({ buttonList: z.object({ buttons: z.array(z.object({ text: z.string().min(1), onClick: z.object({ openLink: z.object({ url: z.url() }) }) })).min(1) }) }).strict(),
]);

const message = z
  .object({
    text: z.string().max(32_000).optional(),
    fallbackText: z.string().optional(),
    cardsV2: z
      .array(z.object({ cardId: z.string().min(1), card: z.object({ header: z.object({ title: z.string().min(1), subtitle: z.string().optional() }).optional(), sections: z.array(z.object({ widgets: z.array(widget).min(1) })).min(1) }) }))
      .optional(),
    thread: z.object({ threadKey: z.string().min(1).max(4000) }).optional(),
  })
  .strict()
  .refine((m) => m.text || m.cardsV2?.length, 'Message cannot be empty.');

const error = (code: number, status: string, message: string) => ({ status: code, body: { error: { code, message, status } } });

export async function startFakeGoogleChat() {
  const threads = new Map<string, string>();
  let n = 0;
  const fake = await startFakeProvider((r, reject) => {
    if (r.path !== chatPath) return error(404, 'NOT_FOUND', 'Requested entity was not found.');
    if (r.query.get('key') !== CHAT_KEY || r.query.get('token') !== CHAT_TOKEN) return error(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    const option = r.query.get('messageReplyOption');
    const problems = mediaType(r) === 'application/json' ? problemsOf(message, r.json) : [`content-type ${mediaType(r)}`];
    if (option !== null && !['MESSAGE_REPLY_OPTION_UNSPECIFIED', 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD', 'REPLY_MESSAGE_OR_FAIL'].includes(option)) problems.push(`messageReplyOption: ${option}`);
    if (problems.length === 0) {
      const texts = (r.json.cardsV2 ?? []).flatMap((c: any) => c.card.sections.flatMap((s: any) => s.widgets.map((w: any) => w.decoratedText?.text ?? w.textParagraph?.text).filter(Boolean)));
      problems.push(...texts.flatMap(cardHtmlProblems));
    }
    if (problems.length) {
      reject(problems);
      return error(400, 'INVALID_ARGUMENT', `Invalid JSON payload received. ${problems[0]}`);
    }
    // Without a reply option every message starts a thread of its own.
    const key = r.json.thread?.threadKey;
    const replying = key && option?.startsWith('REPLY_MESSAGE');
    const thread = (replying && threads.get(key)) || `spaces/${CHAT_SPACE}/threads/t${++n}`;
    if (replying) threads.set(key, thread);
    return { status: 200, body: { name: `spaces/${CHAT_SPACE}/messages/m${n}.${Date.now()}`, sender: { type: 'BOT' }, text: r.json.text ?? '', thread: { name: thread }, space: { name: `spaces/${CHAT_SPACE}` } } };
  });
  return fake;
}

export const chatRateLimit = error(429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per space'.");
