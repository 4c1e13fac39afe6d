/**
 * An ntfy server: POST the message body to /<topic>; title, priority, tags and click link as
 * headers (RFC 2047 encoded-words decoded, as ntfy does); a protected topic wants
 * `Authorization: Bearer <token>` or a Basic login; 200 with the message as JSON.
 */
import { mediaType, startFakeProvider } from '../fake-provider.js';

export const NTFY_TOPIC = 'halftime-alerts';
export const NTFY_TOKEN = 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2';
export const NTFY_USER = 'halftime';
export const NTFY_PASSWORD = 'ntfy-pass-4821';

/** `=?UTF-8?B?…?=` / `=?UTF-8?Q?…?=` → text; anything else as it came. */
function decodeWords(v: string): string {
  return v.replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc: string, data: string) =>
    enc.toLowerCase() === 'b' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
  );
}

const PRIORITIES: Record<string, number> = { '1': 1, min: 1, '2': 2, low: 2, '3': 3, default: 3, '4': 4, high: 4, '5': 5, max: 5, urgent: 5 };
const err = (http: number, code: number, error: string, link?: string) => ({ status: http, body: { code, http, error, ...(link ? { link } : {}) } });

export type NtfyMessage = { id: string; topic: string; title?: string; message: string; priority: number; tags: string[]; click?: string };

export async function startFakeNtfy() {
  const messages: NtfyMessage[] = [];
  const header = (h: unknown) => (typeof h === 'string' ? h : undefined);
  const fake = await startFakeProvider((r, reject) => {
    const topic = r.path.slice(1);
    if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic)) return err(404, 40401, 'page not found');
    const auth = header(r.headers.authorization);
    const basic = `Basic ${Buffer.from(`${NTFY_USER}:${NTFY_PASSWORD}`).toString('base64')}`;
    if (auth !== undefined && auth !== `Bearer ${NTFY_TOKEN}` && auth !== basic) return err(401, 40101, 'unauthorized', 'https://ntfy.sh/docs/publish/#authentication');
    if (topic === NTFY_TOPIC && auth === undefined) return err(403, 40301, 'forbidden', 'https://ntfy.sh/docs/publish/#authentication');
    const problems: string[] = [];
    const title = header(r.headers.title ?? r.headers['x-title']);
    const p = header(r.headers.priority ?? r.headers['x-priority']) ?? '3';
    const tags = header(r.headers.tags ?? r.headers['x-tags']);
    const click = header(r.headers.click ?? r.headers['x-click']);
    if (!(p in PRIORITIES)) problems.push(`priority: ${p}`);
    for (const [name, v] of Object.entries(r.headers)) if (typeof v === 'string' && /[^\x20-\x7e]/.test(v)) problems.push(`header ${name} is not ASCII`);
    if (click !== undefined && !/^https?:\/\//.test(click)) problems.push(`click: ${click}`);
    if (mediaType(r) !== 'text/plain') problems.push(`content-type ${mediaType(r)}`);
    if (Buffer.byteLength(r.body) > 4096) problems.push('message over 4096 bytes (would become an attachment)');
    if (!r.body.trim()) problems.push('empty message');
    if (problems.length) {
      reject(problems);
      return err(400, 40000, `invalid request: ${problems[0]}`);
    }
    const m: NtfyMessage = { id: `m${messages.length + 1}`, topic, title: title && decodeWords(title), message: r.body, priority: PRIORITIES[p]!, tags: tags ? decodeWords(tags).split(',').map((t) => t.trim()) : [], click };
    messages.push(m);
    return { status: 200, body: { ...m, time: 1795435200, expires: 1795478400, event: 'message' } };
  });
  return Object.assign(fake, { messages });
}

export const ntfyRateLimit = err(429, 42901, 'limit reached: too many requests', 'https://ntfy.sh/docs/publish/#limitations');
