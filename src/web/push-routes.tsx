/**
 * Heartbeat monitors' push URLs: `POST /api/push/<token>` (GET works too, for jobs that can only
 * fetch) records a ping; the admin monitor page shows the token's prefix and creates or rotates it
 * behind the session's CSRF token, showing the new URL once. Tokens are stored as SHA-256 hashes.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { parseDuration } from '../lang/duration.js';
import type { Redactor } from '../lang/redact.js';
import type { Heartbeats } from '../push/heartbeats.js';
import type { PushTokens, PushTokenInfo } from '../store/push-tokens.js';
import { AdminLayout, CsrfField } from './admin/admin-layout.js';
import type { AdminEnv } from './auth/auth.js';
import { randomToken, sha256 } from './auth/secrets.js';
import { fmtAgo } from './format.js';

export type PushDeps = {
  pushTokens: PushTokens;
  heartbeats: Heartbeats;
  /** `server.publicUrl`: the base of the URLs shown (default: the address the admin page was opened at). */
  publicUrl?: string;
  redact?: Redactor;
  title: string;
  now?: () => number;
};

/** Push tokens look like `htp_<43 chars>`; the first 12 characters are kept in clear to tell them apart. */
export function newPushToken(): { token: string; hash: string; prefix: string } {
  const token = `htp_${randomToken()}`;
  return { token, hash: sha256(token), prefix: token.slice(0, 12) };
}

const pingQuery = z.object({
  status: z.enum(['up', 'ok', 'down', 'fail', 'error'], { message: 'status must be ok (or up) or fail (or down, error)' }).optional(),
  msg: z.string().max(1000, 'msg is at most 1000 characters').optional(),
  duration: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) : parseDuration(v);
      if (ms === undefined || !(ms >= 0) || ms > 7 * 86_400_000) {
        ctx.addIssue({ code: 'custom', message: `duration must be milliseconds or a duration such as 90s (got ${JSON.stringify(v)})` });
        return z.NEVER;
      }
      return ms;
    }),
});

const base = (c: Context, publicUrl?: string) => (publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '');

/** The public ping endpoint. */
export function pushRoutes(app: Hono<AdminEnv>, deps: PushDeps) {
  const now = deps.now ?? Date.now;
  app.on(['GET', 'POST'], '/api/push/:token', async (c) => {
    c.header('cache-control', 'no-store');
    const token = c.req.param('token');
    const info = /^htp_[A-Za-z0-9_-]{20,100}$/.test(token) ? await deps.pushTokens.byHash(sha256(token)) : undefined;
    // One answer for a malformed, unknown or rotated token: nothing tells them apart.
    if (!info || !deps.heartbeats.has(info.monitorKey)) return c.json({ ok: false, error: 'unknown push token' }, 404);
    const q = pingQuery.safeParse(c.req.query());
    if (!q.success) return c.json({ ok: false, error: q.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ') }, 400);
    const at = now();
    const ok = q.data.status === undefined || q.data.status === 'up' || q.data.status === 'ok';
    const message = q.data.msg !== undefined && deps.redact ? deps.redact(q.data.msg) : q.data.msg;
    const run = deps.heartbeats.ping(info.monitorKey, { ok, message, durationMs: q.data.duration }, at)!;
    await deps.pushTokens.touch(info.monitorKey, at);
    return c.json({ ok: true, monitor: info.monitorKey, status: run.ok ? 'up' : 'fail', next: new Date(deps.heartbeats.due(info.monitorKey)!).toISOString() });
  });
}

/** The "Push URL" card of a heartbeat monitor's admin page. */
export function PushSection(props: { monitorKey: string; info: PushTokenInfo | undefined; due: number | undefined; now: number; csrfToken: string }) {
  const { info } = props;
  const action = `/admin/monitors/${encodeURIComponent(props.monitorKey)}/push-token`;
  return (
    <section class="card push-token">
      <h2>Push URL</h2>
      {info ? (
        <p>
          Token <code>{info.prefix}…</code>, created {fmtAgo(info.createdAt, props.now)}
          {info.createdBy ? ` by ${info.createdBy}` : ''}; last ping {fmtAgo(info.lastPingAt, props.now)}.
          {props.due !== undefined ? ` Next ping due ${new Date(props.due).toISOString().replace('T', ' ').slice(0, 16)} UTC.` : ''}
        </p>
      ) : (
        <p class="muted">No push URL yet: create one and have the job call it when it finishes.</p>
      )}
      <form method="post" action={action} class="inline-form">
        <CsrfField token={props.csrfToken} />
        <button type="submit">{info ? 'Rotate push URL' : 'Create push URL'}</button>
        {info ? <span class="muted small"> The current URL stops working at once.</span> : null}
      </form>
    </section>
  );
}

/** Creating and rotating tokens, under /admin (session and CSRF token checked by the admin middleware). */
export function pushAdminRoutes(app: Hono<AdminEnv>, deps: PushDeps) {
  const now = deps.now ?? Date.now;
  app.post('/admin/monitors/:key/push-token', async (c) => {
    const key = c.req.param('key');
    if (!deps.heartbeats.has(key)) return c.text(`No heartbeat monitor "${key}"`, 404);
    const t = newPushToken();
    const s = c.get('admin');
    if (!(await deps.pushTokens.set(key, t.hash, t.prefix, s.username, now()))) return c.text(`No heartbeat monitor "${key}"`, 404);
    const url = `${base(c, deps.publicUrl)}/api/push/${t.token}`;
    return c.html(
      '<!doctype html>' +
        (
          <AdminLayout title={`Push URL · ${deps.title}`} username={s.username} csrfToken={s.csrfToken}>
            <p class="crumbs">
              <a href="/admin">Monitors</a> / <a href={`/admin/monitors/${encodeURIComponent(key)}`}>{key}</a> / push URL
            </p>
            <section class="card created-token" role="status">
              <p>
                New push URL for <strong>{key}</strong>. Copy it now: it is shown only once (halftime keeps only a hash).
              </p>
              <input class="token-value push-url" readonly value={url} aria-label="New push URL" />
              <p class="muted small">
                When the job finishes: <code>curl -fsS -X POST {`'${url}'`}</code>; add <code>?status=fail&amp;msg=…</code> when it failed, <code>&amp;duration=</code> its run time.
              </p>
            </section>
          </AdminLayout>
        ).toString(),
    );
  });
}
