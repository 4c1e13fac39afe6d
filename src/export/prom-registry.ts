/**
 * The prom-client registry behind `GET /metrics`, serialised as Prometheus text (0.0.4) or
 * OpenMetrics 1.0 (with exemplars) as the scraper asks. One registry serves both: it is created as
 * OpenMetrics (prom-client accepts exemplar-carrying histograms only there) and switched per scrape.
 */
import client from 'prom-client';

export type ScrapeFormat = 'prometheus' | 'openmetrics';
export type Scrape = { body: string; contentType: string };

export type PromRegistry = {
  registry: client.Registry<client.OpenMetricsContentType>;
  /** One scrape at a time (the format is switched on the shared registry). */
  scrape(format: ScrapeFormat): Promise<Scrape>;
};

export function createPromRegistry(): PromRegistry {
  const registry = new client.Registry<client.OpenMetricsContentType>();
  registry.setContentType(client.openMetricsContentType);
  // The same registry, typed for switching to the text format during a scrape.
  const switchable = registry as unknown as { setContentType(t: string): void };
  let chain: Promise<unknown> = Promise.resolve();

  async function serialise(format: ScrapeFormat): Promise<Scrape> {
    const type = format === 'openmetrics' ? client.Registry.OPENMETRICS_CONTENT_TYPE : client.Registry.PROMETHEUS_CONTENT_TYPE;
    // prom-client renames counters in place for OpenMetrics (`x_total` → family `x`); put the names back after.
    const counters = registry.getMetricsAsArray().filter((m) => (m as unknown as { type?: string }).type === 'counter') as unknown as { name: string }[];
    const names = counters.map((m) => m.name);
    switchable.setContentType(type);
    try {
      return { body: await registry.metrics(), contentType: type };
    } finally {
      counters.forEach((m, i) => (m.name = names[i]));
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
