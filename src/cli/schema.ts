import { z } from 'zod';
import { configSchema } from '../config/schema.js';

/** The config's JSON Schema (what a user writes: durations as text, defaults optional), for editor completion. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12', reused: 'ref' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://halftime.invalid/halftime.schema.json',
    title: 'halftime configuration',
    description: 'halftime.yaml: server, storage, scheduler and monitors (steps, journeys, personas).',
  };
}

export function schemaCommand() {
  process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
}
