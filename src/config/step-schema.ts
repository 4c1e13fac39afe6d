import { z } from 'zod';
import { checkTemplate, duration, isHttpUrl, oneOrMany, regexString, scalar, statusCode, templated, thinkSchema } from './schema-parts.js';
import { parseJsonPath, JsonPathError } from '../lang/json-path.js';

const jsonPath = z.string().min(1).superRefine((s, ctx) => {
  try {
    parseJsonPath(s);
  } catch (err) {
    if (err instanceof JsonPathError) ctx.addIssue({ code: 'custom', message: err.message });
    else throw err;
  }
});

const headerCheck = z.union([
  templated,
  z.strictObject({ equals: templated.optional(), contains: templated.optional(), matches: regexString.optional(), exists: z.boolean().optional() }),
]);

const jsonCheck = z.strictObject({
  path: jsonPath,
  equals: z.unknown().optional().describe('Deep-equal to this value (strings may be templates)'),
  exists: z.boolean().optional(),
  contains: templated.optional().describe('The value (as text) contains this'),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
});

export const expectSchema = z.strictObject({
  status: oneOrMany(statusCode).optional().describe('Expected status code(s); default: any 2xx or 3xx'),
  bodyContains: oneOrMany(templated.pipe(z.string().min(1))).optional(),
  bodyNotContains: oneOrMany(templated.pipe(z.string().min(1))).optional(),
  bodyMatches: oneOrMany(regexString).optional().describe('Regular expression(s) the body must match'),
  json: z.array(jsonCheck).optional().describe('Checks on the JSON body, by path'),
  headers: z.record(z.string(), headerCheck).optional().describe('Response header checks; a string means "contains"'),
  maxBytes: z.number().int().min(0).optional().describe('Body no larger than this (bytes on the wire)'),
  minBytes: z.number().int().min(0).optional(),
  maxLatency: duration({ min: 1 }).optional().describe('Fail the step when it takes longer than this'),
});

const SOURCES = ['json', 'regex', 'css', 'header', 'cookie', 'status'] as const;

export const extractSchema = z
  .strictObject({
    json: jsonPath.optional().describe('JSON path, e.g. $.items[0].id'),
    regex: regexString.optional(),
    group: z.union([z.number().int().min(0), z.string().min(1)]).optional().describe('Regex group number or name (default 1, or 0 without groups)'),
    css: z.string().min(1).optional().describe('CSS selector on an HTML body'),
    attr: z.string().min(1).optional().describe('Take this attribute instead of the text'),
    header: z.string().min(1).optional(),
    cookie: z.string().min(1).optional(),
    status: z.literal(true).optional(),
    pick: z.enum(['first', 'last', 'random', 'all']).default('first').describe('Which match when several (all: a list)'),
    optional: z.boolean().default(false).describe('A missing value is not a failure'),
    default: z.string().optional(),
    secret: z.boolean().default(false).describe('Never show the value'),
  })
  .superRefine((e, ctx) => {
    const given = SOURCES.filter((k) => e[k] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', message: `give exactly one of ${SOURCES.join(', ')}${given.length ? ` (got ${given.join(', ')})` : ''}` });
    if (e.group !== undefined && e.regex === undefined) ctx.addIssue({ code: 'custom', path: ['group'], message: 'group needs regex' });
    if (e.attr !== undefined && e.css === undefined) ctx.addIssue({ code: 'custom', path: ['attr'], message: 'attr needs css' });
  });

const token = z.string().regex(/^[A-Za-z0-9_.:\[\]-]+$/, 'letters, digits and _ . : - [ ] only');

export const csrfSchema = z.union([
  z.literal('auto'),
  z.literal(false),
  z.strictObject({
    field: token.optional().describe('Hidden form field holding the token; also the field it is sent back in'),
    meta: token.optional().describe('<meta name=…> holding the token'),
    cookie: token.optional().describe('Cookie holding the token (double-submit)'),
    header: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a header name').optional().describe('Send the token in this request header'),
  }),
]);

export const assetsSchema = z.union([
  z.boolean(),
  z.strictObject({
    origins: z.array(z.string().min(1)).default([]).describe('Other origins to fetch from besides the page\'s own ("*" for any)'),
    max: z.number().int().min(1).max(500).default(100),
    perOrigin: z.number().int().min(1).max(16).default(6).describe('Parallel fetches per origin'),
  }),
]);

/** Absolute http(s) URL, a path (joined to the monitor's baseUrl), or starting with a template. */
function urlShape(url: string): boolean {
  if (url.startsWith('/') || url.startsWith('{{')) return true;
  return isHttpUrl(url.replace(/\{\{[^}]*\}\}/g, 'x'));
}

const varName = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkJsonTemplates(value: unknown, ctx: z.core.$RefinementCtx<unknown>, path: (string | number)[] = []) {
  if (typeof value === 'string') {
    const issues: string[] = [];
    checkTemplate(value, { addIssue: (i: { message?: string }) => issues.push(String(i.message)) } as unknown as z.core.$RefinementCtx<string>);
    for (const message of issues) ctx.addIssue({ code: 'custom', path, message });
  } else if (Array.isArray(value)) value.forEach((v, i) => checkJsonTemplates(v, ctx, [...path, i]));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkJsonTemplates(v, ctx, [...path, k]);
}

export const stepSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    method: z
      .string()
      .transform((s) => s.toUpperCase())
      .pipe(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']))
      .default('GET'),
    url: templated.refine(urlShape, 'not a valid URL (expected http:// or https://)').describe('Absolute URL, or a path when the monitor has a baseUrl; may hold {{ templates }}'),
    query: z.record(z.string(), scalar).optional().describe('Query parameters added to the URL'),
    headers: z.record(z.string(), templated).default({}),
    form: z.record(z.string(), scalar).optional().describe('Sent as application/x-www-form-urlencoded'),
    json: z.unknown().superRefine((v, ctx) => checkJsonTemplates(v, ctx)).optional().describe('Sent as application/json'),
    body: templated.optional().describe('Raw request body'),
    timeout: duration({ min: 1, max: 600_000 }).optional(),
    followRedirects: z.boolean().default(true),
    maxRedirects: z.number().int().min(0).max(50).default(10),
    maxBodyBytes: z.number().int().min(1).max(256 * 1024 * 1024).default(10 * 1024 * 1024),
    alwaysRun: z.boolean().default(false).describe('Run even after an earlier step failed (clean-up such as logging out)'),
    extract: z
      .record(z.string().regex(varName, 'variable names are letters, digits and _'), extractSchema)
      .optional()
      .describe('Variables to take from the response'),
    expect: expectSchema.default({}),
    csrf: csrfSchema.optional().describe('auto: send back the CSRF token the last page or a cookie gave'),
    assets: assetsSchema.optional().describe('Also fetch the CSS, JS, images and fonts the HTML references'),
    think: thinkSchema.optional().describe('Pause after this step (overrides the journey think time)'),
  })
  .superRefine((s, ctx) => {
    const bodies = (['form', 'json', 'body'] as const).filter((k) => s[k] !== undefined);
    if (bodies.length > 1) ctx.addIssue({ code: 'custom', path: [bodies[1]], message: `give only one of form, json or body (got ${bodies.join(', ')})` });
    if (bodies.length > 0 && (s.method === 'GET' || s.method === 'HEAD'))
      ctx.addIssue({ code: 'custom', path: [bodies[0]], message: `a ${s.method} request has no body (set method: POST)` });
  });

export type StepConfig = z.output<typeof stepSchema>;
export type ExpectConfig = z.output<typeof expectSchema>;
export type ExtractConfig = z.output<typeof extractSchema>;
export type CsrfConfig = z.output<typeof csrfSchema>;
export type AssetsConfig = z.output<typeof assetsSchema>;
