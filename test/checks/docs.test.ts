/** The README lists every check type with a minimal example that parses; `halftime schema` describes them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/cli/schema.js';
import { CHECK_TYPES, RECORD_TYPES } from '../../src/config/check-schema.js';
import { parseConfigText } from '../../src/configure.js';

const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
const section = (heading: string) => {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThan(-1);
  return readme.slice(start, readme.indexOf('\n## ', start + 5));
};

describe('check types in the docs and the schema', () => {
  it('the README\'s "Check types" table names every type, and its example has a monitor of each (it parses)', () => {
    const text = section('Check types');
    for (const t of CHECK_TYPES) expect(text).toContain(`| \`${t}\``);
    const yaml = /```yaml\n([\s\S]*?)```/.exec(text)![1];
    const { config } = parseConfigText(yaml, 'README.md', {});
    expect(new Set(config.monitors.map((m) => m.type ?? 'http'))).toEqual(new Set(CHECK_TYPES.filter((t) => t !== 'http')));
  });

  it('docs/checks.md describes every type and every key', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/checks.md'), 'utf8');
    for (const t of CHECK_TYPES) expect(doc).toContain(`type: ${t}`);
    for (const k of ['host', 'port', 'send', 'expect', 'starttls', 'servername', 'record', 'server', 'grace', 'ca']) expect(doc).toContain(`\`${k}\``);
  });

  it('halftime schema describes type, the record types and the keys of each check type', () => {
    const schema = configJsonSchema();
    const props = findMonitorProperties(schema);
    expect((props.type as { enum: string[] }).enum).toEqual([...CHECK_TYPES, 'browser']);
    expect((props.record as { enum: string[] }).enum).toEqual([...RECORD_TYPES]);
    for (const k of ['host', 'port', 'send', 'expect', 'starttls', 'servername', 'server', 'grace', 'ca']) expect(props[k], k).toBeDefined();
    expect(props.port).toMatchObject({ minimum: 1, maximum: 65535 });
  });
});

/** The monitor's properties in the JSON Schema (inlined or under $defs). */
function findMonitorProperties(schema: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const seen: Record<string, Record<string, unknown>>[] = [];
  const walk = (n: unknown) => {
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object' && 'steps' in (o.properties as object) && 'type' in (o.properties as object)) seen.push(o.properties as Record<string, Record<string, unknown>>);
    for (const v of Object.values(o)) walk(v);
  };
  walk(schema);
  expect(seen.length).toBeGreaterThan(0);
  // Shared parts are references into $defs (`reused: 'ref'`): follow them.
  const defs = (schema.$defs ?? {}) as Record<string, Record<string, unknown>>;
  const deref = (n: Record<string, unknown>): Record<string, unknown> => (typeof n.$ref === 'string' ? deref(defs[n.$ref.replace('#/$defs/', '')]) : n);
  return Object.fromEntries(Object.entries(seen[0]).map(([k, v]) => [k, deref(v)]));
}
