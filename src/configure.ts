/**
 * Reading a config the way halftime runs it: the schema (src/config/) plus the checks that need the
 * parts config must not import — each alert channel's options, checked by its own plugin; step names
 * as the journey runner labels them; CSS selectors parsed by the probes' own HTML library. Everything
 * that loads a config for running or validating goes through here. Every check reads the raw document,
 * so `halftime validate` lists its problems in the same pass as the schema's.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { builtinChannels } from './alerting/channels/index.js';
import * as read from './config/read.js';
import type { ConfigCheck, ConfigProblem, LoadedConfig } from './config/read.js';
import { rawMonitors } from './config/references.js';
import { journeyStepLabel } from './probes/step-request.js';

type Path = (string | number)[];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const problem = (at: Path, message: string): ConfigProblem => ({ path: read.formatPath(at), message, at });

/** Each channel's options are validated (and defaulted) by its plugin. */
export const checkChannels: ConfigCheck = (raw, config) => {
  const problems: ConfigProblem[] = [];
  const channels = (raw as { alerts?: { channels?: unknown } } | null)?.alerts?.channels;
  if (!channels || typeof channels !== 'object') return problems;
  for (const [name, ch] of Object.entries(channels as Record<string, unknown>)) {
    const type = (ch as { type?: unknown } | null)?.type;
    if (typeof type !== 'string') continue; // the schema reports it
    const at = ['alerts', 'channels', name];
    const plugin = builtinChannels.get(type);
    if (!plugin) {
      problems.push(problem([...at, 'type'], `unknown channel type "${type}" (known: ${builtinChannels.types().join(', ')})`));
      continue;
    }
    const r = plugin.validate(ch);
    if (!r.ok) for (const p of r.problems) problems.push(problem([...at, ...p.path], p.message));
    else if (config?.alerts?.channels[name]) config.alerts.channels[name].options = r.value;
  }
  return problems;
};

/** Every step object of a raw monitor with its path: steps, or each persona's steps, tasks and after-steps. */
function rawSteps(m: Record<string, unknown>, i: number): { step: Record<string, unknown>; at: Path }[] {
  const out: { step: Record<string, unknown>; at: Path }[] = [];
  const take = (steps: unknown, at: Path) => list(steps).forEach((s, si) => isObject(s) && out.push({ step: s, at: [...at, si] }));
  take(m.steps, ['monitors', i, 'steps']);
  list(m.personas).forEach((p, pi) => {
    if (!isObject(p)) return;
    const base: Path = ['monitors', i, 'personas', pi];
    take(p.steps, [...base, 'steps']);
    list(p.tasks).forEach((t, ti) => isObject(t) && take(t.steps, [...base, 'tasks', ti, 'steps']));
    take(p.after, [...base, 'after']);
  });
  return out;
}

/** The name a step's history and alert rules go by: its `name`, else method and path (as the journey runner labels it). */
function stepLabel(step: Record<string, unknown>, index: number): string | undefined {
  if (typeof step.url !== 'string') return typeof step.name === 'string' ? step.name : undefined;
  const method = typeof step.method === 'string' ? step.method.toUpperCase() : 'GET';
  return journeyStepLabel({ name: typeof step.name === 'string' ? step.name : undefined, method, url: step.url }, index);
}

/** A degraded rule's `step:` names a step of its monitor (a typo would silently judge nothing). */
export const checkDegradedSteps: ConfigCheck = (raw) => {
  const problems: ConfigProblem[] = [];
  for (const { m, i } of rawMonitors(raw)) {
    const rules = isObject(m.alerts) ? list(m.alerts.degraded) : [];
    if (!rules.some((r) => isObject(r) && typeof r.step === 'string')) continue;
    const steps = rawSteps(m, i);
    const labels = new Set(steps.map(({ step }, si) => stepLabel(step, si)).filter((l): l is string => l !== undefined));
    rules.forEach((r, ri) => {
      if (!isObject(r) || typeof r.step !== 'string' || labels.has(r.step)) return;
      const names = [...labels].map((l) => JSON.stringify(l)).join(', ') || 'none';
      problems.push(problem(['monitors', i, 'alerts', 'degraded', ri, 'step'], `no step named "${r.step}" in this monitor (steps: ${names}); use one of those names, or leave step out to judge the whole run`));
    });
  }
  return problems;
};

type SelectorTester = (selector: string) => void;
let selectorTester: SelectorTester | undefined;
/**
 * Parses a selector the way the probes' HTML library (cheerio) does when it runs; throws its error.
 * Loaded on first need, synchronously, as ES modules (require(esm), Node >= 20.19) so that its
 * selector engine is the very module instance the probes import later, not a second CommonJS copy;
 * cheerio/slim leaves out parse5 and undici, which selectors do not need.
 */
function testSelector(selector: string): void {
  if (!selectorTester) {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('cheerio/package.json');
    const entry = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> }).exports['./slim']?.import?.default;
    if (!entry) throw new Error('cannot find the ES module entry of cheerio/slim to check CSS selectors');
    const cheerio = require(join(dirname(pkgPath), entry)) as typeof import('cheerio/slim');
    const $ = cheerio.load('<!doctype html><html><body></body></html>');
    selectorTester = (s) => void $(s);
  }
  selectorTester(selector);
}

/** `extract: { x: { css } }` holds a selector the probes can parse (otherwise every run fails at that step). */
export const checkSelectors: ConfigCheck = (raw) => {
  const problems: ConfigProblem[] = [];
  for (const { m, i } of rawMonitors(raw))
    for (const { step, at } of rawSteps(m, i)) {
      if (!isObject(step.extract)) continue;
      for (const [name, e] of Object.entries(step.extract)) {
        if (!isObject(e) || typeof e.css !== 'string' || e.css === '') continue;
        try {
          testSelector(e.css);
        } catch (err) {
          const why = (err as Error).message.trim().replace(/found$/, 'found the end');
          problems.push(problem([...at, 'extract', name, 'css'], `not a valid CSS selector ${JSON.stringify(e.css)}: ${why}; write one such as a.product, #add-to-cart or input[name="token"]`));
        }
      }
    }
  return problems;
};

const checks = [checkChannels, checkDegradedSteps, checkSelectors];

export function parseConfigText(text: string, source: string, env: NodeJS.ProcessEnv = process.env, opts: { baseDir?: string } = {}): LoadedConfig {
  return read.parseConfigText(text, source, env, { ...opts, checks });
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return read.loadConfigFile(path, env, { checks });
}
