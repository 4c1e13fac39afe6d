/**
 * JSON API to start and stop burst load checks, for scripts and CI: the same path as the admin
 * form (`LoadControl.start`: caps, `load.allowHosts`, one burst at a time), answered in JSON.
 *
 *   POST /api/v1/load-runs            { "burst": "shop", "users": 50, "duration": "60s" }   → 202
 *   POST /api/v1/load-runs?wait=true  … waits for the end: 200 with the run and its thresholds
 *   POST /api/v1/load-runs/:id/stop                                                         → 202
 */
import type { Context, Hono } from 'hono';
import { BurstBusy, type LoadControl } from '../../load/control.js';
import { BurstConfigError } from '../../load/from-config.js';
import { BurstRefused } from '../../load/safety.js';
import type { LoadRuns } from '../../store/load-runs.js';
import type { AdminEnv } from '../auth/auth.js';

/** What a caller may change of a configured burst (validated as config, within the caps). */
const OVERRIDES = ['users', 'spawnRate', 'arrivalRate', 'rampTo', 'duration', 'thresholds'] as const;

const USAGE = `send a JSON object: { "burst": "<monitor id or loads[] name>", and optionally ${OVERRIDES.map((k) => `"${k}"`).join(', ')} }`;

/** Mount behind `auth.requireToken` (every /api/v1 route needs a token). */
export function loadControlApiRoutes(app: Hono<AdminEnv>, deps: { control: LoadControl; loadRuns: LoadRuns }) {
  const { control } = deps;
  const error = (c: Context, status: 400 | 404 | 409 | 422, message: string) => c.json({ error: message }, status);

  app.post('/api/v1/load-runs', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return error(c, 400, `the body is not JSON: ${USAGE}`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return error(c, 400, USAGE);
    const { burst, ...rest } = body as Record<string, unknown>;
    if (typeof burst !== 'string' || burst === '') return error(c, 400, `field "burst" is missing: ${USAGE}`);
    const unknown = Object.keys(rest).filter((k) => !(OVERRIDES as readonly string[]).includes(k));
    if (unknown.length) return error(c, 400, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}: ${USAGE}`);

    let started: Awaited<ReturnType<LoadControl['start']>>;
    try {
      started = await control.start(burst, rest, { trigger: 'api', fieldName: (k) => `field "${k}"` });
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof BurstBusy) return c.json({ error: message, running: err.active?.runId ?? null }, 409);
      if (err instanceof BurstConfigError) return error(c, 400, message);
      if (err instanceof BurstRefused) return error(c, 422, message);
      throw err;
    }
    const url = `/api/v1/load-runs/${started.runId}`;
    c.header('location', url);
    if (c.req.query('wait') !== 'true') return c.json({ id: started.runId, status: 'running', url }, 202);
    await started.done;
    const run = await deps.loadRuns.get(started.runId);
    return c.json({ id: started.runId, url, ...run }, 200);
  });

  app.post('/api/v1/load-runs/:id{[0-9]+}/stop', async (c) => {
    const id = Number(c.req.param('id'));
    if (!(await deps.loadRuns.get(id))) return error(c, 404, 'no such load run');
    if (!control.stop(id)) return error(c, 409, `load run #${id} is not running; there is nothing to stop`);
    return c.json({ id, status: 'stopping', url: `/api/v1/load-runs/${id}` }, 202);
  });
}
