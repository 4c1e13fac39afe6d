/**
 * The prom-client registry behind `GET /metrics`, serialised as Prometheus text (0.0.4) or
 * OpenMetrics 1.0 (with exemplars) as the scraper asks. One registry serves both: it is created as
 * OpenMetrics (prom-client accepts exemplar-carrying histograms only there) and switched per scrape.
 *
 * A scrape serialises with prom-client one piece at a time and lets the event loop run in between:
 * each metric family, and a large histogram family in slices of its series. With 1,000 monitors × 5
 * steps the scheduler's timers then wait for one slice, not for the whole scrape
 * (bench/README-observe.md has the figures).
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import client from 'prom-client';

export type ScrapeFormat = 'prometheus' | 'openmetrics';
export type Scrape = { body: string; contentType: string };

export type PromRegistry = {
  registry: client.Registry<client.OpenMetricsContentType>;
  /** One scrape at a time (the format is switched on the shared registry). */
  scrape(format: ScrapeFormat): Promise<Scrape>;
};

type Family = { name: string; type?: string; collect?: unknown; hashMap?: Record<string, unknown> };

/** Series per slice of a large histogram family (17 samples each: ~8,500 lines). */
const SLICE = 500;

/**
 * A large histogram family in slices: prom-client keeps a histogram's series in `hashMap` and renders
 * whatever that holds, so a view of the metric with part of the map renders part of the family. The
 * slices after the first lose their HELP and TYPE lines. Families with a collect callback, or a
 * prom-client without `hashMap`, are rendered whole.
 */
async function sliced(f: Family, render: (m: unknown) => Promise<string>): Promise<string> {
  const map = f.hashMap;
  const keys = f.type === 'histogram' && !f.collect && map && typeof map === 'object' ? Object.keys(map) : [];
  if (keys.length <= SLICE) return render(f);
  const out: string[] = [];
  for (let i = 0; i < keys.length; i += SLICE) {
    const part: Record<string, unknown> = {};
    for (const k of keys.slice(i, i + SLICE)) part[k] = map![k];
    const text = await render(Object.create(f, { hashMap: { value: part } }));
    out.push(i === 0 ? text : text.slice(text.indexOf('\n', text.indexOf('\n') + 1) + 1));
    await yieldToLoop();
  }
  return out.join('\n');
}

export function createPromRegistry(): PromRegistry {
  const registry = new client.Registry<client.OpenMetricsContentType>();
  registry.setContentType(client.openMetricsContentType);
  // The same registry, typed for switching to the text format during a scrape.
  const switchable = registry as unknown as { setContentType(t: string): void; getMetricsAsString(m: unknown): Promise<string> };
  let chain: Promise<unknown> = Promise.resolve();

  async function serialise(format: ScrapeFormat): Promise<Scrape> {
    const om = format === 'openmetrics';
    const type = om ? client.Registry.OPENMETRICS_CONTENT_TYPE : client.Registry.PROMETHEUS_CONTENT_TYPE;
    const families = registry.getMetricsAsArray() as unknown as Family[];
    const names = families.map((f) => f.name);
    switchable.setContentType(type);
    try {
      const parts: string[] = [];
      for (const f of families) {
        // OpenMetrics names a counter family without `_total` (its samples keep it), as prom-client's own metrics() does.
        if (om && f.type === 'counter') f.name = f.name.replace(/_total$/, '');
        parts.push(await sliced(f, (m) => switchable.getMetricsAsString(m)));
        await yieldToLoop();
      }
      return { body: om ? `${parts.join('\n')}\n# EOF\n` : `${parts.join('\n\n')}\n`, contentType: type };
    } finally {
      families.forEach((f, i) => (f.name = names[i]));
      switchable.setContentType(client.openMetricsContentType);
    }
  }

  return {
    registry,
    scrape(format) {
      const next = chain.then(() => serialise(format));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}

/**
 * Which format an `Accept` header asks for: OpenMetrics when it is acceptable at least as much as
 * Prometheus text (Prometheus itself asks for OpenMetrics first), else the text format.
 */
export function negotiate(accept: string | undefined): ScrapeFormat {
  if (!accept) return 'prometheus';
  let om = 0;
  let text = 0;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';').map((x) => x.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'prometheus';
}
