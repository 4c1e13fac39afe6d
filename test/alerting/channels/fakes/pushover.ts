/**
 * The Pushover messages API: POST /1/messages.json with token, user and message (form-encoded);
 * `{ status: 1, request }`, or `{ status: 0, errors: [...] }` with a 4xx.
 */
import { randomUUID } from 'node:crypto';
import { mediaType, startFakeProvider } from '../fake-provider.js';

export const PUSHOVER_TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
export const PUSHOVER_USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';

/** Pushover's HTML: b, i, u, font color, a href; no other tags. */
const htmlProblems = (s: string) => [...s.matchAll(/<[^>]*>?/g)].filter((m) => !/^<\/?(b|i|u|font|a)(\s+[a-z]+="[^"]*")*\s*>$/.test(m[0])).map((m) => `unsupported HTML: ${m[0].slice(0, 30)}`);

export type PushoverSent = Record<string, string>;

export async function startFakePushover() {
  const sent: PushoverSent[] = [];
  const refuse = (status: number, field: Record<string, string>, errors: string[]) => ({ status, body: { ...field, errors, status: 0, request: randomUUID() } });
  const fake = await startFakeProvider((r, reject) => {
    if (r.path !== '/1/messages.json') return { status: 404, body: 'Not Found' };
    const form = mediaType(r) === 'application/x-www-form-urlencoded' ? Object.fromEntries(new URLSearchParams(r.body)) : r.json ?? {};
    if (form.token !== PUSHOVER_TOKEN) return refuse(400, { token: 'invalid' }, ['application token is invalid, see https://pushover.net/api']);
    if (form.user !== PUSHOVER_USER) return refuse(400, { user: 'invalid' }, ['user identifier is not a valid user, group, or subscribed user key, see https://pushover.net/api#identifiers']);
    const problems: string[] = [];
    if (mediaType(r) !== 'application/x-www-form-urlencoded') problems.push(`content-type ${mediaType(r)} (this test expects a form)`);
    if (!form.message) problems.push('message cannot be blank');
    if ((form.message ?? '').length > 1024) problems.push('message is too long (1024 characters at most)');
    if ((form.title ?? '').length > 250) problems.push('title is too long (250 characters at most)');
    if ((form.url ?? '').length > 512) problems.push('url is too long (512 characters at most)');
    if ((form.url_title ?? '').length > 100) problems.push('url_title is too long (100 characters at most)');
    const p = form.priority === undefined ? 0 : Number(form.priority);
    if (!Number.isInteger(p) || p < -2 || p > 2) problems.push('priority is invalid');
    if (p === 2 && !(Number(form.retry) >= 30 && Number(form.expire) > 0 && Number(form.expire) <= 10_800)) problems.push('emergency priority needs retry (>= 30) and expire (<= 10800)');
    if (form.html === '1') problems.push(...htmlProblems(form.message ?? ''));
    if (problems.length) {
      reject(problems);
      return refuse(400, {}, problems);
    }
    sent.push(form);
    return { status: 200, headers: { 'x-limit-app-limit': '10000', 'x-limit-app-remaining': String(10_000 - sent.length) }, body: { status: 1, request: randomUUID(), ...(p === 2 ? { receipt: 'rLqVuqTRh62UzxtmqiaLzQmVcPgiCy' } : {}) } };
  });
  return Object.assign(fake, { sent });
}

export const pushoverRateLimit = { status: 429, headers: { 'x-limit-app-remaining': '0' }, body: { errors: ['application is over its monthly message limit'], status: 0, request: '5042853c-402d-4a18-abcb-168734a801de' } };
