import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';
import { BurstBusy, createLoadControl, type LoadControl } from '../../src/load/control.js';
import { loadJobs } from '../../src/load/jobs.js';
import { createLogger } from '../../src/log.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startServer, tempDir, type TestServer } from '../helpers.js';

/** Scheduled bursts go through the same control as the admin pages: one burst at a time per server. */
describe('scheduled bursts and the one-burst rule', () => {
  let target: TestServer;
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let control: LoadControl;
  let loaded: ReturnType<typeof parseConfigText>;
  const lines: string[] = [];
  let requests = 0;
  beforeAll(async () => {
    tmp = tempDir();
    target = await startServer((_req, res) => {
      requests++;
      res.end('ok');
    });
    store = await openStore(join(tmp.dir, 'h.db'), []);
    loaded = parseConfigText(
      `load:\n  allowHosts: [127.0.0.1]\nmonitors:\n  - id: shop\n    name: Shop\n    steps:\n      - { name: home, url: "${target.url}/" }\n    load: { users: 1, duration: 30s, thinkTime: 50ms }\nloads:\n  - { name: nightly, monitor: shop, users: 1, duration: 1s, cron: "0 3 * * *" }\n`,
      't.yaml',
    );
    control = createLoadControl({ loaded, loadRuns: store.loadRuns });
  });
  afterAll(async () => {
    await control?.close();
    await store?.close();
    await target?.close();
    tmp?.cleanup();
  });

  it('skips a scheduled burst while another runs, and runs it once that one has ended', async () => {
    const jobs = loadJobs(loaded, control, createLogger({ write: (l) => lines.push(l) }));
    expect(jobs.map((j) => j.id)).toEqual(['load:nightly']);
    // A manual burst is running when the scheduled one comes due.
    const manual = await control.start('shop');
    await jobs[0].run(Date.now(), new AbortController().signal);
    expect(lines.join('\n')).toContain('scheduled burst skipped: another burst is running');
    expect((await store.loadRuns.list()).map((r) => r.id)).toEqual([manual.runId]);
    control.stop(manual.runId);
    await manual.done;
    // Once it has ended, the scheduled burst runs (and is stored with its trigger).
    await jobs[0].run(Date.now(), new AbortController().signal);
    const runs = await store.loadRuns.list();
    expect(runs.map((r) => [r.name, r.trigger, r.status])).toEqual([
      ['nightly', 'schedule', 'passed'],
      ['shop', 'admin', 'stopped'],
    ]);
  });

  it('refuses a second start while the first is still being stored', async () => {
    // Both asked in the same tick: the first has not got its run id from the store yet.
    const [first, second] = await Promise.allSettled([control.start('shop'), control.start('shop')]);
    expect(first.status).toBe('fulfilled');
    expect(second.status === 'rejected' && second.reason).toBeInstanceOf(BurstBusy);
    const { runId, done } = (first as PromiseFulfilledResult<Awaited<ReturnType<LoadControl['start']>>>).value;
    expect((await store.loadRuns.list()).filter((r) => r.status === 'running').map((r) => r.id)).toEqual([runId]);
    control.stop(runId);
    await done;
  });

  it('does not run a burst whose run cannot be stored, and says why', async () => {
    const closed = await openStore(join(tmp.dir, 'closed.db'), []);
    await closed.close();
    const broken = createLoadControl({ loaded, loadRuns: closed.loadRuns });
    const before = requests;
    await expect(broken.start('shop')).rejects.toThrow(/^could not store the load run: .*not open/);
    // Given the worker time to start, had it been started: no request reached the target.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(requests).toBe(before);
    expect(broken.active()).toBeUndefined();
    await broken.close();
  });
});
