/**
 * Browser journeys: a monitor with `browser: true` (or `type: browser`) whose steps drive a real
 * Chromium (`goto`, `click`, `fill`, …, Playwright locator syntax), or a `script:` module that gets
 * the page. Also the `browser:` block of the config: the Chromium binary and the pool that runs it.
 */
import { z } from 'zod';
import { duration, regexString, templated, thinkSchema } from './schema-parts.js';

/** A Playwright locator: CSS (`#buy`, `a.product`), `text=Add to cart`, `role=button[name="Buy"]`; may hold templates. */
const locator = templated.pipe(z.string().min(1, 'a locator (e.g. #buy, text=Add to cart, role=button[name="Buy"])'));

const varName = /^[A-Za-z_][A-Za-z0-9_]*$/;

const waitForSchema = z.union([
  locator,
  z
    .strictObject({
      selector: locator.optional().describe('Wait until this element is in the state given (default visible)'),
      state: z.enum(['visible', 'hidden', 'attached', 'detached']).optional(),
      text: templated.optional().describe('Wait until this text is visible on the page'),
      url: templated.optional().describe('Wait until the URL contains this'),
      networkidle: z.literal(true).optional().describe('Wait until no request has been in flight for 500 ms'),
    })
    .superRefine((w, ctx) => {
      const given = (['selector', 'text', 'url', 'networkidle'] as const).filter((k) => w[k] !== undefined);
      if (given.length !== 1) ctx.addIssue({ code: 'custom', message: `give exactly one of selector, text, url or networkidle${given.length ? ` (got ${given.join(', ')})` : ''}` });
      if (w.state !== undefined && w.selector === undefined) ctx.addIssue({ code: 'custom', path: ['state'], message: 'state needs selector' });
    }),
]);

const browserExpectSchema = z
  .strictObject({
    selector: locator.optional().describe('The element the other checks look at; alone, it must be visible'),
    visible: z.boolean().optional().describe('true: the element is visible; false: it is not'),
    text: templated.optional().describe('The element (or, without selector, the page) contains this text'),
    textMatches: regexString.optional(),
    count: z.number().int().min(0).optional().describe('Exactly this many elements match the selector'),
    url: templated.optional().describe('The page URL contains this'),
    title: templated.optional().describe('The page title contains this'),
  })
  .superRefine((e, ctx) => {
    if (Object.values(e).every((v) => v === undefined)) ctx.addIssue({ code: 'custom', message: 'give at least one of selector, visible, text, textMatches, count, url or title' });
    for (const k of ['visible', 'count'] as const) if (e[k] !== undefined && e.selector === undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k} needs selector` });
  });

const browserExtractSchema = z.union([
  locator,
  z.strictObject({
    selector: locator,
    attr: z.string().min(1).optional().describe('Take this attribute instead of the text'),
    optional: z.boolean().default(false).describe('A missing element is not a failure'),
    secret: z.boolean().default(false).describe('Never show the value'),
  }),
]);

/** The actions a browser step may take: each step takes exactly one. */
export const BROWSER_ACTIONS = ['goto', 'click', 'fill', 'select', 'press', 'check', 'uncheck', 'waitFor', 'expect', 'screenshot', 'extract'] as const;
export type BrowserAction = (typeof BROWSER_ACTIONS)[number];

export const browserStepSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional().describe('What history and alert rules call this step (default: action and target)'),
    goto: templated.pipe(z.string().min(1)).optional().describe('Open this URL (a path joins the monitor\'s baseUrl)'),
    click: locator.optional(),
    fill: z.strictObject({ selector: locator, value: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), templated) }).optional().describe('Type a value into a field'),
    select: z.strictObject({ selector: locator, value: z.union([templated, z.array(templated).min(1)]) }).optional().describe('Choose option(s) of a <select> by value or label'),
    press: z.union([z.string().min(1), z.strictObject({ selector: locator.optional(), key: z.string().min(1) })]).optional().describe('A key such as Enter or Control+A (on an element, or the page)'),
    check: locator.optional().describe('Tick a checkbox or radio button'),
    uncheck: locator.optional(),
    waitFor: waitForSchema.optional(),
    expect: browserExpectSchema.optional(),
    screenshot: z.union([z.literal(true), z.strictObject({ fullPage: z.boolean().default(false) })]).optional().describe('Keep a screenshot of the page (size-capped, kept as long as runs)'),
    extract: z.record(z.string().regex(varName, 'variable names are letters, digits and _'), browserExtractSchema).optional().describe('Variables to take from the page (text, or an attribute)'),
    timeout: duration({ min: 1, max: 600_000 }).optional().describe('This step\'s own timeout (default browser.stepTimeout)'),
    alwaysRun: z.boolean().default(false).describe('Run even after an earlier step failed'),
    think: thinkSchema.optional().describe('Pause after this step (overrides the journey think time)'),
  })
  .superRefine((s, ctx) => {
    const given = BROWSER_ACTIONS.filter((k) => s[k] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', message: `a browser step takes exactly one action: ${BROWSER_ACTIONS.join(', ')}${given.length ? ` (got ${given.join(', ')})` : ''}` });
  });

export type BrowserStepConfig = z.output<typeof browserStepSchema>;

/** `browser:` on a monitor: true, or options for its runs. */
export const browserMonitorOptions = z.union([
  z.boolean(),
  z.strictObject({
    viewport: z.strictObject({ width: z.number().int().min(200).max(4000), height: z.number().int().min(200).max(4000) }).optional(),
    userAgent: z.string().min(1).max(500).optional(),
    stepTimeout: duration({ min: 100, max: 600_000 }).optional().describe('Timeout of each step (default browser.stepTimeout in the config)'),
    screenshotOnFailure: z.boolean().default(true),
  }),
]);

/** Browser keys of a monitor (merged into the monitor schema). */
export const browserMonitorKeys = {
  type: z.enum(['http', 'browser']).optional().describe('browser: the steps drive a real Chromium (same as browser: true)'),
  browser: browserMonitorOptions.optional().describe('true (or options): a browser journey in Chromium, with Web Vitals'),
  script: z.string().min(1).optional().describe('A module (relative to the config file) exporting async ({ page, vars, step }) => …, run instead of steps'),
};

/** What a browser monitor runs with, after parsing (`monitor.browser`). */
export type BrowserJourneyConfig = {
  steps: BrowserStepConfig[];
  /** The script module, resolved to an absolute path when the config is loaded. */
  script?: string;
  viewport: { width: number; height: number };
  userAgent?: string;
  stepTimeout?: number;
  screenshotOnFailure: boolean;
};

const DEFAULT_VIEWPORT = { width: 1280, height: 800 };

/** True when the raw or parsed monitor is a browser journey. */
export const isBrowserMonitor = (m: { type?: unknown; browser?: unknown; script?: unknown }) =>
  m.type === 'browser' || (m.browser !== undefined && m.browser !== false) || (m.type === undefined && m.script !== undefined);

/** True for a step written as a browser action (no `url` or `method`, and one of the actions). */
export const looksLikeBrowserStep = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !('url' in v) && !('method' in v) && BROWSER_ACTIONS.some((a) => a in v);

/**
 * A monitor's step, HTTP or browser, told apart by its keys and parsed by its own schema, so each
 * step's problems are reported at `steps[i]…` in the same pass as everything else; the monitor then
 * checks that its steps are of its kind (`journeyOf`).
 */
export const anyStep = <H extends z.ZodTypeAny>(httpStep: H) =>
  z.unknown().transform((v, ctx): z.output<H> | BrowserStepConfig => {
    const browser = looksLikeBrowserStep(v);
    const r = (browser ? browserStepSchema : httpStep).safeParse(v);
    if (r.success) return r.data as z.output<H> | BrowserStepConfig;
    const neither = typeof v === 'object' && v !== null && !looksLikeBrowserStep(v) && !('url' in v);
    for (const issue of r.error.issues) {
      // Neither a request nor an action: say both ways a step can be written.
      if (neither && issue.path.length === 1 && issue.path[0] === 'url' && issue.code === 'invalid_type')
        ctx.addIssue({ code: 'custom', path: [], message: `a step needs url (an HTTP request) or one action (${BROWSER_ACTIONS.join(', ')}) on a browser monitor` });
      // Unknown keys are hinted from this kind of step's keys only (config/key-hints.ts).
      else ctx.addIssue({ ...issue, ...(issue.code === 'unrecognized_keys' ? { stepKind: browser ? 'browser step' : 'HTTP step' } : {}) } as Parameters<typeof ctx.addIssue>[0]);
    }
    return z.NEVER;
  });

type MonitorKind = { type?: 'http' | 'browser'; browser?: z.output<typeof browserMonitorOptions>; script?: string; steps: unknown[]; personas?: unknown; load?: unknown };

/** A browser monitor's own checks: its steps are browser steps, steps or a script, no personas, no burst. */
export function checkBrowserMonitor(m: MonitorKind, ctx: z.core.$RefinementCtx<unknown>) {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  m.steps.forEach((s, i) => {
    if (!looksLikeBrowserStep(s)) issue(['steps', i], 'a browser monitor\'s steps take one action (goto, click, fill, select, press, check, waitFor, expect, screenshot, extract); this one is an HTTP request (url)');
  });
  if (m.type === 'http' && m.browser) issue(['type'], 'type: http contradicts browser (leave type out, or use type: browser)');
  if (m.script !== undefined && m.steps.length > 0) issue(['script'], 'give either steps or script, not both');
  if (m.script === undefined && m.steps.length === 0) issue(['steps'], 'a browser monitor needs at least one step (or a script)');
  if (m.personas) issue(['personas'], 'a browser monitor runs steps (or a script), not personas');
  if (m.load) issue(['load'], 'browser monitors cannot run in burst load checks: a real browser per simulated user is too heavy to be honest load; point the burst at an HTTP journey of the same pages');
}

/** What a browser monitor runs with (after `checkBrowserMonitor` passed). */
export function browserJourney(m: MonitorKind): BrowserJourneyConfig {
  const opts = typeof m.browser === 'object' ? m.browser : { screenshotOnFailure: true };
  return {
    steps: m.steps.filter(looksLikeBrowserStep) as BrowserStepConfig[],
    script: m.script,
    viewport: ('viewport' in opts && opts.viewport) || DEFAULT_VIEWPORT,
    userAgent: 'userAgent' in opts ? opts.userAgent : undefined,
    stepTimeout: 'stepTimeout' in opts ? opts.stepTimeout : undefined,
    screenshotOnFailure: opts.screenshotOnFailure,
  };
}

const MB = 1024 * 1024;

/** The config's `browser:` block: where Chromium is and how many may run. */
export const browserSettingsSchema = z.strictObject({
  chromium: z.string().min(1).default('/usr/bin/chromium').describe('The Chromium (or Chrome) binary; HALFTIME_CHROMIUM overrides it'),
  concurrency: z.number().int().min(1).max(32).default(2).describe('Browser runs at once (apart from scheduler.concurrency, which counts HTTP checks)'),
  recycleAfterRuns: z.number().int().min(1).max(100_000).default(50).describe('A browser is closed and a fresh one started after this many runs'),
  recycleAfter: duration({ min: 10_000, max: 86_400_000 }).default(30 * 60_000).describe('…or once it is this old'),
  nice: z.number().int().min(0).max(19).default(10).describe('CPU priority of the browsers (niceness 0-19): above 0, halftime\'s own threads, and so HTTP checks, go first on a busy CPU'),
  memoryLimit: z.number().int().min(16).max(65_536).default(1024).describe('Most memory (MB, all of one browser\'s processes) before its run is failed and the browser killed'),
  stepTimeout: duration({ min: 100, max: 600_000 }).default(15_000).describe('Timeout of each browser step that gives none'),
  runTimeout: duration({ min: 1_000, max: 3_600_000 }).default(120_000).describe('Timeout of a whole browser run whose monitor gives none'),
  screenshotMaxBytes: z.number().int().min(10_000).max(20 * MB).default(300_000).describe('Largest screenshot kept (bytes); larger ones are taken again at lower quality'),
});

export type BrowserSettings = z.output<typeof browserSettingsSchema>;
export const BROWSER_DEFAULTS: BrowserSettings = browserSettingsSchema.parse({});
