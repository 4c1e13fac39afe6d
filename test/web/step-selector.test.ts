import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/probes/types.js';
import { createApp } from '../../src/web/app.js';
import { personaRun, rng, runOf, step } from '../store/history-fixtures.js';
import { BACKENDS, dropTestStore, openTestStore, type TestStore } from '../support/backends.js';

const MIN = 60_000;
const NOW = Date.UTC(2026, 10, 26, 12, 30, 0);
const options = (html: string) => [...html.matchAll(/<option value="(-?\d+)"( selected="")?>([^<]*)<\/option>/g)].map((m) => [Number(m[1]), m[3], m[2] !== undefined]);

describe.each(BACKENDS)('steps on %s', (kind) => {
  let store: TestStore;
  let runs: RunResult[];

  const get = (path: string) => createApp({ status: store.status, history: store.history, runs: store.runs, title: 'Acme', schedulerAlive: () => true, now: () => NOW }).request(path);

  beforeEach(async () => {
    store = await openTestStore(kind, [
      { key: 'journey', name: 'Shopper journey', public: true, schedule: 'every 5m' },
      { key: 'plain', name: 'Plain', public: true, schedule: 'every 5m', steps: 2 },
    ], { flushMs: 60_000, batchSize: 1000 });
    const rand = rng(4);
    runs = [];
    for (let t = NOW - 6 * 60 * MIN; t < NOW; t += 5 * MIN) runs.push(personaRun('journey', t, rand));
    runs.forEach((r) => store.writer.write(r));
    // The plain monitor renamed its second step an hour ago.
    for (let t = NOW - 2 * 60 * MIN; t < NOW; t += 5 * MIN) {
      const second = t < NOW - 60 * MIN ? 'pay' : 'checkout';
      store.writer.write(runOf('plain', t, [{ ...step(0, t, 10), name: 'home' }, { ...step(1, t, 90), name: second }]));
    }
    await store.writer.flush();
  });
  afterEach(() => dropTestStore(store));

  describe('step selector', () => {
    it('lists a persona journey’s steps by name, in order of first appearance, and charts the one picked', async () => {
      const page = await (await get('/monitors/journey')).text();
      expect(page).toContain('<select name="step">');
      const firstSeen = [...new Set(runs.flatMap((r) => r.steps.map((s) => s.name)))];
      expect(firstSeen.sort()).toEqual(['home', 'log in', 'pay', 'search']);
      const list = options(page);
      expect(list[0]).toEqual([-1, 'Whole journey', true]);
      expect(list.slice(1).map(([, name]) => name)).toEqual([...new Set(runs.flatMap((r) => r.steps.map((s) => s.name)))]);
      expect(list.slice(1).map(([key]) => key)).toEqual([0, 1, 2, 3]);

      const search = list.find(([, name]) => name === 'search')![0] as number;
      const picked = await (await get(`/monitors/journey?range=24h&step=${search}`)).text();
      expect(options(picked).find(([, , selected]) => selected)).toEqual([search, 'search', true]);
      expect(picked).toContain(`data-series-url="/api/monitors/journey/series?range=24h&amp;step=${search}&amp;fields=`);
      expect(picked).toContain('per minute, search:');
      const executions = runs.flatMap((r) => r.steps.filter((s) => s.name === 'search')).length;
      expect(picked).toContain(`Runs</dt><dd>${executions}</dd>`);

      // The htmx partial and the JSON say the same.
      const partial = await (await get(`/partials/monitors/journey/chart?range=7d&step=${search}`)).text();
      expect(partial.startsWith('<section id="history"')).toBe(true);
      expect(options(partial).find(([, , selected]) => selected)).toEqual([search, 'search', true]);
      const json = await (await get(`/api/monitors/journey/series?range=7d&step=${search}`)).json();
      expect([json.step, json.stepName, json.summary.runs]).toEqual([search, 'search', executions]);
      expect(json.steps.map((s: { name: string }) => s.name)).toEqual(list.slice(1).map(([, name]) => name));
    });

    it('numbers a plain journey’s current steps and groups a renamed one under earlier steps', async () => {
      const page = await (await get('/monitors/plain?step=1')).text();
      expect(options(page)).toEqual([
        [-1, 'Whole journey', false],
        [0, '1. home', false],
        [2, '2. checkout', false],
        [1, 'pay', true],
      ]);
      expect(page).toMatch(/<optgroup label="Earlier steps"><option value="1" selected="">pay<\/option><\/optgroup>/);
      expect(page).toContain('Runs</dt><dd>12</dd>');
    });
  });
});
