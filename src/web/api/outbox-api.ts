import type { Context, Hono } from 'hono';
import type { HealthSnapshot } from '../../health/registry.js';
import type { AdminEnv } from '../auth/auth.js';
import type { OperationsView } from '../admin/health-page.js';

const STATES = new Set(['pending', 'dead', 'delivered', 'all']);

/**
 * GET /api/v1/outbox: alert messages waiting (`state=pending`, the default), given up on (`dead`),
 * delivered (kept 30 days) or `all`, newest first; `before` (an id, the previous answer's `next`) pages
 * back. GET /api/v1/health: the same problems and warnings as /healthz, for scripts with a token.
 * Both behind the API token (mounted after `/api/v1/*` requires it).
 */
export function outboxApiRoutes(app: Hono<AdminEnv>, deps: { ops: OperationsView }) {
  const bad = (c: Context, message: string) => c.json({ error: message }, 400);
  app.get('/api/v1/outbox', async (c) => {
    const state = c.req.query('state') ?? 'pending';
    if (!STATES.has(state)) return bad(c, 'query parameter state must be pending, dead, delivered or all');
    const num = (name: string) => {
      const raw = c.req.query(name);
      if (raw === undefined || raw === '') return undefined;
      const n = Number(raw);
      return Number.isSafeInteger(n) && n > 0 ? n : new Error(`query parameter ${name} must be a positive integer (got ${JSON.stringify(raw)})`);
    };
    const limit = num('limit');
    const before = num('before');
    if (limit instanceof Error) return bad(c, limit.message);
    if (before instanceof Error) return bad(c, before.message);
    const messages = (await deps.ops.outbox.list({ state: state as 'pending', limit, before })).map(({ event: _raw, ...m }) => m);
    return c.json({ messages, backlog: await deps.ops.outbox.backlog(), next: messages.length > 0 ? messages[messages.length - 1].id : null });
  });
  app.get('/api/v1/health', async (c) => {
    const s: HealthSnapshot = await deps.ops.health.check();
    return c.json({ ...s, writer: deps.ops.writer(), integrity: deps.ops.integrity(), scheduler: deps.ops.scheduler() }, s.ok ? 200 : 503);
  });
}
