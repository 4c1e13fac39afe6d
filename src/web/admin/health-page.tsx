import type { Context, Hono } from 'hono';
import type { HealthSnapshot } from '../../health/registry.js';
import type { SchedulerStats } from '../../scheduler/scheduler.js';
import type { OutboxListItem } from '../../store/alerts.js';
import type { IntegrityResult } from '../../store/integrity.js';
import type { WriterHealth } from '../../store/writer.js';
import type { AdminEnv } from '../auth/auth.js';
import { fmtAgo, fmtTime } from '../format.js';
import { AdminLayout } from './admin-layout.js';

/** What the operator pages show of halftime's own health: the same registry /healthz reads, and the outbox. */
export type OperationsView = {
  health: { snapshot(): HealthSnapshot; check(): Promise<HealthSnapshot> };
  outbox: {
    list(opts?: { state?: 'pending' | 'dead' | 'delivered' | 'all'; before?: number; limit?: number }): Promise<OutboxListItem[]>;
    backlog(): Promise<{ channel: string; count: number; oldest: number; lastError: string | null }[]>;
  };
  writer(): WriterHealth;
  integrity(): { at: number; result: IntegrityResult } | null;
  scheduler(): SchedulerStats;
};

const when = (t: number) => fmtTime(t, { seconds: true });
const page = (el: { toString(): string | Promise<string> }) => '<!doctype html>' + el.toString();

/** The dashboard's top line: every problem and warning with its reason, or one quiet line when all is well. */
export function HealthBanner(props: { snapshot: HealthSnapshot; now: number }) {
  const { problems, warnings } = props.snapshot;
  return (
    <section id="health-banner" class={`health-banner ${problems.length ? 'health-bad' : warnings.length ? 'health-warn' : 'health-ok'}`} hx-get="/admin/partials/health" hx-trigger="every 15s, sse:runs" hx-swap="outerHTML">
      {problems.length === 0 && warnings.length === 0 ? (
        <p>
          <strong>halftime is healthy.</strong> <a href="/admin/health">Details</a>
        </p>
      ) : (
        <>
          <p>
            <strong>{problems.length ? 'halftime is unhealthy' : 'halftime needs attention'}</strong> — <code>/healthz</code> answers {problems.length ? '503' : '200'}.{' '}
            <a href="/admin/health">Details</a>
          </p>
          <ProblemList problems={problems} warnings={warnings} now={props.now} />
        </>
      )}
    </section>
  );
}

function ProblemList(props: { problems: HealthSnapshot['problems']; warnings: HealthSnapshot['warnings']; now: number }) {
  return (
    <ul class="health-problems">
      {props.problems.map((p) => (
        <li class="health-problem" data-check={p.check}>
          <strong>{p.check}</strong>: {p.reason} <span class="muted small">(since {when(p.since)}, {fmtAgo(p.since, props.now)})</span>
        </li>
      ))}
      {props.warnings.map((p) => (
        <li class="health-warning" data-check={p.check}>
          <strong>{p.check}</strong> (warning): {p.reason}
        </li>
      ))}
    </ul>
  );
}

function OutboxTable(props: { rows: OutboxListItem[]; empty: string; now: number }) {
  if (props.rows.length === 0) return <p class="muted">{props.empty}</p>;
  return (
    <table class="outbox-table stack">
      <thead>
        <tr>
          <th>#</th>
          <th>Channel</th>
          <th>Event</th>
          <th>Queued</th>
          <th class="num">Attempts</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr class={`outbox-${r.state}`} data-outbox={String(r.id)}>
            <td data-label="#">{r.id}</td>
            <td data-label="Channel">{r.channel}</td>
            <td data-label="Event">
              {r.kind ?? 'unreadable'} {r.monitor ? <span class="muted">· {r.monitor}</span> : null}
              <div class="muted small">{r.eventId ?? '–'}</div>
            </td>
            <td data-label="Queued">{fmtAgo(r.createdAt, props.now)}</td>
            <td class="num" data-label="Attempts">
              {r.attempts}
            </td>
            <td data-label="State">
              {r.state === 'dead' ? (
                <>
                  <strong class="error">dead</strong> {r.deadAt !== null ? fmtAgo(r.deadAt, props.now) : ''}: {r.deadReason}
                </>
              ) : (
                <>
                  waiting; next try {r.nextAttemptAt <= props.now ? 'now' : `in ${Math.ceil((r.nextAttemptAt - props.now) / 1000)} s`}
                  {r.lastError ? <div class="failure">{r.lastError}</div> : null}
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function integrityLine(i: { at: number; result: IntegrityResult } | null, now: number): string {
  if (!i) return 'not run yet';
  const r = i.result;
  const done = `${fmtAgo(i.at, now)} (${r.ms} ms)`;
  if (r.status === 'ok') return `passed ${done}`;
  if (r.status === 'corrupt') return `DAMAGE FOUND ${done}: ${r.problems.slice(0, 5).join('; ')}`;
  if (r.status === 'timeout') return `did not finish ${done}`;
  return `could not run ${done}: ${r.error}`;
}

export function HealthPage(props: { title: string; username: string; csrfToken: string; ops: OperationsView; now: number; snap: HealthSnapshot; pending: OutboxListItem[]; dead: OutboxListItem[] }) {
  const { ops, now, snap } = props;
  const w = ops.writer();
  const s = ops.scheduler();
  return (
    <AdminLayout title={`Health · ${props.title}`} username={props.username} csrfToken={props.csrfToken}>
      <h1>
        halftime's health <span class={`badge badge-${snap.ok ? 'up' : 'down'}`}>{snap.ok ? 'Healthy' : 'Unhealthy'}</span>
      </h1>
      <p class="muted">The same reasons /healthz gives (503 while any problem is listed), the log says when each starts and ends, and alert channels hear "halftime is unhealthy" when it lasts.</p>
      <section class="card">
        <h2>Problems</h2>
        {snap.problems.length + snap.warnings.length === 0 ? <p>None.</p> : <ProblemList problems={snap.problems} warnings={snap.warnings} now={now} />}
      </section>
      <section class="card">
        <h2>Parts</h2>
        <dl class="evidence-facts">
          <div>
            <dt>Writes</dt>
            <dd>
              {w.failingSince === null ? 'working' : `failing since ${when(w.failingSince)}: ${w.lastError}`}; {w.pending} results queued in memory
              {w.dropped > 0 ? `, ${w.dropped} dropped` : ''}
            </dd>
          </div>
          <div>
            <dt>Integrity check</dt>
            <dd data-field="integrity">{integrityLine(ops.integrity(), now)}</dd>
          </div>
          <div>
            <dt>Scheduler</dt>
            <dd>
              {s.inFlight} checks running, {s.queued} waiting for a slot; {s.started} started, {s.skipped} slots skipped since start
            </dd>
          </div>
        </dl>
      </section>
      <section class="card" id="outbox">
        <h2>Alert outbox</h2>
        <p class="muted">
          Messages wait here until their channel accepts them (retried with backoff); a message refused for good, or still failing after the retry limit, is given up (dead) so later
          ones flow. Also at <code>GET /api/v1/outbox</code>.
        </p>
        <h3>Waiting</h3>
        <OutboxTable rows={props.pending} empty="Nothing waiting." now={now} />
        <h3>Given up (dead)</h3>
        <OutboxTable rows={props.dead} empty="None." now={now} />
      </section>
    </AdminLayout>
  );
}

/** /admin/health and the banner partial. */
export function healthRoutes(app: Hono<AdminEnv>, deps: { ops: OperationsView; title: string; now: () => number }) {
  app.get('/admin/health', async (c: Context<AdminEnv>) => {
    const s = c.get('admin');
    const [snap, pending, dead] = await Promise.all([deps.ops.health.check(), deps.ops.outbox.list({ state: 'pending', limit: 100 }), deps.ops.outbox.list({ state: 'dead', limit: 100 })]);
    return c.html(page(<HealthPage title={deps.title} username={s.username} csrfToken={s.csrfToken} ops={deps.ops} now={deps.now()} snap={snap} pending={pending} dead={dead} />));
  });
  app.get('/admin/partials/health', async (c) => c.html(<HealthBanner snapshot={await deps.ops.health.check()} now={deps.now()} />));
}
