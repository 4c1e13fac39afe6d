import { createRequire } from 'node:module';
import { z } from 'zod';
import { thinkSchema } from './schema-parts.js';
import { csrfSchema, stepSchema } from './step-schema.js';

const name = z.string().min(1).max(100);
const weight = z.number().positive().max(1_000_000).default(1);

export const taskSchema = z.strictObject({
  name,
  weight: weight.describe('Relative chance of this task (like Locust @task(5))'),
  steps: z.array(stepSchema).min(1, 'a task needs at least one step'),
});

export const personaSchema = z
  .strictObject({
    name,
    weight: weight.describe('Relative chance this persona runs (e.g. 80 and 20)'),
    steps: z.array(stepSchema).default([]).describe('Run first, in order (e.g. log in)'),
    tasks: z.array(taskSchema).default([]).describe('Then pick `iterations` tasks by weight'),
    iterations: z.number().int().min(1).max(100).default(1),
    after: z.array(stepSchema).default([]).describe('Run last, in order (mark clean-up steps alwaysRun)'),
    think: thinkSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.steps.length === 0 && p.tasks.length === 0) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'a persona needs steps or tasks' });
  });

export const dataPoolSchema = z
  .strictObject({
    values: z.array(z.unknown()).min(1).optional().describe('Inline list (strings, numbers or objects)'),
    csv: z.string().min(1).optional().describe('CSV file with a header row, relative to the config file'),
    delimiter: z.string().min(1).max(4).default(','),
    pick: z.enum(['random', 'sequence', 'unique']).default('random').describe('unique: no repeats until the pool is used up'),
  })
  .superRefine((d, ctx) => {
    if ((d.values === undefined) === (d.csv === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of values or csv' });
  });

const requireHere = createRequire(import.meta.url);

/** Checks the locale exists without loading faker itself (its package has one module per locale). */
function fakerHasLocale(locale: string): boolean {
  try {
    requireHere.resolve(`@faker-js/faker/locale/${locale}`);
    return true;
  } catch {
    return false;
  }
}

/** Journey-level keys of a monitor (merged into the monitor schema). */
export const journeyKeys = {
  baseUrl: z.string().optional().describe('Step URLs starting with / are relative to this'),
  // Optional rather than defaulted, so monitors built in code (tests, tools) need not spell them out.
  vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'variable names are letters, digits and _'), z.unknown()).optional().describe('Fixed variables for templates'),
  data: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'pool names are letters, digits and _'), dataPoolSchema).optional().describe('Data pools for templates'),
  locale: z
    .string()
    .regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})*$/, 'a faker locale such as en, de, fr, pt_BR')
    .superRefine((l, ctx) => {
      if (!fakerHasLocale(l)) ctx.addIssue({ code: 'custom', message: `unknown faker locale "${l}" (e.g. en, de, fr, es, pt_BR, ja)` });
    })
    .optional()
    .describe('Locale for faker helpers (default en)'),
  think: thinkSchema.optional().describe('Pause between steps: 2s or { min: 1s, max: 5s }'),
  csrf: csrfSchema.optional().describe('Default CSRF handling for POST/PUT/PATCH/DELETE steps'),
  session: z.enum(['fresh', 'keep']).optional().describe('fresh (default): every run starts with no cookies; keep: cookies survive from one run to the next'),
  personas: z.array(personaSchema).min(1).optional(),
};

export type PersonaConfig = z.output<typeof personaSchema>;
export type TaskConfig = z.output<typeof taskSchema>;
export type DataPoolConfig = z.output<typeof dataPoolSchema>;
