/**
 * Config for burst load checks: the safety block (`load:`), a burst definition per monitor
 * (`monitors[].load`) and stand-alone scheduled bursts (`loads:`).
 */
import { z } from 'zod';
import { parseThreshold } from '../lang/threshold.js';
import { cronExpression as cron, duration as ms, httpUrl as url } from './schema-parts.js';
import { stepSchema, type StepConfig } from './step-schema.js';

/** `50%` or `0.5` → 0.5. */
const ratio = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const n = typeof value === 'number' ? value : value.trim().endsWith('%') ? Number(value.trim().slice(0, -1)) / 100 : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    ctx.addIssue({ code: 'custom', message: `not a ratio: ${JSON.stringify(value)} (use e.g. 20% or 0.2)` });
    return z.NEVER;
  }
  return n;
});

const HOUR = 3_600_000;

/** Pause between iterations: `2s`, or a uniform range `{ min: 1s, max: 5s }`. */
export const thinkTimeSchema = z.union([
  ms({ max: HOUR }).transform((v) => ({ min: v, max: v })),
  z.strictObject({ min: ms({ max: HOUR }), max: ms({ max: HOUR }) }).refine((t) => t.max >= t.min, { message: 'max must be at least min', path: ['max'] }),
]);

const burstFields = {
  model: z.enum(['closed', 'open']).default('closed').describe('closed: a number of users; open: an arrival rate'),
  users: z.number().int().min(1).max(100_000).optional().describe('Closed model: simulated users at full load'),
  spawnRate: z.number().positive().max(100_000).default(10).describe('Closed model: new users per second while ramping'),
  duration: ms({ min: 1_000, max: 24 * HOUR }),
  shape: z.enum(['ramp', 'step', 'spike']).default('ramp'),
  step: z.strictObject({ users: z.number().int().min(1).max(100_000), every: ms({ min: 1_000 }) }).optional().describe('shape step: add `users` every `every`'),
  spike: z.strictObject({ users: z.number().int().min(1).max(100_000), at: ms(), for: ms({ min: 1_000 }) }).optional().describe('shape spike: jump to `users` at `at` for `for`'),
  arrivalRate: z.number().positive().max(1_000_000).optional().describe('Open model: iterations started per second'),
  rampTo: z.number().min(0).max(1_000_000).optional().describe('Open model: rate reached at the end'),
  maxUsers: z.number().int().min(1).max(100_000).optional().describe('Open model: most iterations in flight (default load.maxUsers)'),
  thinkTime: thinkTimeSchema.optional(),
  poll: z.strictObject({ url, every: ms({ min: 100, max: HOUR }) }).optional().describe('Background request per user, like a tab left open'),
  thresholds: z
    .array(
      z.string().superRefine((s, ctx) => {
        try {
          parseThreshold(s);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
    )
    .default([]),
  setup: z
    .array(stepSchema)
    .max(50)
    .optional()
    .describe("Steps each simulated user runs once when it starts, before its first iteration (log in once, like Locust's on_start); journey step syntax, on that user's cookies"),
  teardown: z
    .array(stepSchema)
    .max(50)
    .optional()
    .describe("Steps each simulated user runs once when it stops (log out, like Locust's on_stop), within the graceful stop"),
  abortOnErrorRate: ratio.optional().describe('Abort when the error rate passes this (default load.abortOnErrorRate)'),
  cron: cron.optional().describe('Run this burst on a schedule'),
};

type BurstShape = { model: 'closed' | 'open'; users?: number; shape: string; step?: unknown; spike?: unknown; arrivalRate?: number };

function checkBurst(b: BurstShape, ctx: z.core.$RefinementCtx) {
  if (b.model === 'closed' && b.users === undefined) ctx.addIssue({ code: 'custom', path: ['users'], message: 'the closed model needs users' });
  if (b.model === 'open' && b.arrivalRate === undefined) ctx.addIssue({ code: 'custom', path: ['arrivalRate'], message: 'the open model needs arrivalRate' });
  if (b.model === 'closed' && b.shape === 'step' && !b.step) ctx.addIssue({ code: 'custom', path: ['step'], message: 'shape step needs step: { users, every }' });
  if (b.model === 'closed' && b.shape === 'spike' && !b.spike) ctx.addIssue({ code: 'custom', path: ['spike'], message: 'shape spike needs spike: { users, at, for }' });
}

/** A burst definition inside a monitor (`monitors[].load`). */
export const burstSchema = z.strictObject(burstFields).superRefine(checkBurst);

/** A stand-alone burst (`loads[]`) naming the monitor whose steps it runs. */
export const loadEntrySchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    monitor: z.string().min(1).describe('id of the monitor whose steps each simulated user runs'),
    ...burstFields,
  })
  .superRefine(checkBurst);

/** The safety block: where bursts may go and how big they may be. */
export const loadSafetySchema = z
  .strictObject({
    allowHosts: z.array(z.string().min(1)).default([]).describe('Hosts (host or host:port) bursts may target; all others are refused'),
    maxUsers: z.number().int().min(1).max(100_000).default(1_000),
    maxRate: z.number().positive().max(1_000_000).default(1_000).describe('Most arrivals per second (open model)'),
    maxDuration: ms({ min: 1_000, max: 24 * HOUR }).default(600_000),
    abortOnErrorRate: ratio.default(0.5),
  })
  .default({ allowHosts: [], maxUsers: 1_000, maxRate: 1_000, maxDuration: 600_000, abortOnErrorRate: 0.5 });

export type BurstConfig = z.output<typeof burstSchema>;
export type LoadEntryConfig = z.output<typeof loadEntrySchema>;
export type LoadSafetyConfig = z.output<typeof loadSafetySchema>;
