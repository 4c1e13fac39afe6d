import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/web/app.js';
import { dropTestStore, openTestStore, type TestStore } from '../support/backends.js';
import { fakeRun } from './fixtures.js';

/** The public run details show a run's trace only when `otel.publicTraceLinks` allows it. */
describe('trace ids on the public run details', () => {
  let store: TestStore;
  const run = fakeRun({ monitor: 'shop' });
  beforeAll(async () => {
    store = await openTestStore('sqlite', [{ key: 'shop', name: 'Shop', public: true, schedule: 'every 1m' }]);
    store.writer.write(run);
    await store.writer.flush();
  });
  afterAll(() => dropTestStore(store));
  const newest = async () => (await store.runs.list({ monitor: 'shop', limit: 1 }))[0];
  const detail = async (traceLinks?: Parameters<typeof createApp>[0]['traceLinks']) => {
    const app = createApp({ status: store.status, history: store.history, runs: store.runs, title: 'Acme', schedulerAlive: () => true, traceLinks });
    const { id } = await newest();
    const res = await app.request(`/partials/monitors/shop/runs/${id}`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('stores the trace id with the run', async () => {
    expect((await newest()).traceId).toBe(run.traceId);
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
