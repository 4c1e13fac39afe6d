/**
 * A small JSONPath subset for extraction and assertions:
 *   $.a.b   $.items[0].id   $.items[-1]   $.items[*].id   $['odd key']   a.b (the leading $ is optional)
 * `[*]` collects every member, so a path can yield several values.
 */
export type PathSegment = string | number | '*';

export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

const cache = new Map<string, PathSegment[]>();

export function parseJsonPath(path: string): PathSegment[] {
  const hit = cache.get(path);
  if (hit) return hit;
  const segs: PathSegment[] = [];
  let i = 0;
  const s = path.trim();
  if (s.startsWith('$')) i = 1;
  while (i < s.length) {
    if (s[i] === '.') {
      i++;
      if (s[i] === '*') {
        segs.push('*');
        i++;
        continue;
      }
      const m = /^[^.[\]]+/.exec(s.slice(i));
      if (!m) throw new JsonPathError(`"${path}": expected a key after "." at position ${i}`);
      segs.push(m[0]);
      i += m[0].length;
    } else if (s[i] === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) throw new JsonPathError(`"${path}": unclosed "["`);
      const inner = s.slice(i + 1, end).trim();
      if (inner === '*') segs.push('*');
      else if (/^-?\d+$/.test(inner)) segs.push(Number(inner));
      else if (/^(['"]).*\1$/.test(inner)) segs.push(inner.slice(1, -1));
      else throw new JsonPathError(`"${path}": cannot read [${inner}] (use [0], [-1], [*] or ['key'])`);
      i = end + 1;
    } else if (segs.length === 0 && i === 0) {
      const m = /^[^.[\]]+/.exec(s);
      segs.push(m![0]);
      i += m![0].length;
    } else throw new JsonPathError(`"${path}": unexpected "${s[i]}" at position ${i}`);
  }
  if (cache.size > 2_000) cache.clear();
  cache.set(path, segs);
  return segs;
}

/** Every value the path reaches (empty when nothing matches). */
export function queryJson(doc: unknown, path: string): unknown[] {
  let current: unknown[] = [doc];
  for (const seg of parseJsonPath(path)) {
    const next: unknown[] = [];
    for (const v of current) {
      if (v === null || typeof v !== 'object') continue;
      if (seg === '*') next.push(...(Array.isArray(v) ? v : Object.values(v)));
      else if (typeof seg === 'number') {
        if (!Array.isArray(v)) continue;
        const item = v[seg < 0 ? v.length + seg : seg];
        if (item !== undefined) next.push(item);
      } else if (Object.prototype.hasOwnProperty.call(v, seg)) next.push((v as Record<string, unknown>)[seg]);
    }
    current = next;
  }
  return current;
}

/** True when the path has a wildcard, so it stands for a list rather than one value. */
export const isMultiPath = (path: string) => parseJsonPath(path).includes('*');
