import { expect } from 'vitest';
import type { ChannelPlugin } from '../../../src/alerting/types.js';

/** The plugin's options after validation (defaults applied); fails the test on a problem. */
export function optionsOf<O>(plugin: ChannelPlugin<O>, raw: Record<string, unknown>): O {
  const r = plugin.validate(raw);
  if (!r.ok) throw new Error(`${String(raw.type)}: ${JSON.stringify(r.problems)}`);
  return r.value;
}

/** The problems of bad options as `path: message` lines. */
export function problemsFor(plugin: ChannelPlugin<unknown>, raw: Record<string, unknown>): string[] {
  const r = plugin.validate(raw);
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
}
