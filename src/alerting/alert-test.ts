import { randomUUID } from 'node:crypto';
import { monitorId, type LoadedConfig } from '../config/read.js';
import { builtinChannels } from './channels/index.js';
import { monitorLink } from './format.js';
import type { AlertEvent } from './types.js';

export function testEvent(loaded: LoadedConfig, now = Date.now()): AlertEvent {
  const first = loaded.config.monitors[0];
  const key = first ? monitorId(first) : 'test';
  return {
    id: randomUUID(),
    kind: 'test',
    condition: null,
    at: now,
    since: null,
    monitor: { key, name: loaded.config.server.title, url: monitorLink(loaded.config.server.publicUrl, key) },
    evidence: {},
  };
}

/** Sends a test message through one configured channel right away (not through the outbox). */
export async function sendTestMessage(loaded: LoadedConfig, channelName: string): Promise<{ ok: true; type: string } | { ok: false; error: string }> {
  const channels = loaded.config.alerts?.channels ?? {};
  const ch = channels[channelName];
  if (!ch) {
    const known = Object.keys(channels);
    return { ok: false, error: `no channel "${channelName}" under alerts.channels in ${loaded.source} (${known.length ? `known: ${known.join(', ')}` : 'none defined'})` };
  }
  const plugin = builtinChannels.get(ch.type)!;
  try {
    await plugin.send(testEvent(loaded), ch.options);
    return { ok: true, type: ch.type };
  } catch (err) {
    return { ok: false, error: loaded.redact(err instanceof Error ? err.message : String(err)) };
  }
}
