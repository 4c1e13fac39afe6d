import { parseConfigText } from '../../src/configure.js';
import type { MonitorConfig } from '../../src/config/schema.js';

/** Parses one monitor from YAML through the real config schema (so tests use what users write). */
export function monitorFrom(yaml: string, env: NodeJS.ProcessEnv = {}): MonitorConfig {
  return parseConfigText(`monitors:\n${yaml.replace(/^/gm, '  ')}`, 'test', env).config.monitors[0];
}

export function loadedFrom(yaml: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfigText(`monitors:\n${yaml.replace(/^/gm, '  ')}`, 'test', env);
}
