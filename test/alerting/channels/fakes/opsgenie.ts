/**
 * Opsgenie Alert API: `Authorization: GenieKey <key>`; POST /v2/alerts creates (or, with an alias
 * already open, counts) an alert; POST /v2/alerts/<alias>/close?identifierType=alias closes it; both
 * answer 202 "Request will be processed".
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { mediaType, problemsOf, startFakeProvider } from '../fake-provider.js';

export const OPSGENIE_KEY = 'eb243592-faa2-4ba2-a551-1afdf565c889';

const create = z
  .object({
    message: z.string().min(1, 'Message can not be empty.').max(130),
    alias: z.string().max(512).optional(),
    description: z.string().max(15_000).optional(),
    responders: z.array(z.object({ type: z.string() }).loose()).optional(),
    tags: z.array(z.string().max(50)).max(20).optional(),
    details: z.record(z.string(), z.string()).refine((d) => Object.entries(d).reduce((n, [k, v]) => n + k.length + v.length, 0) <= 8000, 'details may hold at most 8000 characters').optional(),
    entity: z.string().max(512).optional(),
    source: z.string().max(100).optional(),
    priority: z.enum(['P1', 'P2', 'P3', 'P4', 'P5']).optional(),
    user: z.string().max(100).optional(),
    note: z.string().max(25_000).optional(),
  })
  .strict();

const close = z.object({ user: z.string().max(100).optional(), source: z.string().max(100).optional(), note: z.string().max(25_000).optional() }).strict();

export type OpsgenieAlert = { alias: string; status: 'open' | 'closed'; count: number; message: string; priority: string; tags: string[]; details: Record<string, string>; description: string };

const answer = (status: number, body: object) => ({ status, body: { ...body, took: 0.004, requestId: randomUUID() } });

export async function startFakeOpsgenie() {
  const alerts = new Map<string, OpsgenieAlert>();
  const fake = await startFakeProvider((r, reject) => {
    if (r.headers.authorization !== `GenieKey ${OPSGENIE_KEY}`) return answer(401, { message: 'Could not authenticate' });
    if (mediaType(r) !== 'application/json') {
      reject([`content-type ${mediaType(r)}`]);
      return answer(415, { message: 'Unsupported Media Type' });
    }
    const closing = /^\/v2\/alerts\/([^/]+)\/close$/.exec(r.path);
    if (r.path === '/v2/alerts') {
      const problems = problemsOf(create, r.json);
      if (problems.length) {
        reject(problems);
        return answer(422, { message: 'Request body is not processable. Please check the errors.', errors: Object.fromEntries(problems.map((p) => p.split(': '))) });
      }
      const a = r.json;
      const alias: string = a.alias ?? a.message;
      const open = alerts.get(alias);
      if (open?.status === 'open') open.count++;
      else alerts.set(alias, { alias, status: 'open', count: 1, message: a.message, priority: a.priority ?? 'P3', tags: a.tags ?? [], details: a.details ?? {}, description: a.description ?? '' });
      return answer(202, { result: 'Request will be processed' });
    }
    if (closing) {
      const problems = problemsOf(close, r.json ?? {});
      if (r.query.get('identifierType') !== 'alias') problems.push(`identifierType: ${r.query.get('identifierType')} (this test closes by alias)`);
      if (problems.length) {
        reject(problems);
        return answer(422, { message: 'Request body is not processable. Please check the errors.' });
      }
      const alert = alerts.get(decodeURIComponent(closing[1]));
      if (alert) alert.status = 'closed';
      return answer(202, { result: 'Request will be processed' });
    }
    return answer(404, { message: 'Resource not found' });
  });
  return Object.assign(fake, { alerts });
}

export const opsgenieRateLimit = { ...answer(429, { message: 'You are making too many requests! To avoid errors, we recommend you limit requests.' }), headers: { 'x-ratelimit-state': 'THROTTLED' } };
