/**
 * The fix for an unknown key: the key it most likely meant (`expcet` → `expect`), else the keys that
 * place takes. Read from the config's own JSON Schema, built only when a config has an unknown key.
 */
import { z } from 'zod';
import { configSchema, describeMonitorSteps } from './schema.js';

type Node = { title?: string; properties?: Record<string, Node>; items?: Node; additionalProperties?: Node | boolean; anyOf?: Node[]; oneOf?: Node[]; allOf?: Node[] };

let root: Node | undefined;
const branches = (n: Node): Node[] => [n, ...[...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])].flatMap(branches)];

/** The keys an object at `path` (zod issue path) may have; empty when the schema does not say. `kind`: only that titled branch (a monitor's step is an "HTTP step" or a "browser step"). */
export function allowedKeys(path: readonly PropertyKey[], kind?: string): string[] {
  root ??= z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', reused: 'inline', override: describeMonitorSteps }) as Node;
  let nodes = [root];
  for (const part of path) {
    nodes = nodes.flatMap(branches).flatMap((n) => {
      if (typeof part === 'number') return n.items ? [n.items] : [];
      const named = n.properties?.[String(part)];
      if (named) return [named];
      return typeof n.additionalProperties === 'object' ? [n.additionalProperties] : [];
    });
  }
  let found = nodes.flatMap(branches);
  if (kind && found.some((n) => n.title === kind)) found = found.filter((n) => n.title === kind);
  return [...new Set(found.flatMap((n) => Object.keys(n.properties ?? {})))];
}

/** Edit distance with transpositions (`expcet` is one swap from `expect`). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

/** `unknown key: expcet (did you mean expect?)`, or the keys allowed there when none is close. */
export function unknownKeysMessage(path: readonly PropertyKey[], keys: readonly string[], kind?: string): string {
  const allowed = allowedKeys(path, kind);
  const hints = keys.map((k) => {
    const near = allowed
      .map((a) => ({ a, d: distance(k.toLowerCase(), a.toLowerCase()) }))
      .filter((x) => x.d <= Math.min(2, Math.floor(Math.max(k.length, x.a.length) / 3)))
      .sort((x, y) => x.d - y.d)[0];
    return near ? `${k} (did you mean ${near.a}?)` : k;
  });
  const base = `unknown key${keys.length > 1 ? 's' : ''}: ${hints.join(', ')}`;
  return hints.every((h, i) => h !== keys[i]) || allowed.length === 0 ? base : `${base}; allowed here: ${allowed.join(', ')}`;
}
