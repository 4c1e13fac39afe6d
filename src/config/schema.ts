import { z } from 'zod';
import { validateDetailed } from 'node-cron';
import { parseDuration } from './duration.js';

/** A duration such as `500ms`, `30s`, `5m`; parsed to milliseconds. */
export const duration = (opts: { min?: number; max?: number } = {}) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(value)} (use e.g. 500ms, 30s, 5m, 1h)` });
      return z.NEVER;
    }
    if (opts.min !== undefined && ms < opts.min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${opts.min} ms (got ${ms} ms)` });
      return z.NEVER;
    }
    if (opts.max !== undefined && ms > opts.max) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${opts.max} ms (got ${ms} ms)` });
      return z.NEVER;
    }
    return ms;
  });

const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'not a valid URL (expected http:// or https://)');

const oneOrMany = <T extends z.ZodTypeAny>(t: T) => z.union([t, z.array(t)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const statusCode = z.number().int().min(100).max(599);

export const expectSchema = z.strictObject({
  status: oneOrMany(statusCode).optional().describe('Expected status code(s); default: any 2xx or 3xx'),
  bodyContains: oneOrMany(z.string().min(1)).optional(),
  bodyNotContains: oneOrMany(z.string().min(1)).optional(),
  maxLatency: duration({ min: 1 }).optional().describe('Fail the step when it takes longer than this'),
});

export const stepSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  method: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']))
    .default('GET'),
  url: httpUrl,
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  timeout: duration({ min: 1, max: 600_000 }).optional(),
  followRedirects: z.boolean().default(true),
  maxRedirects: z.number().int().min(0).max(50).default(10),
  maxBodyBytes: z.number().int().min(1).max(256 * 1024 * 1024).default(10 * 1024 * 1024),
  expect: expectSchema.default({}),
});

const idPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const monitorSchema = z
  .strictObject({
    id: z.string().regex(idPattern, 'must be lowercase letters, digits, - or _ (max 64)').optional(),
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    public: z.boolean().default(false),
    every: duration({ min: 1_000, max: 7 * 86_400_000 }).optional(),
    cron: z
      .string()
      .min(1)
      .superRefine((expr, ctx) => {
        const v = validateDetailed(expr);
        if (!v.valid) ctx.addIssue({ code: 'custom', message: `not a valid cron expression: ${v.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || expr}` });
      })
      .optional(),
    timeout: duration({ min: 1, max: 3_600_000 }).optional().describe('Whole-run timeout'),
    steps: z.array(stepSchema).min(1, 'a monitor needs at least one step'),
  })
  .superRefine((m, ctx) => {
    if (m.every !== undefined && m.cron !== undefined) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give either every or cron, not both' });
  });

const DAY = 86_400_000;
const RETENTION_DEFAULTS = { runs: 7 * DAY, minute: 2 * DAY, hourly: 90 * DAY, daily: 730 * DAY, every: 3_600_000, batchSize: 1000 };

/** How long history is kept. The 24-hour uptime reads raw runs and the 24h chart minute rollups, so both keep at least a day. */
export const retentionSchema = z.strictObject({
  runs: duration({ min: DAY }).default(RETENTION_DEFAULTS.runs).describe('Raw runs with their steps and evidence'),
  minute: duration({ min: DAY }).default(RETENTION_DEFAULTS.minute).describe('Per-minute rollups (24h chart)'),
  hourly: duration({ min: DAY }).default(RETENTION_DEFAULTS.hourly).describe('Hourly rollups (7d and 30d charts)'),
  daily: duration({ min: DAY }).default(RETENTION_DEFAULTS.daily).describe('Daily rollups and daily uptime bars (1y chart)'),
  every: duration({ min: 60_000, max: 7 * DAY }).default(RETENTION_DEFAULTS.every).describe('How often the retention job runs'),
  batchSize: z.number().int().min(10).max(100_000).default(RETENTION_DEFAULTS.batchSize).describe('Most rows deleted per transaction'),
});

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(3000),
        title: z.string().max(200).default('Status'),
        publicUrl: httpUrl.optional(),
      })
      .default({ host: '127.0.0.1', port: 3000, title: 'Status' }),
    storage: z.strictObject({ path: z.string().min(1).default('./data/halftime.db') }).default({ path: './data/halftime.db' }),
    scheduler: z
      .strictObject({
        concurrency: z.number().int().min(1).max(10_000).default(50),
        defaultEvery: duration({ min: 1_000 }).default(60_000),
        defaultTimeout: duration({ min: 1, max: 600_000 }).default(10_000),
      })
      .default({ concurrency: 50, defaultEvery: 60_000, defaultTimeout: 10_000 }),
    retention: retentionSchema.default(RETENTION_DEFAULTS),
    monitors: z.array(monitorSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.monitors.forEach((m, i) => {
      const id = m.id ?? slugify(m.name);
      if (!id) ctx.addIssue({ code: 'custom', path: ['monitors', i, 'name'], message: 'name needs letters or digits (or give an id)' });
      const prev = seen.get(id);
      if (prev !== undefined) ctx.addIssue({ code: 'custom', path: ['monitors', i, m.id ? 'id' : 'name'], message: `duplicate monitor id "${id}" (also monitors[${prev}])` });
      seen.set(id, i);
    });
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type MonitorConfig = z.output<typeof monitorSchema>;
export type RetentionConfig = z.output<typeof retentionSchema>;
export type StepConfig = z.output<typeof stepSchema>;
export type ExpectConfig = z.output<typeof expectSchema>;

export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}
