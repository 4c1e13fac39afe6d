/**
 * `{{ expression }}` templates in URLs, headers, bodies and expectations.
 *   {{ name }}  {{ user.email }}  {{ items[0].id }}       variables (extracted values, vars, data pools)
 *   {{ pick('a', 'b', 'c') }}  {{ pick(list) }}           a random member
 *   {{ randomInt(1, 100) }}  {{ uuid() }}  {{ now() }}     helpers
 *   {{ faker.person.fullName }}  {{ faker.string.alpha(8) }}  fake data (locale from the monitor)
 *   {{ urlencode(term) }}
 * Templates are parsed once (syntax errors are config errors) and rendered per step.
 */

export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Expr =
  | { kind: 'lit'; value: string | number }
  | { kind: 'var'; path: (string | number)[] }
  | { kind: 'call'; name: string; args: Expr[] };

type Part = string | Expr;

export type TemplateContext = {
  /** Value of a top-level name (a variable or data pool); undefined when unknown. */
  lookup(name: string): unknown;
  /** Calls a helper (`pick`, `randomInt`, `faker.person.fullName`, …). */
  call(name: string, args: unknown[]): unknown;
};

const cache = new Map<string, Part[]>();
const OPEN = '{{';
const CLOSE = '}}';

export const hasTemplate = (s: string) => s.includes(OPEN);

export function parseTemplate(text: string): Part[] {
  const hit = cache.get(text);
  if (hit) return hit;
  const parts: Part[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf(OPEN, i);
    if (start < 0) {
      parts.push(text.slice(i));
      break;
    }
    if (start > i) parts.push(text.slice(i, start));
    const end = text.indexOf(CLOSE, start + 2);
    if (end < 0) throw new TemplateError(`unclosed "{{" at position ${start}`);
    const src = text.slice(start + 2, end);
    parts.push(parseExpr(src));
    i = end + 2;
  }
  if (cache.size > 5_000) cache.clear();
  cache.set(text, parts);
  return parts;
}

function parseExpr(src: string): Expr {
  let pos = 0;
  const fail = (msg: string): never => {
    throw new TemplateError(`in "{{${src}}}": ${msg}`);
  };
  const ws = () => {
    while (pos < src.length && /\s/.test(src[pos])) pos++;
  };
  const ident = () => {
    const m = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(src.slice(pos));
    if (!m) fail(`expected a name at position ${pos}`);
    if (FORBIDDEN_NAMES.has(m![0])) fail(`"${m![0]}" is not allowed in a template (templates read data and call helpers, nothing else)`);
    pos += m![0].length;
    return m![0];
  };
  const expr = (): Expr => {
    ws();
    const ch = src[pos];
    if (ch === '"' || ch === "'") {
      let out = '';
      pos++;
      while (pos < src.length && src[pos] !== ch) {
        if (src[pos] === '\\' && pos + 1 < src.length) pos++;
        out += src[pos++];
      }
      if (src[pos] !== ch) fail('unclosed string');
      pos++;
      return { kind: 'lit', value: out };
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(pos));
    if (num) {
      pos += num[0].length;
      return { kind: 'lit', value: Number(num[0]) };
    }
    const path: (string | number)[] = [ident()];
    for (;;) {
      if (src[pos] === '.') {
        pos++;
        path.push(ident());
      } else if (src[pos] === '[') {
        pos++;
        ws();
        const inner = expr();
        ws();
        if (src[pos] !== ']') fail('expected ]');
        pos++;
        if (inner.kind !== 'lit') fail('only literal indexes are allowed in [ ]');
        const key = (inner as { value: string | number }).value;
        if (FORBIDDEN_NAMES.has(String(key))) fail(`"${key}" is not allowed in a template (templates read data and call helpers, nothing else)`);
        path.push(key);
      } else break;
    }
    ws();
    if (src[pos] === '(') {
      pos++;
      const args: Expr[] = [];
      ws();
      if (src[pos] === ')') pos++;
      else
        for (;;) {
          args.push(expr());
          ws();
          if (src[pos] === ',') {
            pos++;
            continue;
          }
          if (src[pos] === ')') {
            pos++;
            break;
          }
          fail(`expected , or ) at position ${pos}`);
        }
      if (path[0] === 'faker') checkFakerPath(path, fail);
      return { kind: 'call', name: path.join('.'), args };
    }
    if (path[0] === 'faker') checkFakerPath(path, fail);
    if (path[0] === 'faker' || HELPERS_WITHOUT_ARGS.has(String(path[0]))) return { kind: 'call', name: path.join('.'), args: [] };
    return { kind: 'var', path };
  };
  const e = expr();
  ws();
  if (pos < src.length) fail(`unexpected "${src.slice(pos)}"`);
  return e;
}

const HELPERS_WITHOUT_ARGS = new Set(['uuid', 'now']);

/**
 * Names that reach past data into the language itself (`faker.constructor.constructor('…')` would
 * build a function from text and run it). Templates are a sandbox: these are config errors.
 */
export const FORBIDDEN_NAMES = new Set(['constructor', 'prototype', '__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

/** Faker is reached only as `faker.<module>.<generator>` (faker.person.fullName), never deeper or its internals. */
function checkFakerPath(path: (string | number)[], fail: (msg: string) => never) {
  if (path.length !== 3 || path.some((p) => typeof p !== 'string' || p.startsWith('_')) || path[1] === 'fakerCore')
    fail(`faker is used as faker.<module>.<generator>, e.g. faker.person.fullName or faker.string.alpha(8); "${path.join('.')}" is not one`);
}

function evaluate(e: Expr, ctx: TemplateContext): unknown {
  if (e.kind === 'lit') return e.value;
  if (e.kind === 'call') return ctx.call(e.name, e.args.map((a) => evaluate(a, ctx)));
  let value = ctx.lookup(String(e.path[0]));
  if (value === undefined) throw new TemplateError(`unknown variable "${e.path[0]}"`);
  for (const key of e.path.slice(1)) {
    if (value === null || typeof value !== 'object') throw new TemplateError(`"${e.path.join('.')}": ${String(key)} is not there`);
    // Own data only: nothing inherited from Object or Array's prototypes.
    const own = Array.isArray(value) && typeof key === 'number' && key < 0 ? value.length + key : key;
    value = Object.hasOwn(value, own) ? (value as Record<string | number, unknown>)[own] : undefined;
    if (value === undefined) throw new TemplateError(`"${e.path.join('.')}": ${String(key)} is not there`);
  }
  if (typeof value === 'function') throw new TemplateError(`"${e.path.join('.')}" is not a value`);
  return value;
}

export const stringify = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Renders a template string. Throws TemplateError naming the variable or helper at fault. */
export function render(text: string, ctx: TemplateContext): string {
  if (!hasTemplate(text)) return text;
  let out = '';
  for (const p of parseTemplate(text)) out += typeof p === 'string' ? p : stringify(evaluate(p, ctx));
  return out;
}

/** Like render, but a string that is exactly one `{{ expr }}` keeps the value's type (for JSON bodies). */
export function renderValue(text: string, ctx: TemplateContext): unknown {
  if (!hasTemplate(text)) return text;
  const parts = parseTemplate(text);
  if (parts.length === 1 && typeof parts[0] !== 'string') return evaluate(parts[0], ctx);
  return render(text, ctx);
}

/** Renders every string leaf of a JSON-like value. */
export function renderDeep(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') return renderValue(value, ctx);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, ctx));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, ctx)]));
  return value;
}

/** Top-level names a template refers to (for checking references against known names). */
export function referencedNames(text: string): string[] {
  const names: string[] = [];
  const walk = (e: Expr) => {
    if (e.kind === 'var') names.push(String(e.path[0]));
    if (e.kind === 'call') e.args.forEach(walk);
  };
  for (const p of parseTemplate(text)) if (typeof p !== 'string') walk(p);
  return names;
}

/** Helper names a template calls. */
export function calledHelpers(text: string): string[] {
  const names: string[] = [];
  const walk = (e: Expr) => {
    if (e.kind === 'call') {
      names.push(e.name);
      e.args.forEach(walk);
    }
  };
  for (const p of parseTemplate(text)) if (typeof p !== 'string') walk(p);
  return names;
}
