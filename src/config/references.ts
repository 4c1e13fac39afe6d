/**
 * Checks between parts of a config — monitor ids unique, channels, monitors and loads named where they
 * are used — run on the raw document, so they are reported in the same pass as schema errors instead
 * of waiting until the rest of the config parses. Anything malformed here is left to the schema.
 */
import type { ConfigCheck, ConfigProblem } from './read.js';
import { formatPath } from './read.js';
import { slugify } from './schema.js';
import { isBrowserMonitor } from './browser-schema.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Each raw monitor with its index and its id (`id`, or the name in kebab-case), when it has one. */
export function rawMonitors(raw: unknown): { m: Record<string, unknown>; i: number; id: string | undefined }[] {
  const monitors = isObject(raw) ? list(raw.monitors) : [];
  return monitors.flatMap((m, i) => {
    if (!isObject(m)) return [];
    const id = typeof m.id === 'string' ? m.id : typeof m.name === 'string' ? slugify(m.name) : undefined;
    return [{ m, i, id }];
  });
}

export const checkReferences: ConfigCheck = (raw) => {
  const problems: ConfigProblem[] = [];
  const add = (at: (string | number)[], message: string) => problems.push({ path: formatPath(at), message, at });
  const doc = isObject(raw) ? raw : {};

  // Monitor ids: present and unique.
  const monitors = rawMonitors(raw);
  const seen = new Map<string, number>();
  for (const { m, i, id } of monitors) {
    if (id === undefined) continue;
    const at = ['monitors', i, typeof m.id === 'string' ? 'id' : 'name'];
    if (!id) add(at, 'name needs letters or digits (or give an id)');
    const prev = seen.get(id);
    if (prev !== undefined) add(at, `duplicate monitor id "${id}" (also monitors[${prev}]); give each monitor its own id`);
    else seen.set(id, i);
  }
  const ids = [...seen.keys()].filter(Boolean);

  // Channels named by the default route and by each monitor exist under alerts.channels.
  const alerts = isObject(doc.alerts) ? doc.alerts : undefined;
  const names = new Set(isObject(alerts?.channels) ? Object.keys(alerts.channels) : []);
  const known = names.size ? [...names].join(', ') : 'none defined under alerts.channels';
  const checkChannels = (channels: unknown, at: (string | number)[]) =>
    list(channels).forEach((c, i) => {
      if (typeof c === 'string' && !names.has(c)) add([...at, i], `unknown channel "${c}" (known: ${known})`);
    });
  if (isObject(alerts?.defaults)) checkChannels(alerts.defaults.channels, ['alerts', 'defaults', 'channels']);
  for (const { m, i } of monitors) if (isObject(m.alerts)) checkChannels(m.alerts.channels, ['monitors', i, 'alerts', 'channels']);

  // Maintenance windows name configured monitors.
  const idSet = new Set(ids);
  list(alerts?.maintenance).forEach((w, wi) => {
    if (!isObject(w)) return;
    list(w.monitors).forEach((k, i) => {
      if (typeof k === 'string' && !idSet.has(k)) add(['alerts', 'maintenance', wi, 'monitors', i], `unknown monitor id "${k}"`);
    });
  });

  // Per-user setup and teardown steps given as a path need their monitor's baseUrl, like its own steps.
  const baseUrlOf = new Map(monitors.map(({ m, id }) => [id, m.baseUrl]));
  const checkUserSteps = (block: unknown, baseUrl: unknown, at: (string | number)[]) => {
    if (!isObject(block) || typeof baseUrl === 'string') return;
    for (const which of ['setup', 'teardown'] as const)
      list(block[which]).forEach((s, i) => {
        if (isObject(s) && typeof s.url === 'string' && s.url.startsWith('/')) add([...at, which, i, 'url'], "a path needs the monitor's baseUrl (or give a full http:// URL)");
      });
  };
  for (const { m, i } of monitors) checkUserSteps(m.load, m.baseUrl, ['monitors', i, 'load']);

  // loads[] entries name a monitor and are named uniquely.
  const browserIds = new Set(monitors.filter(({ m }) => isBrowserMonitor(m)).map(({ id }) => id));
  const loadNames = new Map<string, number>();
  list(doc.loads).forEach((l, i) => {
    if (!isObject(l)) return;
    if (typeof l.monitor === 'string' && !idSet.has(l.monitor)) add(['loads', i, 'monitor'], `no monitor with id "${l.monitor}" (known: ${ids.join(', ') || 'none'})`);
    else if (typeof l.monitor === 'string' && browserIds.has(l.monitor))
      add(['loads', i, 'monitor'], `"${l.monitor}" is a browser monitor: browser journeys cannot run in burst load checks (a real browser per simulated user is too heavy to be honest load); point the burst at an HTTP journey of the same pages`);
    else if (typeof l.monitor === 'string') checkUserSteps(l, baseUrlOf.get(l.monitor), ['loads', i]);
    if (typeof l.name !== 'string') return;
    const prev = loadNames.get(l.name);
    if (prev !== undefined) add(['loads', i, 'name'], `duplicate load name "${l.name}" (also loads[${prev}])`);
    else loadNames.set(l.name, i);
  });
  return problems;
};
