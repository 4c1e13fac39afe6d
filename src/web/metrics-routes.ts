/**
 * `GET /metrics` for Prometheus: the text format or OpenMetrics (with exemplars), as the scraper's
 * Accept header asks; behind a bearer token or basic auth when the config sets one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { compress } from 'hono/compress';

export type MetricsFormat = 'prometheus' | 'openmetrics';

export type MetricsRouteDeps = {
  scrape(format: MetricsFormat): Promise<{ body: string; contentType: string }>;
  negotiate(accept: string | undefined): MetricsFormat;
  /** `metrics.token` / `metrics.basicAuth`; neither: open to anyone who can reach the port. */
  token?: string;
  basicAuth?: { username: string; password: string };
  onError?: (err: unknown) => void;
};

const digest = (s: string) => createHash('sha256').update(s).digest();
/** Compares without leaking, through its timing, how much of the secret a guess got right. */
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

function authorized(header: string | undefined, deps: MetricsRouteDeps): boolean {
  if (!deps.token && !deps.basicAuth) return true;
  if (!header) return false;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (deps.token && /^bearer$/i.test(scheme)) return same(value, deps.token);
  if (deps.basicAuth && /^basic$/i.test(scheme)) {
    const text = Buffer.from(value, 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i < 0) return false;
    // Both parts are always compared, so a wrong user name takes as long as a wrong password.
    const userOk = same(text.slice(0, i), deps.basicAuth.username);
    const passOk = same(text.slice(i + 1), deps.basicAuth.password);
    return userOk && passOk;
  }
  return false;
}

export function metricsRoutes(deps: MetricsRouteDeps) {
  const app = new Hono();
  const challenge = [deps.token ? 'Bearer realm="halftime metrics"' : undefined, deps.basicAuth ? 'Basic realm="halftime metrics", charset="UTF-8"' : undefined].filter(Boolean).join(', ');
  // Prometheus accepts gzip: a large scrape shrinks about tenfold (zlib works off the event loop).
  app.use('/metrics', compress());
  app.get('/metrics', async (c) => {
    if (!authorized(c.req.header('authorization'), deps)) {
      return c.text('metrics need credentials: send the metrics.token as a bearer token (or metrics.basicAuth)\n', 401, { 'www-authenticate': challenge, 'cache-control': 'no-store' });
    }
    try {
      const { body, contentType } = await deps.scrape(deps.negotiate(c.req.header('accept')));
      return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
    } catch (err) {
      deps.onError?.(err);
      return c.text(`metrics could not be collected: ${(err as Error).message}\n`, 500);
    }
  });
  return app;
}
