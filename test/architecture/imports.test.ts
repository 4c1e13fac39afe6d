/**
 * The module boundaries of ../shared/DESIGN.md, checked on the import graph of src/: small languages
 * depend on nothing, config only on them, probes never on storage, web or alerting, only the store
 * imports a database driver, and no two top-level modules import each other in a loop.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

type Edge = { from: string; to: string };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

/** The module specifiers a file imports or re-exports, each marked when it brings in types only. */
function specifiers(file: string): { spec: string; typeOnly: boolean }[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const c = st.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      out.push({ spec: st.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      out.push({ spec: st.moduleSpecifier.text, typeOnly: st.isTypeOnly });
    }
  }
  return out;
}

/** Every import of every file under src/: relative ones resolved to files, packages by name. */
function imports() {
  const local: (Edge & { typeOnly: boolean })[] = [];
  const packages: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file);
    for (const { spec, typeOnly } of specifiers(file)) {
      if (!spec.startsWith('.')) {
        packages.push({ from, to: spec });
        continue;
      }
      const base = normalize(join(dirname(file), spec)).replace(/\.js$/, '');
      const target = ['.ts', '.tsx'].map((e) => base + e).find((p) => existsSync(p));
      if (target) local.push({ from, to: relative(SRC, target), typeOnly });
    }
  }
  return { local, packages };
}

/** `probes/http-step.ts` → `probes`; `main.ts` → `main`. */
const area = (path: string) => (path.includes('/') ? path.split('/')[0] : path.replace(/\.tsx?$/, ''));

describe('import graph of src/', () => {
  const { local, packages } = imports();
  const crossing = local.filter((e) => area(e.from) !== area(e.to));
  const from = (a: string) => crossing.filter((e) => area(e.from) === a);

  it('finds the modules it checks', () => {
    expect(local.length).toBeGreaterThan(200);
    expect(new Set(local.map((e) => area(e.from)))).toContain('probes');
  });

  it('lang/ (templates, JSON paths, thresholds, degraded rules, durations) imports nothing of halftime', () => {
    expect(from('lang')).toEqual([]);
  });

  it('config/ imports only lang/', () => {
    expect(from('config').filter((e) => area(e.to) !== 'lang')).toEqual([]);
  });

  it('probes/ know nothing of storage, web, alerting, scheduling or load checks', () => {
    expect(from('probes').filter((e) => !['config', 'lang', 'log'].includes(area(e.to)))).toEqual([]);
  });

  it('only store/ imports a database driver', () => {
    const drivers = packages.filter((e) => /^(better-sqlite3|pg|postgres)$/.test(e.to) && area(e.from) !== 'store');
    expect(drivers).toEqual([]);
  });

  it('no two top-level modules load each other at run time, directly or through others', () => {
    // Type-only imports are free: a store contract names the result shapes it keeps, and their producers name the contract.
    const graph = new Map<string, Set<string>>();
    for (const e of crossing.filter((x) => !x.typeOnly)) {
      if (!graph.has(area(e.from))) graph.set(area(e.from), new Set());
      graph.get(area(e.from))!.add(area(e.to));
    }
    const loops: string[] = [];
    const reach = (start: string, node: string, seen: Set<string>, path: string[]) => {
      for (const next of graph.get(node) ?? []) {
        if (next === start) loops.push([...path, next].join(' → '));
        else if (!seen.has(next)) {
          seen.add(next);
          reach(start, next, seen, [...path, next]);
        }
      }
    };
    for (const a of graph.keys()) reach(a, a, new Set(), [a]);
    expect(loops).toEqual([]);
  });
});
