/** A run's trace id on its details (admin always, public pages when `otel.publicTraceLinks`), linked to the user's tracing UI by `otel.traceUrl`. */

export type TraceLinks = {
  /** Builds the link (`otel.traceUrl`); without it the id is shown unlinked. */
  href?: (ref: { traceId: string; monitor: string; startedAt: number; durationMs: number }) => string;
  /** Also on the public run details. */
  public: boolean;
};

export type ShownTrace = { traceId: string; href?: string };

/** What a run's details show of its trace; undefined when it has none. */
export function traceOf(links: TraceLinks | undefined, monitor: string, run: { traceId: string | null; startedAt: number; durationMs: number }): ShownTrace | undefined {
  if (!run.traceId) return undefined;
  return { traceId: run.traceId, href: links?.href?.({ traceId: run.traceId, monitor, startedAt: run.startedAt, durationMs: run.durationMs }) };
}

export function TraceRefView(props: { trace?: ShownTrace }) {
  const t = props.trace;
  if (!t) return null;
  return (
    <p class="trace muted small">
      Trace <code>{t.traceId}</code>
      {t.href ? (
        <>
          {' · '}
          <a href={t.href} rel="noopener noreferrer" target="_blank">
            open trace
          </a>
        </>
      ) : null}
    </p>
  );
}
