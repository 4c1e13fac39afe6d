/** Discord execute-webhook: POST JSON to /api/webhooks/<id>/<token>; 204 (200 with ?wait=true). */
import { z } from 'zod';
import { mediaType, problemsOf, startFakeProvider } from '../fake-provider.js';

export const DISCORD_PATH = '/api/webhooks/1198765432101234567/Zx9_kQ2vT7mLp4Rb8NcW1yHd6FsJ0aGe3uKi5oXtMzVnBqPl';

const embed = z.object({
  title: z.string().max(256).optional(),
  description: z.string().max(4096).optional(),
  url: z.url().optional(),
  color: z.number().int().min(0).max(0xffffff).optional(),
  timestamp: z.iso.datetime().optional(),
  footer: z.object({ text: z.string().min(1).max(2048) }).optional(),
  fields: z.array(z.object({ name: z.string().min(1).max(256), value: z.string().min(1).max(1024), inline: z.boolean().optional() })).max(25).optional(),
});

const message = z
  .object({
    content: z.string().max(2000).optional(),
    username: z.string().min(1).max(80).optional(),
    avatar_url: z.url().optional(),
    embeds: z.array(embed).max(10).optional(),
    allowed_mentions: z.object({ parse: z.array(z.enum(['roles', 'users', 'everyone'])) }).optional(),
  })
  .refine((m) => m.content || m.embeds?.length, 'Cannot send an empty message')
  .refine(
    (m) => (m.embeds ?? []).reduce((n, e) => n + (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.fields ?? []).reduce((k, f) => k + f.name.length + f.value.length, 0), 0) <= 6000,
    'Embed size exceeds maximum size of 6000',
  );

export async function startFakeDiscord() {
  return startFakeProvider((r, reject) => {
    const [, , , id, token] = r.path.split('/');
    if (!DISCORD_PATH.startsWith(`/api/webhooks/${id}/`)) return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
    if (r.path !== DISCORD_PATH || !token) return { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } };
    const problems = mediaType(r) === 'application/json' ? problemsOf(message, r.json) : [`content-type ${mediaType(r)}`];
    if (problems.length) {
      reject(problems);
      return { status: 400, body: { message: 'Invalid Form Body', code: 50035, errors: { embeds: { _errors: problems.map((p) => ({ code: 'BASE_TYPE_INVALID', message: p })) } } } };
    }
    return { status: 204 };
  });
}

export const discordRateLimit = {
  status: 429,
  headers: { 'retry-after': '2', 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '1.5', 'x-ratelimit-scope': 'shared' },
  body: { message: 'You are being rate limited.', retry_after: 1.5, global: false },
};
