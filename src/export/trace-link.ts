/**
 * The link from a run to its trace in the user's tracing UI, from `otel.traceUrl`:
 * `https://grafana.example/explore?traceId={traceId}`. `{traceId}`, `{monitor}`, and `{from}`/`{to}`
 * (epoch ms, the run's span with a minute either side, for UIs that want a time range) are filled in,
 * URL-encoded; other text is kept as written.
 */
export type TraceRef = { traceId: string; monitor: string; startedAt: number; durationMs: number };

const MARGIN_MS = 60_000;

export function createTraceLinker(template: string): (ref: TraceRef) => string {
  return (ref) =>
    template.replace(/\{(traceId|monitor|from|to)\}/g, (_, key: string) => {
      const v =
        key === 'traceId' ? ref.traceId : key === 'monitor' ? ref.monitor : key === 'from' ? Math.floor(ref.startedAt - MARGIN_MS) : Math.ceil(ref.startedAt + ref.durationMs + MARGIN_MS);
      return encodeURIComponent(String(v));
    });
}
