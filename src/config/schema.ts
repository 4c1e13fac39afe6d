import { z } from 'zod';
import { cronExpression, httpUrl, isHttpUrl, duration } from './schema-parts.js';
import { journeyKeys } from './journey-schema.js';
import { stepSchema, type StepConfig } from './step-schema.js';
import { alertsSchema, monitorAlertsSchema } from './alerts-schema.js';
import { burstSchema, loadEntrySchema, loadSafetySchema } from './load-schema.js';
import { monitorTraceKeys, observabilityConfig } from './observability-schema.js';
import { CHECK_TYPES, checkKeys, checkType, checkTypeIssues, type CheckType } from './check-schema.js';
import { anyStep, browserMonitorKeys, browserStepSchema, browserSettingsSchema, BROWSER_DEFAULTS, browserJourney, checkBrowserMonitor, isBrowserMonitor, looksLikeBrowserStep, type BrowserJourneyConfig } from './browser-schema.js';

export { duration } from './schema-parts.js';
export { expectSchema, stepSchema, type ExpectConfig, type StepConfig } from './step-schema.js';

/** A monitor's step: an HTTP request, or a browser action (see browser-schema.ts `anyStep`). */
const monitorStep = anyStep(stepSchema);

/**
 * For `z.toJSONSchema(…, { override })` (editor completion, unknown-key hints): a monitor's step is
 * parsed by its own kind, which JSON Schema says as "an HTTP step or a browser step".
 */
export function describeMonitorSteps(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) {
  if (ctx.zodSchema !== monitorStep) return;
  const inline = (s: z.ZodType) => {
    const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', reused: 'inline' }) as Record<string, unknown>;
    return rest;
  };
  Object.assign(ctx.jsonSchema, { anyOf: [{ title: 'HTTP step', ...inline(stepSchema) }, { title: 'browser step', ...inline(browserStepSchema) }] });
}

const idPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A location's name: short, lowercase, for labels and lease names (`fra`, `us-east-1`). */
const locationName = z.string().regex(/^([a-z0-9][a-z0-9_-]{0,31})?$/, 'a location is lowercase letters, digits, - or _ (max 32)');

export const monitorSchema = z
  .strictObject({
    id: z.string().regex(idPattern, 'must be lowercase letters, digits, - or _ (max 64)').optional(),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    public: z.boolean().default(false),
    locations: z.array(locationName.min(1)).min(1).optional().describe('where this monitor is checked from (default: config locations, else every location that has a node)'),
    group: z.string().trim().min(1).max(100).optional().describe('Status-page group: monitors of a group are shown together, under the group\'s worst state'),
    every: duration({ min: 1_000, max: 7 * 86_400_000 }).optional(),
    cron: cronExpression.optional(),
    timeout: duration({ min: 1, max: 3_600_000 }).optional().describe('Whole-run timeout'),
    // HTTP requests, or browser actions for a browser monitor (each step parsed by its own kind; the kinds checked below).
    steps: z.array(monitorStep).default([]).describe('The journey: HTTP requests, or browser actions for a browser monitor'),
    ...journeyKeys,
    ...browserMonitorKeys,
    alerts: monitorAlertsSchema.optional().describe('alert rules and routing for this monitor (see docs/alerts.md); false turns alerts off'),
    load: burstSchema.optional().describe('Burst load check running this monitor'),
    ...monitorTraceKeys,
    ...checkKeys,
    type: z
      .enum([...CHECK_TYPES, 'browser'], { message: `unknown check type (use ${[...CHECK_TYPES, 'browser'].join(', ')})` })
      .optional()
      .describe('What this monitor checks: http (steps, the default), browser (steps in Chromium), tls (a certificate on host:port), tcp (a port), dns (a name), heartbeat (a job pinging halftime)'),
  })
  // Checked before the transform below, so these problems show in the same pass as any other.
  .superRefine((m, ctx) => {
    if (m.every !== undefined && m.cron !== undefined) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give either every or cron, not both' });
    if (m.baseUrl !== undefined && !isHttpUrl(m.baseUrl)) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'not a valid URL (expected http:// or https://)' });
    if (isBrowserMonitor(m)) {
      if (m.type !== undefined && m.type !== 'browser' && m.type !== 'http') ctx.addIssue({ code: 'custom', path: ['type'], message: `type: ${m.type} contradicts browser (leave type out, or use type: browser)` });
      checkTypeIssues({ ...m, type: 'http' }, ctx);
      return checkBrowserMonitor({ ...m, type: m.type === 'http' ? 'http' : undefined }, ctx);
    }
    // tls, tcp, dns and heartbeat monitors have keys of their own instead of steps (check-schema.ts).
    const type = m.type as CheckType | undefined;
    checkTypeIssues({ ...m, type }, ctx);
    if (checkType({ type }) !== 'http') return;
    m.steps.forEach((s, i) => {
      if (looksLikeBrowserStep(s)) ctx.addIssue({ code: 'custom', path: ['steps', i], message: 'a browser action: set browser: true on the monitor to run its steps in Chromium' });
    });
    // Steps that did not parse are reported already (and are not objects here).
    const steps = m.steps.filter((s): s is StepConfig => typeof s === 'object' && s !== null && typeof (s as StepConfig).url === 'string');
    if (m.personas && m.steps.length > 0) ctx.addIssue({ code: 'custom', path: ['personas'], message: 'give either steps or personas, not both' });
    if (!m.personas && m.steps.length === 0) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'a monitor needs at least one step' });
    if (m.baseUrl === undefined)
      forEachStep({ steps, personas: m.personas }, (step, path) => {
        if (step.url.startsWith('/')) ctx.addIssue({ code: 'custom', path: [...path, 'url'], message: "a path needs the monitor's baseUrl (or give a full http:// URL)" });
      });
  })
  // A browser monitor's steps go to `browser.steps` (with its options); `steps` holds HTTP steps only.
  .transform((raw) => {
    const { type, script: _script, browser: _browser, steps, ...rest } = raw;
    const out: typeof rest & { steps: StepConfig[]; type?: CheckType; browser?: BrowserJourneyConfig } = { ...rest, steps: steps as StepConfig[] };
    if (isBrowserMonitor(raw)) {
      out.steps = [];
      out.browser = browserJourney({ ...raw, type: 'browser' });
    } else if (type !== undefined && type !== 'browser') {
      // tls, tcp, dns and heartbeat keep their type (read with checkType()).
      out.type = type;
    }
    return out;
  });

/** Every step of a monitor with its path: steps, or each persona's steps, tasks and after-steps. */
export function forEachStep(m: { steps: StepConfig[]; personas?: { steps: StepConfig[]; tasks: { steps: StepConfig[] }[]; after: StepConfig[] }[] }, fn: (s: StepConfig, path: (string | number)[]) => void) {
  m.steps.forEach((s, i) => fn(s, ['steps', i]));
  m.personas?.forEach((p, pi) => {
    p.steps.forEach((s, i) => fn(s, ['personas', pi, 'steps', i]));
    p.tasks.forEach((t, ti) => t.steps.forEach((s, i) => fn(s, ['personas', pi, 'tasks', ti, 'steps', i])));
    p.after.forEach((s, i) => fn(s, ['personas', pi, 'after', i]));
  });
}

const DAY = 86_400_000;
const RETENTION_DEFAULTS = { runs: 7 * DAY, minute: 2 * DAY, hourly: 90 * DAY, daily: 730 * DAY, every: 3_600_000, batchSize: 1000 };

/** How long history is kept. The 24-hour uptime reads raw runs and the 24h chart minute rollups, so both keep at least a day. */
export const retentionSchema = z.strictObject({
  runs: duration({ min: DAY }).default(RETENTION_DEFAULTS.runs).describe('Raw runs with their steps and evidence'),
  minute: duration({ min: DAY }).default(RETENTION_DEFAULTS.minute).describe('Per-minute rollups (24h chart)'),
  hourly: duration({ min: DAY }).default(RETENTION_DEFAULTS.hourly).describe('Hourly rollups (7d and 30d charts)'),
  daily: duration({ min: DAY }).default(RETENTION_DEFAULTS.daily).describe('Daily rollups and daily uptime bars (1y chart)'),
  screenshots: duration({ min: DAY }).optional().describe('Screenshots of browser runs (default: as long as runs; never longer)'),
  every: duration({ min: 60_000, max: 7 * DAY }).default(RETENTION_DEFAULTS.every).describe('How often the retention job runs'),
  batchSize: z.number().int().min(10).max(100_000).default(RETENTION_DEFAULTS.batchSize).describe('Most rows deleted per transaction'),
});

/** Someone watches the watchman: a heartbeat to an outside URL while healthy, and an alert when halftime itself is unhealthy. */
export const selfCheckSchema = z.strictObject({
  url: httpUrl.optional().describe("a dead-man's-switch URL (healthchecks.io, Uptime Kuma push…) pinged while halftime is healthy"),
  every: duration({ min: 1_000, max: 86_400_000 }).default(60_000).describe('how often the heartbeat URL is pinged'),
  alertAfter: z
    .union([z.literal('off'), z.literal(false), duration({ min: 0, max: 86_400_000 })])
    .transform((v) => (v === 'off' || v === false ? null : v))
    .default(60_000)
    .describe('unhealthy this long: "halftime is unhealthy" goes to every alert channel (off: never)'),
});

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(3000),
        title: z.string().max(200).default('Status'),
        publicUrl: httpUrl.optional(),
        trustProxy: z
          .number()
          .int()
          .min(0)
          .max(10)
          .default(0)
          .describe('Reverse proxies in front of halftime (nginx, Caddy, a load balancer): their X-Forwarded-For entries give the client address for login throttling. 0: use the connection\'s own address'),
        shutdownGrace: duration({ min: 1_000, max: 600_000 })
          .default(8_000)
          .describe('On SIGTERM, how long a clean stop may take: checks in flight get this less about a second, then are cut off and stored as aborted. Keep it below docker stop -t (default 10 s)'),
      })
      .default({ host: '127.0.0.1', port: 3000, title: 'Status', trustProxy: 0, shutdownGrace: 8_000 }),
    storage: z
      .strictObject({
        path: z.string().min(1).default('./data/halftime.db').describe('SQLite file (the embedded default)'),
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//i, 'a PostgreSQL URL: postgres://user:password@host:5432/database')
          .optional()
          .describe('PostgreSQL instead of SQLite, shared by several nodes (or HALFTIME_DATABASE_URL); put the password in ${secret:…}'),
      })
      .default({ path: './data/halftime.db' }),
    node: z
      .strictObject({
        location: locationName.default('').describe("where this node checks from (--location, HALFTIME_LOCATION); '' for a single node"),
        role: z.enum(['all', 'web']).default('all').describe('all: checks, alerts and pages; web: pages only (--role, HALFTIME_ROLE)'),
        lease: duration({ min: 2_000, max: 300_000 }).default(10_000).describe('how long a node holds a duty without renewing it: another node takes over within about this long'),
        maxClockSkew: duration({ min: 100, max: 600_000 }).default(5_000).describe("refuse to start when this node's clock differs from the database's by more"),
      })
      .default({ location: '', role: 'all', lease: 10_000, maxClockSkew: 5_000 }),
    locations: z.array(locationName.min(1)).optional().describe('locations a monitor is checked from when it names none (default: every location that has a node)'),
    scheduler: z
      .strictObject({
        concurrency: z.number().int().min(1).max(10_000).default(50),
        defaultEvery: duration({ min: 1_000 }).default(60_000),
        defaultTimeout: duration({ min: 1, max: 600_000 }).default(10_000),
      })
      .default({ concurrency: 50, defaultEvery: 60_000, defaultTimeout: 10_000 }),
    retention: retentionSchema.default(RETENTION_DEFAULTS),
    monitors: z.array(monitorSchema).default([]),
    alerts: alertsSchema.optional(),
    load: loadSafetySchema,
    loads: z.array(loadEntrySchema).default([]),
    selfCheck: selfCheckSchema.default({ every: 60_000, alertAfter: 60_000 }),
    browser: browserSettingsSchema.default(BROWSER_DEFAULTS).describe('Chromium for browser monitors: the binary, and the pool that runs it'),
    ...observabilityConfig,
  });
// Cross-references (unique ids, channel, monitor and load names) are checked on the raw document by
// ./references.ts, so they show up in the same pass as the schema's own problems.

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type MonitorConfig = z.output<typeof monitorSchema>;
export type RetentionConfig = z.output<typeof retentionSchema>;

export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}
