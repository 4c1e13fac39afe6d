/** Slack incoming webhooks: POST JSON to /services/T…/B…/<secret>; "ok" or a plain-text error code. */
import { z } from 'zod';
import { mediaType, problemsOf, startFakeProvider } from '../fake-provider.js';

export const SLACK_PATH = '/services/T0A1B2C3D/B0E4F5G6H/xoxw9Rk2LmQpV7sTn4Yb8ZcD';

/** In mrkdwn, `<` opens a link or mention and `&` an entity: anything else must be escaped. */
function mrkdwnProblems(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/<([^>]*)>?/g)) if (!/^(https?:\/\/[^|>\s]+(\|[^>]+)?|[@#!][^>]+)>$/.test(m[0].slice(1))) out.push(`unescaped "<" in mrkdwn: ${m[0].slice(0, 30)}`);
  for (const m of text.matchAll(/&[^\s]*/g)) if (!/^&(amp|lt|gt);/.test(m[0])) out.push(`unescaped "&" in mrkdwn: ${m[0].slice(0, 20)}`);
  if (/(^|[^<])>/.test(text.replace(/<[^>]*>/g, ''))) out.push('unescaped ">" in mrkdwn');
  return out;
}

const text = (max: number) => z.discriminatedUnion('type', [
  z.object({ type: z.literal('plain_text'), text: z.string().min(1).max(max), emoji: z.boolean().optional() }),
  z.object({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max), verbatim: z.boolean().optional() }),
]);

const block = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), text: z.object({ type: z.literal('plain_text'), text: z.string().min(1).max(150), emoji: z.boolean().optional() }) }),
  z.object({ type: z.literal('section'), text: text(3000).optional(), fields: z.array(text(2000)).max(10).optional() }).refine((b) => b.text || b.fields, 'a section needs text or fields'),
  z.object({ type: z.literal('context'), elements: z.array(text(3000)).min(1).max(10) }),
  z.object({ type: z.literal('divider') }),
]);

const message = z.object({ text: z.string().min(1).max(40_000), blocks: z.array(block).max(50).optional() });

export async function startFakeSlack() {
  return startFakeProvider((r, reject) => {
    if (r.method !== 'POST') return { status: 405, body: 'invalid_method' };
    if (r.path !== SLACK_PATH) return { status: 404, body: 'no_service' };
    if (mediaType(r) !== 'application/json') {
      reject([`content-type ${mediaType(r)}`]);
      return { status: 400, body: 'invalid_payload' };
    }
    const problems = problemsOf(message, r.json);
    if (problems.length === 0) {
      const texts = [r.json.text, ...(r.json.blocks ?? []).flatMap((b: any) => [b.text, ...(b.fields ?? []), ...(b.elements ?? [])]).filter((t: any) => t?.type === 'mrkdwn').map((t: any) => t.text)];
      problems.push(...texts.flatMap(mrkdwnProblems));
    }
    if (problems.length) {
      reject(problems);
      return { status: 400, body: 'invalid_blocks' };
    }
    return { status: 200, headers: { 'content-type': 'text/html' }, body: 'ok' };
  });
}

export const slackRateLimit = { status: 429, headers: { 'retry-after': '30' }, body: 'rate_limited' };
