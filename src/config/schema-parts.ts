import { validateDetailed } from 'node-cron';
import { z } from 'zod';
import { parseDuration } from '../lang/duration.js';
import { parseTemplate, TemplateError } from '../lang/template.js';

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

export const isHttpUrl = (s: string) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

export const httpUrl = z.string().refine(isHttpUrl, 'not a valid URL (expected http:// or https://)');

/** A cron expression node-cron accepts (five fields, or six with seconds first). */
export const cronExpression = z
  .string()
  .min(1)
  .superRefine((expr, ctx) => {
    const v = validateDetailed(expr);
    if (!v.valid) ctx.addIssue({ code: 'custom', message: `not a valid cron expression: ${v.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || expr}` });
  });

export const oneOrMany = <T extends z.ZodTypeAny>(t: T) => z.union([t, z.array(t)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

export const statusCode = z.number().int().min(100).max(599);

/** Reports a template syntax error (`{{ name` without `}}`) at the string's own path. */
export function checkTemplate(s: string, ctx: z.core.$RefinementCtx<string>) {
  try {
    parseTemplate(s);
  } catch (err) {
    if (err instanceof TemplateError) ctx.addIssue({ code: 'custom', message: `template: ${err.message}` });
    else throw err;
  }
}

/** A string that may hold `{{ … }}` templates. */
export const templated = z.string().superRefine(checkTemplate);

/** Plain values a template may produce into a query string or form field. */
export const scalar = z.union([templated, z.number(), z.boolean()]);

/** A regular expression given as a string; checked to compile. */
export const regexString = z.string().min(1).superRefine((s, ctx) => {
  try {
    new RegExp(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message}` });
  }
});

/** Think time: `2s` (constant) or `{ min: 1s, max: 5s }` (uniform); normalised to `{ min, max }` ms. */
export const thinkSchema = z
  .union([duration({ max: 3_600_000 }), z.strictObject({ min: duration({ max: 3_600_000 }), max: duration({ max: 3_600_000 }) })])
  .transform((v, ctx) => {
    const out = typeof v === 'number' ? { min: v, max: v } : v;
    if (out.max < out.min) {
      ctx.addIssue({ code: 'custom', message: 'think: max must not be below min' });
      return z.NEVER;
    }
    return out;
  });
