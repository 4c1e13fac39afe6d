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
import { browserStepLabel } from './probes/browser/labels.js';
import { isBrowserMonitor } from './config/browser-schema.js';
import { RULE_VITALS } from './lang/degraded-rule.js';

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

const VITAL_SERIES = RULE_VITALS.map((v) => `vital:${v.toUpperCase()}`);

/** The vital a raw rule names first (`lcp p75 > 2.5s over 15m`), if any. */
const ruleVital = (r: unknown) => {
  const text = typeof r === 'string' ? r : isObject(r) && typeof r.rule === 'string' ? r.rule : undefined;
  const first = text?.trim().split(/\s+/)[0]?.toLowerCase();
  return RULE_VITALS.find((v) => v === first);
};

/**
 * A degraded rule's `step:` names a step of its monitor (a typo would silently judge nothing); a
 * browser monitor's Web Vital series (`vital:LCP`) count as its steps, and only a browser monitor has them.
 */
export const checkDegradedSteps: ConfigCheck = (raw) => {
  const problems: ConfigProblem[] = [];
  for (const { m, i } of rawMonitors(raw)) {
    const rules = isObject(m.alerts) ? list(m.alerts.degraded) : [];
    const browser = isBrowserMonitor(m);
    rules.forEach((r, ri) => {
      const vital = ruleVital(r);
      if (vital && !browser) problems.push(problem(['monitors', i, 'alerts', 'degraded', ri], `${vital.toUpperCase()} is a Web Vital, measured by browser monitors only (browser: true); this monitor sends HTTP requests`));
    });
    if (!rules.some((r) => isObject(r) && typeof r.step === 'string')) continue;
    const steps = browser ? list(m.steps).filter(isObject).map((st, si) => browserStepLabel(st, si)) : rawSteps(m, i).map(({ step }, si) => stepLabel(step, si));
    const labels = new Set([...steps.filter((l): l is string => l !== undefined), ...(browser ? VITAL_SERIES : [])]);
    rules.forEach((r, ri) => {
      if (!isObject(r) || typeof r.step !== 'string' || labels.has(r.step)) return;
      // A script's steps are named by the script itself: any name may be one of them.
      if (browser && typeof m.script === 'string' && !r.step.startsWith('vital:')) return;
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
