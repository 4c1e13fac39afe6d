/**
 * Starting and stopping a burst from the admin pages: the "Start load check" section of a monitor's
 * page, POST /admin/load-runs/start, POST /admin/load-runs/:id/stop and the live points of a running
 * burst as server-sent events (GET /admin/load-runs/:id/live) for the run page's chart.
 * Mounted under /admin, so login and the session's CSRF token are checked before any of it runs.
 */
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { formatDuration } from '../../lang/duration.js';
import { BurstBusy, type ActiveBurst, type BurstTarget, type BurstWatchEvent, type LoadControl } from '../../load/control.js';
import { BurstConfigError } from '../../load/from-config.js';
import { BurstRefused } from '../../load/safety.js';
import type { LoadRuns, SeriesRow } from '../../store/load-runs.js';
import { AdminLayout, CsrfField } from '../admin/admin-layout.js';
import type { AdminEnv } from '../auth/auth.js';

export type LoadControlDeps = { control: LoadControl; loadRuns: LoadRuns; title: string; /** Seconds between SSE keep-alive comments (default 15). */ keepAliveSec?: number };

/** Form values as typed (strings), so a refused form comes back as it was sent. */
export type StartValues = { users?: string; spawnRate?: string; arrivalRate?: string; duration?: string };

const FIELDS = { users: 'users', spawnRate: 'spawn rate', arrivalRate: 'arrival rate', duration: 'duration' } as const;
const fieldName = (k: string) => `${FIELDS[k as keyof typeof FIELDS] ?? k} field`;
const secs = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

function defaults(t: BurstTarget): StartValues {
  return { users: t.users?.toString(), spawnRate: t.spawnRate?.toString(), arrivalRate: t.arrivalRate?.toString(), duration: secs(t.duration) };
}

function StartForm(props: { monitorKey: string; target: BurstTarget; csrfToken: string; values?: StartValues; disabled: boolean }) {
  const t = props.target;
  const v = props.values ?? defaults(t);
  const id = (f: string) => `load-${t.name}-${f}`;
  const field = (name: keyof StartValues, label: string, hint: string) => (
    <label for={id(name)}>
      {label} <input id={id(name)} name={name} value={v[name] ?? ''} size={6} required />
      <span class="muted small"> {hint}</span>
    </label>
  );
  return (
    <form method="post" action="/admin/load-runs/start" class="load-start" data-burst={t.name}>
      <CsrfField token={props.csrfToken} />
      <input type="hidden" name="monitor" value={props.monitorKey} />
      <input type="hidden" name="burst" value={t.name} />
      <p>
        <strong>{t.source === 'loads' ? `loads: ${t.name}` : 'load: block of this monitor'}</strong>
        <span class="muted small"> ({t.model} model, {formatDuration(t.duration)} in the config)</span>
      </p>
      {t.model === 'closed' ? (
        <>
          {field('users', 'Users', 'at full load')}
          {field('spawnRate', 'Spawn rate', 'new users per second')}
        </>
      ) : (
        field('arrivalRate', 'Arrival rate', 'iterations started per second')
      )}
      {field('duration', 'Duration', 'e.g. 30s, 2m')}
      <button type="submit" disabled={props.disabled}>
        Start load check
      </button>
    </form>
  );
}

/** The monitor page's section: one start form per burst the config defines for it. */
export function LoadCheckSection(props: { monitorKey: string; targets: BurstTarget[]; active?: ActiveBurst; csrfToken: string; values?: StartValues; burst?: string; error?: string }) {
  if (props.targets.length === 0) return null;
  return (
    <section class="card load-check" id="load-check">
      <h2>Load check</h2>
      <p class="muted small">
        Runs a short burst of simulated users against this monitor's steps, within the config's caps and only to hosts in <code>load.allowHosts</code>. One burst runs at a time. <a href="/admin/load-runs">Past load runs</a>
      </p>
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      {props.active ? (
        <p class="notice">
          A load check is running now: <a href={`/admin/load-runs/${props.active.runId}`}>run #{props.active.runId} ({props.active.name})</a>.
        </p>
      ) : null}
      {props.targets.map((t) => (
        <StartForm monitorKey={props.monitorKey} target={t} csrfToken={props.csrfToken} values={t.name === props.burst ? props.values : undefined} disabled={!!props.active} />
      ))}
    </section>
  );
}

/** The section for `monitorKey` as the control sees it now (nothing when the config defines no burst for it). */
export function loadCheckSection(control: LoadControl, monitorKey: string, csrfToken: string) {
  return <LoadCheckSection monitorKey={monitorKey} targets={control.targetsFor(monitorKey)} active={control.active()} csrfToken={csrfToken} />;
}

/** The Stop button of a running burst's page. */
export function StopForm(props: { runId: number; csrfToken: string }) {
  return (
    <form method="post" action={`/admin/load-runs/${props.runId}/stop`} class="load-stop">
      <CsrfField token={props.csrfToken} />
      <button type="submit">Stop</button>
      <span class="muted small"> Ends the burst now; requests in flight finish, then the run is stored as stopped.</span>
    </form>
  );
}

/** One second of the chart, as the live stream sends it. */
const compact = (p: Pick<SeriesRow, 't' | 'users' | 'requests' | 'errors' | 'p95' | 'p99'>) => ({ t: p.t, users: p.users, rps: p.requests, errors: p.errors, p95: p.p95, p99: p.p99 });

/** A number typed into the form; text that is not one is passed on as is, so the schema names the field. */
function numeric(v: unknown): unknown {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : v;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export function loadControlRoutes(app: Hono<AdminEnv>, deps: LoadControlDeps) {
  const { control } = deps;
  const page = (el: { toString(): string | Promise<string> }) => '<!doctype html>' + el.toString();

  /** The start form again, with the submitted values and why nothing started. */
  const refused = (c: Context<AdminEnv>, monitorKey: string, burst: string, values: StartValues, error: string, status: 400 | 404 | 409 | 422) => {
    const s = c.get('admin');
    return c.html(
      page(
        <AdminLayout title={`Load check refused · ${deps.title}`} username={s.username} csrfToken={s.csrfToken}>
          <p class="crumbs">
            <a href="/admin">Monitors</a> / <a href={`/admin/monitors/${encodeURIComponent(monitorKey)}`}>{monitorKey}</a> / load check
          </p>
          <h1>No load check started</h1>
          <LoadCheckSection monitorKey={monitorKey} targets={control.targetsFor(monitorKey)} active={control.active()} csrfToken={s.csrfToken} values={values} burst={burst} error={error} />
        </AdminLayout>,
      ),
      status,
    );
  };

  app.post('/admin/load-runs/start', async (c) => {
    const body = await c.req.parseBody();
    const monitorKey = str(body.monitor) ?? '';
    const burst = str(body.burst) ?? '';
    const values: StartValues = { users: str(body.users), spawnRate: str(body.spawnRate), arrivalRate: str(body.arrivalRate), duration: str(body.duration) };
    const target = control.targetsFor(monitorKey).find((t) => t.name === burst);
    if (!target) return c.text(`No load check "${burst}" for monitor "${monitorKey}" in the config`, 404);
    const overrides =
      target.model === 'closed'
        ? { users: numeric(values.users), spawnRate: numeric(values.spawnRate), duration: values.duration?.trim() || undefined }
        : { arrivalRate: numeric(values.arrivalRate), duration: values.duration?.trim() || undefined };
    try {
      const { runId } = control.start(burst, overrides, { fieldName });
      return c.redirect(`/admin/load-runs/${runId}`, 303);
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof BurstBusy) return refused(c, monitorKey, burst, values, message, 409);
      if (err instanceof BurstConfigError) return refused(c, monitorKey, burst, values, `Check the form: ${message}`, 400);
      if (err instanceof BurstRefused) return refused(c, monitorKey, burst, values, `Refused: ${message}`, 422);
      throw err;
    }
  });

  app.post('/admin/load-runs/:id{[0-9]+}/stop', async (c) => {
    const id = Number(c.req.param('id'));
    if (!(await deps.loadRuns.get(id))) return c.text('No such load run', 404);
    if (!control.stop(id)) return c.text(`Load run #${id} is not running; there is nothing to stop.`, 409);
    return c.redirect(`/admin/load-runs/${id}`, 303);
  });

  app.get('/admin/load-runs/:id{[0-9]+}/live', async (c) => {
    const id = Number(c.req.param('id'));
    if (!(await deps.loadRuns.get(id))) return c.text('No such load run', 404);
    const keepAliveMs = (deps.keepAliveSec ?? 15) * 1000;
    return streamSSE(c, async (stream) => {
      const queue: BurstWatchEvent[] = [];
      let wake: (() => void) | undefined;
      let closed = false;
      // Subscribe first, then read what is stored: no point is missed; one that arrives while the
      // stored ones are read is sent once (points are per second: a `t` already sent is skipped).
      const unsubscribe = control.watch(id, (ev) => {
        queue.push(ev);
        wake?.();
      });
      const stored = await deps.loadRuns.series(id);
      const sentUpTo = stored.length ? stored[stored.length - 1].t : -1;
      stream.onAbort(() => {
        closed = true;
        wake?.();
      });
      try {
        for (const row of stored) await stream.writeSSE({ event: 'point', data: JSON.stringify(compact(row)) });
        if (!unsubscribe) {
          await stream.writeSSE({ event: 'done', data: String(id) });
          return;
        }
        while (!closed) {
          if (queue.length === 0) {
            let timer: NodeJS.Timeout | undefined;
            await new Promise<void>((resolve) => {
              wake = resolve;
              timer = setTimeout(resolve, keepAliveMs);
            });
            clearTimeout(timer);
            wake = undefined;
            if (closed) break;
            if (queue.length === 0) {
              await stream.write(': keep-alive\n\n');
              continue;
            }
          }
          const ev = queue.shift()!;
          if (ev.type === 'done') {
            await stream.writeSSE({ event: 'done', data: String(id) });
            break;
          }
          if (ev.point.t > sentUpTo) await stream.writeSSE({ event: 'point', data: JSON.stringify(compact(ev.point)) });
        }
      } finally {
        unsubscribe?.();
      }
    });
  });
}
