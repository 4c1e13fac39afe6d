import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJourneyRunner } from '../../src/probes/journey.js';
import { schemaVersion } from '../../src/store/db.js';
import { startShopTarget } from '../fixtures/shop-target.js';
import { monitorFrom } from '../probes/journey-helpers.js';
import { BACKENDS, dropTestStore, openTestStore, storeSql, type TestStore } from '../support/backends.js';

let target: Awaited<ReturnType<typeof startShopTarget>>;
beforeAll(async () => {
  target = await startShopTarget();
});
afterAll(() => target.close());

describe.each(BACKENDS)('storing journey runs on %s', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore(kind, [{ key: 'shop', name: 'Shop', public: true, schedule: 'every 60s' }]);
  });
  afterEach(() => dropTestStore(store));

  it('keeps persona, tasks, the failing step, evidence and page assets', async () => {
    expect(await schemaVersion(storeSql(store))).toBeGreaterThanOrEqual(4);
    const m = monitorFrom(`- name: Shop
  baseUrl: ${target.url}
  personas:
    - name: buyer
      steps: [{ url: /page, assets: true }]
      tasks: [{ name: search, steps: [{ url: /echo, expect: { status: 201 } }] }]
`);
    const r = await createJourneyRunner(m).run({ noThink: true });
    store.writer.write(r);
    await store.writer.flush();
    const [listed] = await store.runs.list({ monitor: 'shop', limit: 1 });
    expect(listed).toMatchObject({ monitor: 'shop', persona: 'buyer', tasks: ['search'], ok: false, failureStep: 1, failureCode: 'status' });
    const row = (await store.runs.get(listed.id, { monitor: 'shop' }))!;
    expect(row).toMatchObject({ persona: 'buyer', tasks: ['search'], ok: false, failureStep: 1 });
    expect(row.steps[0].assets).toMatchObject({ count: 18, failed: 0 });
    expect(row.steps[0].assets!.items).toHaveLength(10);
    expect(row.steps[1].evidence).toEqual([{ what: 'status', expected: '201', actual: '200', pass: false }]);
  });
});
