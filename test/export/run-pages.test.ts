import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { createApp } from '../../src/web/app.js';
import { tempDir } from '../helpers.js';
import { fakeRun } from './fixtures.js';

/** The public run details show a run's trace only when `otel.publicTraceLinks` allows it. */
describe('trace ids on the public run details', () => {
  const tmp = tempDir();
  const store = openStore(join(tmp.dir, 'h.db'), [{ key: 'shop', name: 'Shop', public: true, schedule: 'every 1m' }]);
  const run = fakeRun({ monitor: 'shop' });
  store.writer.write(run);
  store.writer.flush();
  afterAll(() => {
    store.close();
    tmp.cleanup();
  });
  const detail = async (traceLinks?: Parameters<typeof createApp>[0]['traceLinks']) => {
    const app = createApp({ queries: store.queries, history: store.history, runs: store.runs, title: 'Acme', schedulerAlive: () => true, traceLinks });
    const id = store.runs.recent(store.history.monitor('shop')!.id, 1)[0].id;
    const res = await app.request(`/partials/monitors/shop/runs/${id}`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('stores the trace id with the run', () => {
    expect(store.runs.recent(store.history.monitor('shop')!.id, 1)[0].traceId).toBe(run.traceId);
  });

  it('hides it by default and when only the admin may see it', async () => {
    expect(await detail()).not.toContain(run.traceId);
    expect(await detail({ href: (r) => `https://t.example/${r.traceId}`, public: false })).not.toContain(run.traceId);
  });

  it('shows it, linked, when public trace links are on', async () => {
    const html = await detail({ href: (r) => `https://t.example/trace/${r.traceId}`, public: true });
    expect(html).toContain(`<code>${run.traceId}</code>`);
    expect(html).toContain(`href="https://t.example/trace/${run.traceId}"`);
    expect(html).toContain('rel="noopener noreferrer"');
  });
});
