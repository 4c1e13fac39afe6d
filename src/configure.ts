/**
 * Reading a config the way halftime runs it: the schema (src/config/) plus the checks that need the
 * parts config must not import — each alert channel's options, checked by its own plugin. Everything
 * that loads a config for running or validating goes through here.
 */
import { builtinChannels } from './alerting/channels/index.js';
import * as read from './config/read.js';
import type { ConfigCheck, ConfigProblem, LoadedConfig } from './config/read.js';

/** Each channel's options are validated (and defaulted) by its plugin. */
export const checkChannels: ConfigCheck = (raw, config) => {
  const problems: ConfigProblem[] = [];
  const channels = (raw as { alerts?: { channels?: unknown } } | null)?.alerts?.channels;
  if (!channels || typeof channels !== 'object') return problems;
  for (const [name, ch] of Object.entries(channels as Record<string, unknown>)) {
    const type = (ch as { type?: unknown } | null)?.type;
    if (typeof type !== 'string') continue; // the schema reports it
    const at = ['alerts', 'channels', name];
    const plugin = builtinChannels.get(type);
    if (!plugin) {
      problems.push({ path: read.formatPath([...at, 'type']), message: `unknown channel type "${type}" (known: ${builtinChannels.types().join(', ')})`, at: [...at, 'type'] });
      continue;
    }
    const r = plugin.validate(ch);
    if (!r.ok) for (const p of r.problems) problems.push({ path: read.formatPath([...at, ...p.path]), message: p.message, at: [...at, ...p.path] });
    else if (config?.alerts?.channels[name]) config.alerts.channels[name].options = r.value;
  }
  return problems;
};

const checks = [checkChannels];

export function parseConfigText(text: string, source: string, env: NodeJS.ProcessEnv = process.env, opts: { baseDir?: string } = {}): LoadedConfig {
  return read.parseConfigText(text, source, env, { ...opts, checks });
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return read.loadConfigFile(path, env, { checks });
}
