/** Mattermost incoming webhook: POST JSON to /hooks/<26-character id>; 200 "ok". */
import { z } from 'zod';
import { mediaType, problemsOf, startFakeProvider } from '../fake-provider.js';

export const MATTERMOST_HOOK = 'xn5q8wz3bj8rtgpk6mhcy1uo4e';

const attachment = z.object({
  fallback: z.string().optional(),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$|^(good|warning|danger)$/).optional(),
  pretext: z.string().optional(),
  text: z.string().optional(),
  title: z.string().optional(),
  title_link: z.url().optional(),
  fields: z.array(z.object({ title: z.string(), value: z.union([z.string(), z.number()]), short: z.boolean().optional() })).optional(),
  footer: z.string().optional(),
});

const message = z
  .object({ text: z.string().max(16_383).optional(), channel: z.string().optional(), username: z.string().optional(), icon_url: z.url().optional(), attachments: z.array(attachment).optional() })
  .refine((m) => m.text || m.attachments?.length, 'Unable to create post: Either text or attachments must be provided.');

const appError = (status: number, id: string, message: string) => ({ status, body: { id, message, detailed_error: '', request_id: 'p3kz6c9rpjgwm8ifyqr1d7n5ya', status_code: status } });

export async function startFakeMattermost() {
  return startFakeProvider((r, reject) => {
    if (r.path !== `/hooks/${MATTERMOST_HOOK}`) return appError(400, 'web.incoming_webhook.invalid.app_error', 'Invalid webhook.');
    const problems = mediaType(r) === 'application/json' ? problemsOf(message, r.json) : [`content-type ${mediaType(r)}`];
    if (problems.length) {
      reject(problems);
      return appError(400, 'web.incoming_webhook.text.app_error', problems[0]);
    }
    return { status: 200, body: 'ok' };
  });
}

export const mattermostRateLimit = { status: 429, headers: { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '3', 'retry-after': '3' }, body: 'limit exceeded\n' };
