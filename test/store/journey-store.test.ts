import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJourneyRunner } from '../../src/probes/journey.js';
import { schemaVersion } from '../../src/store/db.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startShopTarget } from '../fixtures/shop-target.js';
import { tempDir } from '../helpers.js';
import { monitorFrom } from '../probes/journey-helpers.js';

let target: Awaited<ReturnType<typeof startShopTarget>>;
let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeAll(async () => {
  target = await startShopTarget();
  tmp = tempDir();
  store = openStore(join(tmp.dir, 'j.db'), [{ key: 'shop', name: 'Shop', public: true, schedule: 'every 60s' }]);
});
afterAll(async () => {
  store.close();
  await target.close();
  tmp.cleanup();
});

describe('storing journey runs', () => {
  it('keeps persona, tasks, the failing step, evidence and page assets', async () => {
    expect(schemaVersion(store.db)).toBeGreaterThanOrEqual(4);
    const m = monitorFrom(`- name: Shop
  baseUrl: ${target.url}
  personas:
    - name: buyer
      steps: [{ url: /page, assets: true }]
      tasks: [{ name: search, steps: [{ url: /echo, expect: { status: 201 } }] }]
`);
    const r = await createJourneyRunner(m).run({ noThink: true });
    store.writer.write(r);
    store.writer.flush();
    const [row] = store.queries.recentRuns('shop', 1);
    expect(row).toMatchObject({ persona: 'buyer', tasks: ['search'], ok: false, failure_step: 1, failure_code: 'status' });
    expect(row.steps[0].assets).toMatchObject({ count: 18, failed: 0 });
    expect(row.steps[0].assets.items).toHaveLength(10);
    expect(row.steps[1].evidence).toEqual([{ what: 'status', expected: '201', actual: '200', pass: false }]);
  });
});
