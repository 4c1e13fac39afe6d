import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/configure.js';
import { createJourneyRunner } from '../../src/probes/journey.js';
import { planJourney } from '../../src/probes/persona.js';
import { createRng } from '../../src/probes/random.js';
import { startShopTarget } from '../fixtures/shop-target.js';
import { tempDir } from '../helpers.js';
import { monitorFrom } from './journey-helpers.js';

let target: Awaited<ReturnType<typeof startShopTarget>>;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  target = await startShopTarget();
  tmp = tempDir();
});
afterAll(async () => {
  await target.close();
  tmp.cleanup();
});

const personasYaml = (base: string) => `- name: shop
  baseUrl: ${base}
  personas:
    - name: browser
      weight: 80
      steps: [{ url: /echo?who=browser }]
    - name: buyer
      weight: 20
      steps: [{ url: /echo?who=buyer }]
      tasks:
        - { name: search, weight: 5, steps: [{ url: /echo?t=search }] }
        - { name: cart, weight: 1, steps: [{ url: /echo?t=cart }, { url: /echo?t=cart2 }] }
      iterations: 3
      after: [{ url: /echo?t=logout, alwaysRun: true }]
`;

describe('personas and weighted tasks', () => {
  it('picks personas and tasks by weight over many runs (within tolerance)', () => {
    const m = monitorFrom(personasYaml('http://127.0.0.1:9'));
    const rng = createRng(2024);
    const persona: Record<string, number> = { browser: 0, buyer: 0 };
    const tasks: Record<string, number> = { search: 0, cart: 0 };
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const plan = planJourney(m, rng);
      persona[plan.persona!]++;
      for (const t of plan.tasks) tasks[t]++;
      if (plan.persona === 'buyer') expect(plan.tasks).toHaveLength(3);
    }
    expect(persona.browser / N).toBeGreaterThan(0.78);
    expect(persona.browser / N).toBeLessThan(0.82);
    const share = tasks.search / (tasks.search + tasks.cart);
    expect(share).toBeGreaterThan(5 / 6 - 0.02);
    expect(share).toBeLessThan(5 / 6 + 0.02);
  });

  it('each run records which persona and tasks ran, in the order it ran them', async () => {
    const runner = createJourneyRunner(monitorFrom(personasYaml(target.url)), { seed: 11 });
    const seen = new Set<string>();
    for (let i = 0; i < 25 && seen.size < 2; i++) {
      const r = await runner.run({ noThink: true });
      seen.add(r.persona!);
      if (r.persona === 'buyer') {
        expect(r.tasks).toHaveLength(3);
        const expected = ['GET /echo', ...r.tasks!.flatMap((t) => (t === 'cart' ? ['GET /echo', 'GET /echo'] : ['GET /echo'])), 'GET /echo'];
        expect(r.steps.map((s) => s.name)).toEqual(expected);
        expect(r.steps.filter((s) => s.task).map((s) => s.task)).toEqual(r.tasks!.flatMap((t) => (t === 'cart' ? ['cart', 'cart'] : ['search'])));
        expect(r.steps.at(-1)!.url).toContain('t=logout');
        expect(r.steps.map((s) => s.index)).toEqual(r.steps.map((_, i) => i));
      } else {
        expect(r.tasks).toEqual([]);
        expect(r.steps).toHaveLength(1);
      }
    }
    expect(seen).toEqual(new Set(['browser', 'buyer']));
  });

  it('the same seed plays the same journey', async () => {
    const a = await createJourneyRunner(monitorFrom(personasYaml(target.url))).run({ seed: 99, noThink: true });
    const b = await createJourneyRunner(monitorFrom(personasYaml(target.url))).run({ seed: 99, noThink: true });
    expect([a.persona, a.tasks, a.seed]).toEqual([b.persona, b.tasks, 99]);
  });
});

describe('data pools from CSV and inline lists', () => {
  it('reads a CSV (quoted fields) relative to the config file and draws rows in sequence', async () => {
    writeFileSync(join(tmp.dir, 'users.csv'), 'email,password\nada@x.test,"pa,ss"\nbob@x.test,"say ""hi"""\n');
    const file = join(tmp.dir, 'pools.yaml');
    writeFileSync(file, `monitors:
  - name: pools
    baseUrl: ${target.url}
    data:
      users: { csv: users.csv, pick: sequence }
      terms: { values: [ball, gloves] }
    steps:
      - method: POST
        url: /echo
        form: { email: "{{ users.email }}", password: "{{ users.password }}", q: "{{ terms }}" }
        extract: { body: { json: $.body } }
`);
    const m = loadConfigFile(file, {}).config.monitors[0];
    const runner = createJourneyRunner(m, { seed: 1 });
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push(new URLSearchParams((await runner.run()).steps[0].extracted!.body));
    expect(bodies.map((b) => [b.get('email'), b.get('password')])).toEqual([
      ['ada@x.test', 'pa,ss'],
      ['bob@x.test', 'say "hi"'],
      ['ada@x.test', 'pa,ss'],
    ]);
    expect(bodies.every((b) => ['ball', 'gloves'].includes(b.get('q')!))).toBe(true);
  });

  it('a missing CSV file is a config problem with its path', () => {
    const file = join(tmp.dir, 'missing.yaml');
    writeFileSync(file, 'monitors:\n  - name: m\n    data: { users: { csv: nope.csv } }\n    steps: [{ url: "http://127.0.0.1/" }]\n');
    expect(() => loadConfigFile(file, {})).toThrow(/monitors\[0\]\.data\.users\.csv: cannot read .*nope\.csv: ENOENT/);
  });
});
