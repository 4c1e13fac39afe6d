import { z } from 'zod';
import { parseDuration } from '../lang/duration.js';
import { cronExpression, duration } from './schema-parts.js';
import { parseBaseline, parsePercentile, parseRuleShorthand } from '../lang/degraded-rule.js';

const durationMs = (min: number) => duration({ min });

const channelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'channel names are letters, digits, - or _ (max 64)');
const email = z.string().min(3).regex(/@/, 'not an email address');

/**
 * `channels: { name: { type: email|webhook, …options } }`. The schema checks the names; each channel's
 * options are checked by its plugin in `src/configure.ts` (config does not import the channels).
 */
const channelsSchema = z.record(channelName, z.looseObject({ type: z.string() })).transform((channels) => {
  const out: Record<string, { type: string; options: unknown }> = {};
  for (const [name, raw] of Object.entries(channels)) out[name] = { type: raw.type, options: raw };
  return out;
});

export type DegradedRule = {
  /** The rule as written (shorthand) or as rebuilt from structured keys. */
  text: string;
  percentile: number;
  windowMs: number;
  thresholdMs?: number;
  factor?: number;
  baseline?: number | 'same-hour-of-week';
  /** A step name (for a browser monitor's Web Vitals, a series such as `vital:LCP`), or null for the whole run's duration. */
  step: string | null;
  minSamples: number;
  enterAfter: number;
  leaveAfter: number;
  /** Locations that must see it bad at once (each judged on its own window); 1: the whole run's window, any location. */
  locations: number;
};

const ruleExtras = {
  step: z.string().min(1).optional(),
  minSamples: z.number().int().min(1).max(100_000).default(5),
  enterAfter: z.number().int().min(1).max(1000).default(2),
  leaveAfter: z.number().int().min(1).max(1000).default(2),
  locations: z.number().int().min(1).max(100).default(1).describe('how many locations must see the rule broken at once (each on its own window)'),
};

const degradedRuleSchema = z
  .union([
    z.string(),
    z.strictObject({
      rule: z.string().optional(),
      percentile: z.string().optional(),
      over: z.union([z.string(), z.number()]).optional(),
      above: z.union([z.string(), z.number()]).optional(),
      baseline: z.string().optional(),
      ...ruleExtras,
    }),
  ])
  .transform((v, ctx): DegradedRule => {
    const obj = typeof v === 'string' ? { rule: v, ...ruleExtras, minSamples: 5, enterAfter: 2, leaveAfter: 2, locations: 1, step: undefined } : v;
    const extras = { step: obj.step ?? null, minSamples: obj.minSamples, enterAfter: obj.enterAfter, leaveAfter: obj.leaveAfter, locations: obj.locations };
    if ('rule' in obj && obj.rule !== undefined) {
      const structured = typeof v === 'object' && (v.percentile ?? v.over ?? v.above ?? v.baseline) !== undefined;
      if (structured) {
        ctx.addIssue({ code: 'custom', message: 'give either rule (shorthand) or percentile/over/above/baseline, not both' });
        return z.NEVER;
      }
      const r = parseRuleShorthand(obj.rule);
      if (typeof r === 'string') {
        ctx.addIssue({ code: 'custom', path: typeof v === 'string' ? [] : ['rule'], message: r });
        return z.NEVER;
      }
      // `lcp p75 > 2.5s over 15m` judges the series the writer keeps for LCP.
      if (r.vital) {
        const series = `vital:${r.vital.toUpperCase()}`;
        if (extras.step !== null && extras.step !== series) {
          ctx.addIssue({ code: 'custom', path: ['step'], message: `the rule names ${r.vital.toUpperCase()} (series "${series}"); leave step out or give "${series}"` });
          return z.NEVER;
        }
        extras.step = series;
      }
      const base = { text: obj.rule.trim(), percentile: r.percentile, windowMs: r.window, ...extras };
      return 'threshold' in r ? { ...base, thresholdMs: r.threshold } : { ...base, factor: r.factor, baseline: r.baseline };
    }
    const o = obj as Exclude<typeof v, string>;
    const bad = (path: string, message: string) => {
      ctx.addIssue({ code: 'custom', path: [path], message });
      return z.NEVER;
    };
    const percentile = parsePercentile(String(o.percentile ?? 'p95').toLowerCase());
    if (percentile === undefined) return bad('percentile', `not a percentile: "${o.percentile}" (use p50, p95, p99 or max)`);
    const windowMs = o.over === undefined ? undefined : parseDuration(o.over);
    if (windowMs === undefined || windowMs < 60_000) return bad('over', o.over === undefined ? 'required (the rolling window, e.g. 10m)' : 'must be a duration of at least 1m');
    if (o.above === undefined) return bad('above', 'required: a latency (800ms) or a factor of the baseline (2x)');
    const factorMatch = typeof o.above === 'string' ? /^(\d+(?:\.\d+)?)\s*x$/i.exec(o.above.trim()) : null;
    const pLabel = o.percentile ?? 'p95';
    const overLabel = String(o.over);
    if (factorMatch) {
      const factor = Number(factorMatch[1]);
      if (!(factor > 1)) return bad('above', 'the factor must be greater than 1');
      const b = parseBaseline(o.baseline ?? '7d');
      if (typeof b === 'string') return bad('baseline', b);
      return { text: `${pLabel} over ${overLabel} > ${factor}x baseline ${o.baseline ?? '7d'}`, percentile, windowMs, factor, baseline: b.baseline, ...extras };
    }
    if (o.baseline !== undefined) return bad('baseline', 'a baseline needs a factor in above, e.g. above: 2x');
    const thresholdMs = parseDuration(o.above);
    if (thresholdMs === undefined) return bad('above', `not a latency or factor: ${JSON.stringify(o.above)} (use e.g. 800ms or 2x)`);
    return { text: `${pLabel} > ${o.above} over ${overLabel}`, percentile, windowMs, thresholdMs, ...extras };
  });

const downSchema = z.strictObject({
  after: z.number().int().min(1).max(1000).default(2).describe('consecutive failed runs before DOWN'),
  recoverAfter: z.number().int().min(1).max(1000).default(1).describe('consecutive successful runs before RECOVERED'),
  locations: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(1)
    .describe('how many locations must see it failing (each `after` times in a row) before DOWN: one location\'s network blip raises no alarm'),
});

/** A WARNING (not down) while a monitor's certificate expires within `expiresIn`; cleared once it is renewed. */
const certificateAlertSchema = z.strictObject({
  expiresIn: duration({ min: 3_600_000, max: 400 * 86_400_000 }).describe('warn when a certificate of the monitor (https steps, tls checks) expires within this, e.g. 14d'),
});

const reminderSchema = z.union([z.literal('off'), z.literal(false), durationMs(60_000)]).transform((v) => (v === 'off' || v === false ? null : v));

export const monitorAlertsSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('false: never alert for this monitor'),
  channels: z.array(channelName).optional(),
  /** Email recipients for this monitor (instead of each email channel's `to`). */
  to: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(email).min(1)).optional(),
  down: downSchema.optional(),
  degraded: z.array(degradedRuleSchema).default([]),
  reminderEvery: reminderSchema.optional(),
  certificate: certificateAlertSchema.optional().describe('warn before a certificate expires (see docs/alerts.md)'),
});

const isoDate = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const t = v instanceof Date ? v.getTime() : Date.parse(v);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: `not a date/time: ${JSON.stringify(v)} (use ISO 8601, e.g. 2026-12-01T22:00:00Z)` });
    return z.NEVER;
  }
  return t;
});

const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'not a known IANA time zone (e.g. Europe/Berlin, UTC)');

export const maintenanceSchema = z.union([
  z
    .strictObject({ name: z.string().min(1).max(200).optional(), monitors: z.array(z.string()).optional(), start: isoDate, end: isoDate })
    .refine((w) => w.end > w.start, { message: 'end must be after start', path: ['end'] }),
  z.strictObject({
    name: z.string().min(1).max(200).optional(),
    monitors: z.array(z.string()).optional(),
    cron: cronExpression,
    duration: durationMs(60_000).refine((ms) => ms <= 7 * 86_400_000, 'at most 7d'),
    timezone: timezone.default('UTC'),
  }),
]);

export const alertsSchema = z.strictObject({
  channels: channelsSchema.default({}),
  defaults: z
    .strictObject({
      channels: z.array(channelName).optional().describe('default route: channels for monitors that name none (default: all channels)'),
      down: downSchema.default({ after: 2, recoverAfter: 1, locations: 1 }),
      reminderEvery: reminderSchema.default(null),
      certificate: certificateAlertSchema.optional().describe('certificate warning for every monitor that gives none'),
    })
    .default({ down: { after: 2, recoverAfter: 1, locations: 1 }, reminderEvery: null }),
  maintenance: z.array(maintenanceSchema).default([]),
  /**
   * How the sender retries a failed delivery: first wait, doubled each time up to max (each wait
   * jittered down to half); a message is given up (dead) after maxAttempts attempts or once maxAge
   * old. Undelivered messages older than unhealthyAfter make /healthz answer 503.
   */
  retry: z
    .strictObject({
      initial: durationMs(100).default(5_000),
      max: durationMs(1_000).default(600_000),
      maxAttempts: z.number().int().min(1).max(100_000).default(200).describe('attempts before a message is given up (dead)'),
      maxAge: durationMs(1_000).default(86_400_000).describe('a failing message older than this is given up (dead)'),
      unhealthyAfter: durationMs(1_000).default(900_000).describe('undelivered messages older than this make /healthz answer 503'),
    })
    .default({ initial: 5_000, max: 600_000, maxAttempts: 200, maxAge: 86_400_000, unhealthyAfter: 900_000 }),
});

export type AlertsConfig = z.output<typeof alertsSchema>;
export type MonitorAlertsConfig = z.output<typeof monitorAlertsSchema>;
export type MaintenanceWindowConfig = z.output<typeof maintenanceSchema>;
