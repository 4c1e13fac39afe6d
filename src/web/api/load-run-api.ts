/** JSON API for burst load runs: GET /api/v1/load-runs (list) and /api/v1/load-runs/:id (summary, steps, series). */
import type { Context, Hono } from 'hono';
import type { LoadRuns } from '../../store/load-runs.js';
import type { AdminEnv } from '../auth/auth.js';

const MAX_LIMIT = 500;

/** Mount behind `auth.requireToken` (apiRoutes does: every /api/v1 route needs a token). */
export function loadRunApiRoutes(app: Hono<AdminEnv>, deps: { loadRuns: LoadRuns }) {
  const bad = (c: Context, message: string) => c.json({ error: message }, 400);

  app.get('/api/v1/load-runs', async (c) => {
    const raw = c.req.query('limit');
    const limit = raw === undefined || raw === '' ? 50 : Number(raw);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) return bad(c, `query parameter limit must be an integer from 1 to ${MAX_LIMIT} (got ${JSON.stringify(raw)})`);
    return c.json({ loadRuns: await deps.loadRuns.list({ name: c.req.query('name') || undefined, limit }) });
  });

  app.get('/api/v1/load-runs/:id', async (c) => {
    const id = Number(c.req.param('id'));
    const run = Number.isSafeInteger(id) ? await deps.loadRuns.get(id) : undefined;
    if (!run) return c.json({ error: 'no such load run' }, 404);
    const { summary, ...row } = run;
    return c.json({
      ...row,
      summary,
      // Per-step figures of the whole run (once finished) and each step's per-second series.
      steps: await Promise.all(
        (await deps.loadRuns.steps(id)).map(async (name) => ({ name, totals: summary?.steps.find((s) => s.name === name) ?? null, series: await deps.loadRuns.series(id, name) })),
      ),
      series: await deps.loadRuns.series(id),
    });
  });
}
