import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/read.js';
import { loadConfigFile } from '../../src/configure.js';
import { runBurst } from '../../src/load/engine.js';
import { resolveBurst } from '../../src/load/from-config.js';
import { journeyIteration } from '../../src/load/journey-iteration.js';
import { createSession } from '../../src/probes/session.js';
import { startDemoApp, type DemoApp } from '../../examples/demo-app.js';

let demo: DemoApp;
beforeAll(async () => {
  demo = await startDemoApp({ port: 0, delays: false });
});
afterAll(() => demo.close());

describe('a burst of the example shopper journey against the demo shop', () => {
  it('runs both personas (login with CSRF, cart, assets) with every request allowlisted and none failing', async () => {
    const config = loadConfigFile(EXAMPLE_CONFIG_PATH, {}).config;
    const m = config.monitors.find((x) => x.id === 'shopper')!;
    m.baseUrl = demo.url;
    // The journey's 1–3 s reading pauses would leave a short burst mid-journey; without them every pass completes.
    delete m.think;
    const r = resolveBurst(config, 'shopper', { users: 4, duration: '2s' });
    if (!('journey' in r.job.monitor)) throw new Error('the shopper journey should run as a journey');
    const iteration = journeyIteration(r.job.monitor.journey, { seed: 5 });
    await iteration.ready();
    const s = await runBurst({
      plan: r.plan,
      iteration,
      newSession: () => createSession({ connectionsPerOrigin: iteration.connectionsPerOrigin, allowHosts: r.job.allowHosts }),
      gracefulStop: 2_000,
    });
    expect(s.failures).toEqual([]);
    expect(s.errors).toBe(0);
    const step = (name: string) => s.steps.find((x) => x.name === name);
    for (const name of ['home', 'search', 'login page', 'log in', 'product page', 'add to cart', 'account shows the cart', 'log out']) expect(step(name), name).toBeDefined();
    // The home page's six assets are requests of their own, fetched once per simulated user: its
    // browser cache keeps them (the shop sends max-age) for its later passes and the product page.
    expect(step('home')!.count).toBeGreaterThan(4);
    expect(step('home assets')!.count).toBe(6 * 4);
    expect(step('product page assets')).toBeUndefined();
  });
});
