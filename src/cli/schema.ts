import { z } from 'zod';
import { channelOptionSchemas } from '../alerting/channels/index.js';
import { configSchema, describeMonitorSteps } from '../config/schema.js';

type Json = Record<string, unknown>;

/** Follows `#/$defs/…` references within the document. */
function resolve(root: Json, node: unknown): Json | undefined {
  let n = node as Json | undefined;
  for (let i = 0; i < 10 && n && typeof n.$ref === 'string'; i++) n = (root.$defs as Record<string, Json> | undefined)?.[(n.$ref as string).replace(/^#\/\$defs\//, '')];
  return n;
}

/**
 * The config schema leaves a channel's options open (config does not know the channels; each plugin
 * checks its own). Here they are filled in: one entry per channel type, told apart by `type`.
 */
function describeChannels(root: Json): void {
  const alerts = resolve(root, (root.properties as Json | undefined)?.alerts);
  const channels = resolve(root, (alerts?.properties as Json | undefined)?.channels);
  if (!channels) throw new Error('halftime schema: alerts.channels not found in the config schema');
  channels.additionalProperties = {
    oneOf: channelOptionSchemas.map(({ type, schema }) => {
      const { $schema: _drop, ...one } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
      return { title: `${type} channel`, ...one };
    }),
  };
}

/** The config's JSON Schema (what a user writes: durations as text, defaults optional), for editor completion. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12', reused: 'ref', override: describeMonitorSteps }) as Record<string, unknown>;
  describeChannels(schema);
  return {
    ...schema,
    $id: 'https://halftime.invalid/halftime.schema.json',
    title: 'halftime configuration',
    description: 'halftime.yaml: server, storage, scheduler, monitors (steps, journeys, personas) and alerts (channels, rules).',
  };
}

export function schemaCommand() {
  process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
}
