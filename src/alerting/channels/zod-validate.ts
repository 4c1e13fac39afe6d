import type { z } from 'zod';
import type { ChannelPlugin, ValidationResult } from '../types.js';

/** Turns a zod schema into a channel's `validate`. */
export function zodValidate<S extends z.ZodTypeAny>(schema: S) {
  return (options: unknown): ValidationResult<z.output<S>> => {
    const r = schema.safeParse(options);
    if (r.success) return { ok: true, value: r.data };
    return {
      ok: false,
      problems: r.error.issues.map((i) => ({
        path: i.path.filter((p): p is string | number => typeof p !== 'symbol'),
        message: i.code === 'unrecognized_keys' ? `unknown key${i.keys.length > 1 ? 's' : ''}: ${i.keys.join(', ')}` : i.code === 'invalid_type' && /received undefined/.test(i.message) ? 'required' : i.message,
      })),
    };
  };
}

/** A channel whose options are one zod schema: `validate` comes from it, and `halftime schema` describes it. */
export type ZodChannel<S extends z.ZodTypeAny = z.ZodTypeAny> = ChannelPlugin<z.output<S>> & { optionsSchema: S };

export function zodChannel<S extends z.ZodTypeAny>(type: string, optionsSchema: S, send: ChannelPlugin<z.output<S>>['send']): ZodChannel<S> {
  return { type, validate: zodValidate(optionsSchema), send, optionsSchema };
}
