import { describe, expect, it } from 'vitest';
import { createDataPools } from '../../src/probes/data-pools.js';
import { createHelpers, loadFaker } from '../../src/probes/helpers.js';
import { createRng } from '../../src/probes/random.js';
import { parseTemplate, render, renderDeep, TemplateError, type TemplateContext } from '../../src/lang/template.js';

const ctxWith = (vars: Record<string, unknown>, seed = 1): TemplateContext => ({ lookup: (n) => vars[n], call: createHelpers(createRng(seed), { seeded: true }) });

describe('templates', () => {
  it('fills variables, paths and helpers anywhere in a string', () => {
    const ctx = ctxWith({ user: { email: 'a@b.c', tags: ['x', 'y'] }, id: 7 });
    expect(render('/u/{{ id }}?e={{user.email}}&t={{ user.tags[-1] }}&q={{ urlencode("a b&c") }}', ctx)).toBe('/u/7?e=a@b.c&t=y&q=a%20b%26c');
    expect(render('{{ upper(user.tags[0]) }}{{ lower("Q") }}', ctx)).toBe('Xq');
    expect(renderDeep({ id: '{{ id }}', s: 'n{{ id }}', list: ['{{ user.tags }}'] }, ctx)).toEqual({ id: 7, s: 'n7', list: [['x', 'y']] });
  });

  it('names the unknown variable, helper or bad syntax', () => {
    const ctx = ctxWith({ a: { b: 1 } });
    expect(() => render('{{ nope }}', ctx)).toThrow(new TemplateError('unknown variable "nope"'));
    expect(() => render('{{ a.c }}', ctx)).toThrow('"a.c": c is not there');
    expect(() => render('{{ frob(1) }}', ctx)).toThrow(/unknown helper "frob"/);
    expect(() => parseTemplate('x {{ a')).toThrow('unclosed "{{" at position 2');
    expect(() => parseTemplate('{{ pick(1, }}')).toThrow(TemplateError);
  });

  it('random helpers are repeatable with a seed and stay in range', () => {
    const draw = (seed: number) => render('{{ randomInt(1, 6) }} {{ pick("a", "b", "c") }} {{ uuid() }}', ctxWith({}, seed));
    expect(draw(42)).toBe(draw(42));
    const seen = new Set<string>();
    for (let s = 0; s < 200; s++) {
      const [n, p, u] = draw(s).split(' ');
      expect(Number(n)).toBeGreaterThanOrEqual(1);
      expect(Number(n)).toBeLessThanOrEqual(6);
      expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(n + p);
    }
    expect(seen.size).toBe(18);
    expect(render('{{ pick(list) }}', ctxWith({ list: ['only'] }))).toBe('only');
  });

  it('faker gives realistic data in the chosen locale, repeatable by seed', async () => {
    const de = await loadFaker('de');
    const text = (seed: number) =>
      render('{{ faker.person.fullName }}|{{ faker.internet.email() }}|{{ faker.phone.number }}|{{ faker.location.city }}|{{ faker.string.alpha(5) }}', {
        lookup: () => undefined,
        call: createHelpers(createRng(seed), { seeded: true, faker: de }),
      });
    const a = text(3);
    expect(a).toBe(text(3));
    const [name, email, phone, city, alpha] = a.split('|');
    expect(name).toMatch(/\S+ \S+/);
    expect(email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/i);
    expect(phone).toMatch(/\d/);
    expect(city.length).toBeGreaterThan(1);
    expect(alpha).toMatch(/^[A-Za-z]{5}$/);
    const de2 = de.definitions.location.city_name ?? [];
    expect(Array.isArray(de2) && de2.length > 0).toBe(true);
    await expect(loadFaker('xx_NOPE')).rejects.toThrow('unknown faker locale "xx_NOPE"');
  });
});

describe('data pools', () => {
  const values = ['a', 'b', 'c', 'd'];
  it('sequence goes round in order; one draw per run', () => {
    const pools = createDataPools({ p: { values, pick: 'sequence', delimiter: ',' } });
    const rng = createRng(1);
    const got = Array.from({ length: 6 }, () => {
      const view = pools.forRun(rng);
      expect(view('p')).toBe(view('p'));
      return view('p');
    });
    expect(got).toEqual(['a', 'b', 'c', 'd', 'a', 'b']);
  });

  it('unique uses every row once before repeating', () => {
    const pools = createDataPools({ p: { values, pick: 'unique', delimiter: ',' } });
    const rng = createRng(9);
    const round = () => Array.from({ length: 4 }, () => pools.forRun(rng)('p')).sort();
    expect(round()).toEqual(values);
    expect(round()).toEqual(values);
  });

  it('random covers the pool', () => {
    const pools = createDataPools({ p: { values, pick: 'random', delimiter: ',' } });
    const rng = createRng(5);
    const seen = new Set(Array.from({ length: 200 }, () => pools.forRun(rng)('p')));
    expect([...seen].sort()).toEqual(values);
    expect(pools.forRun(rng)('other')).toBeUndefined();
  });
});

describe('helper errors', () => {
  it('a faker helper that fails names itself', async () => {
    const en = await loadFaker('en');
    const ctx: TemplateContext = { lookup: () => undefined, call: createHelpers(createRng(1), { seeded: true, faker: en }) };
    expect(() => render('{{ faker.number.int("x") }}', ctx)).not.toThrow();
    expect(() => render('{{ faker.person }}', ctx)).toThrow('faker is used as faker.<module>.<generator>');
    expect(() => ctx.call('faker.person.nope', [])).toThrow('unknown faker helper "faker.person.nope"');
    expect(() => render('{{ faker.date.between() }}', ctx)).toThrow(/^faker\.date\.between: /);
  });
});

describe('templates are a sandbox', () => {
  const exploit = "{{ faker.helpers.multiple(faker.constructor.constructor('return process.pid')) }}";

  it('refuses paths into the language itself, at parse time', () => {
    expect(() => parseTemplate(exploit)).toThrow(/"constructor" is not allowed in a template/);
    for (const t of ['{{ vars.constructor }}', '{{ a.__proto__ }}', "{{ a['prototype'] }}", '{{ faker.fakerCore.randomizer.next }}', '{{ faker.person }}', '{{ faker.person.fullName.call }}'])
      expect(() => parseTemplate(t), t).toThrow(TemplateError);
  });

  it('reads own data only, never a function or an inherited property', () => {
    const ctx = ctxWith({ list: [1, 2], obj: { x: 1 } });
    expect(() => render('{{ list.length }}', ctx)).not.toThrow();
    expect(() => render('{{ obj.toString }}', ctx)).toThrow('"obj.toString": toString is not there');
    expect(() => render('{{ obj.hasOwnProperty }}', ctx)).toThrow(TemplateError);
  });

  it('calls only faker generators with plain values', async () => {
    const faker = await loadFaker('en');
    const call = createHelpers(createRng(1), { faker, seeded: true });
    expect(typeof call('faker.person.fullName', [])).toBe('string');
    expect(() => call('faker.helpers.multiple', [() => process.pid])).toThrow('functions cannot be passed to faker helpers');
    expect(() => call('faker.constructor.constructor', ['return process.pid'])).toThrow(/unknown faker helper/);
    expect(() => call('faker.fakerCore.randomizer', [])).toThrow(/unknown faker helper/);
  });

  it('a config holding the exploit is refused by validation, naming the path', async () => {
    const { parseConfigText } = await import('../../src/configure.js');
    expect(() => parseConfigText(`monitors:\n  - name: api\n    steps:\n      - url: "http://127.0.0.1/?x=${exploit}"\n`, 'x.yaml')).toThrow(
      /monitors\[0\]\.steps\[0\]\.url: template: .*"constructor" is not allowed/,
    );
  });
});
