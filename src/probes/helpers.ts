import { randomUUID } from 'node:crypto';
import type { Faker } from '@faker-js/faker';
import type { Rng } from './random.js';
import { calledHelpers, FORBIDDEN_NAMES, stringify, TemplateError } from '../lang/template.js';

/**
 * Template helpers: `pick`, `randomInt`, `uuid`, `now`, `urlencode`, `lower`, `upper`, and
 * `faker.<module>.<method>(args)` for realistic names, emails, phone numbers and addresses.
 * Every random choice comes from the run's seeded generator (faker is re-seeded from it per run).
 */
export type Helpers = (name: string, args: unknown[]) => unknown;

let fakerModule: Promise<typeof import('@faker-js/faker')> | undefined;

/**
 * A new faker for a locale (falling back to English for what the locale lacks). The package is
 * loaded on first use; each journey runner gets its own instance, so runs of different monitors
 * never share a seeded generator.
 */
export async function loadFaker(locale: string): Promise<Faker> {
  fakerModule ??= import('@faker-js/faker');
  const m = await fakerModule;
  const loc = (m.allLocales as Record<string, (typeof m.allLocales)['en']>)[locale];
  if (!loc) throw new Error(`unknown faker locale "${locale}" (e.g. en, de, fr, es, pt_BR, ja)`);
  return new m.Faker({ locale: [loc, m.allLocales.en, m.allLocales.base] });
}

/** True when any of these templates calls faker (so it is loaded only when needed). */
export const usesFaker = (templates: string[]) => templates.some((t) => calledHelpers(t).some((n) => n.startsWith('faker.')));

const seedFrom = (rng: Rng) => rng.int(0, 2 ** 31 - 1);

/** Seeded UUID v4 text. */
function seededUuid(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => rng.int(0, 15).toString(16));
  hex[12] = '4';
  hex[16] = ((rng.int(0, 15) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function createHelpers(rng: Rng, opts: { faker?: Faker; seeded: boolean }): Helpers {
  if (opts.faker) opts.faker.seed(seedFrom(rng));
  return (name, args) => {
    switch (name) {
      case 'pick': {
        const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
        if (list.length === 0) throw new TemplateError('pick() needs at least one value');
        return rng.pick(list);
      }
      case 'randomInt':
      case 'int': {
        const [min, max] = args.map(Number);
        if (!Number.isFinite(min) || !Number.isFinite(max)) throw new TemplateError(`${name}(min, max) needs two numbers`);
        return rng.int(min, max);
      }
      case 'uuid':
        return opts.seeded ? seededUuid(rng) : randomUUID();
      case 'now':
        return Date.now();
      case 'urlencode':
        return encodeURIComponent(stringify(args[0]));
      case 'lower':
        return stringify(args[0]).toLowerCase();
      case 'upper':
        return stringify(args[0]).toUpperCase();
    }
    if (name.startsWith('faker.')) {
      if (!opts.faker) throw new TemplateError('faker is not loaded');
      return callFaker(opts.faker, name, args);
    }
    throw new TemplateError(`unknown helper "${name}" (pick, randomInt, uuid, now, urlencode, lower, upper, faker.…)`);
  };
}

/**
 * `faker.<module>.<generator>(args)`: only a data generator the faker instance owns, called with
 * plain values (never a function: `helpers.multiple(fn)` would run whatever it is given).
 */
function callFaker(faker: Faker, name: string, args: unknown[]): unknown {
  const [, mod, method] = name.split('.');
  const unknown = () => new TemplateError(`unknown faker helper "${name}" (e.g. faker.person.fullName, faker.internet.email)`);
  if (name.split('.').length !== 3 || FORBIDDEN_NAMES.has(mod) || FORBIDDEN_NAMES.has(method) || mod === 'fakerCore' || mod.startsWith('_') || method.startsWith('_')) throw unknown();
  const module = Object.hasOwn(faker, mod) ? (faker as unknown as Record<string, unknown>)[mod] : undefined;
  if (!module || typeof module !== 'object') throw unknown();
  const fn = Object.hasOwn(module, method) ? (module as Record<string, unknown>)[method] : undefined;
  if (typeof fn !== 'function') throw unknown();
  if (args.some((a) => typeof a === 'function')) throw new TemplateError(`${name}: functions cannot be passed to faker helpers`);
  try {
    return (fn as (...a: unknown[]) => unknown).apply(module, args);
  } catch (err) {
    throw new TemplateError(`${name}: ${(err as Error).message}`);
  }
}
