import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/read.js';
import { loadConfigFile } from '../../src/configure.js';
import { createJourneyRunner } from '../../src/probes/journey.js';
import { startDemoApp, type DemoApp } from '../../examples/demo-app.js';
import { monitorFrom } from '../probes/journey-helpers.js';

let demo: DemoApp;
beforeAll(async () => {
  demo = await startDemoApp({ port: 0, delays: false });
});
afterAll(() => demo.close());

describe('the example shopper journey against the demo shop', () => {
  it('passes for both personas over many seeded runs; the buyer ends with the product in the cart', async () => {
    const m = loadConfigFile(EXAMPLE_CONFIG_PATH, {}).config.monitors.find((x) => x.id === 'shopper')!;
    m.baseUrl = demo.url;
    const runner = createJourneyRunner(m, { seed: 3 });
    const personas = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const r = await runner.run({ noThink: true });
      expect(r.failure, `seed ${r.seed}`).toBeUndefined();
      personas.add(r.persona!);
      if (r.persona === 'buyer') {
        const home = r.steps[0].assets!;
        expect(home.count).toBe(6);
        expect(home.items.some((a) => a.url.endsWith('/static/pitch.woff2'))).toBe(true);
        const product = r.steps.find((s) => s.name === 'product page')!;
        expect(product.assets).toMatchObject({ count: 0, cached: 3 });
        const account = r.steps.find((s) => s.name === 'account shows the cart')!;
        expect(account.evidence[1]).toMatchObject({ what: 'body contains', expected: JSON.stringify(product.extracted!.productName), pass: true });
      }
    }
    expect(personas).toEqual(new Set(['browser', 'buyer']));
  });

  it('the demo really guards its login form and cart API', async () => {
    const r = await createJourneyRunner(
      monitorFrom(`- name: no csrf
  baseUrl: ${demo.url}
  steps:
    - { url: /login }
    - { method: POST, url: /login, form: { email: a@halftime.test, password: kickoff }, expect: { status: 403 } }
    - { method: POST, url: /login, form: { email: a@halftime.test, password: kickoff }, csrf: auto, expect: { bodyContains: [Signed in as, a@halftime.test] } }
    - { method: POST, url: /api/cart, json: { productId: 1 }, expect: { status: 403, json: [{ path: $.error, contains: CSRF }] } }
    - { method: POST, url: /api/cart, json: { productId: 1 }, csrf: auto, expect: { status: 201 } }
`),
    ).run();
    expect(r.failure).toBeUndefined();
  });
});
