import type { ChannelPlugin } from '../types.js';

export type ChannelRegistry = {
  get(type: string): ChannelPlugin | undefined;
  types(): string[];
};

/** The list of channel plugins; a second plugin with the same type is a programming error and throws. */
export function createChannelRegistry(plugins: ChannelPlugin<any>[]): ChannelRegistry {
  const byType = new Map<string, ChannelPlugin>();
  for (const p of plugins) {
    if (!/^[a-z][a-z0-9-]*$/.test(p.type)) throw new Error(`channel type "${p.type}" must be lowercase letters, digits or -`);
    if (byType.has(p.type)) throw new Error(`duplicate channel type "${p.type}"`);
    byType.set(p.type, p);
  }
  return { get: (type) => byType.get(type), types: () => [...byType.keys()] };
}
