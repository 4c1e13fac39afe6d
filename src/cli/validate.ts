import { ConfigError, EXAMPLE_CONFIG_PATH, monitorId } from '../config/read.js';
import { loadConfigFile } from '../configure.js';
import { forEachStep } from '../config/schema.js';

export function validateCommand(opts: { config?: string }) {
  const path = opts.config ?? EXAMPLE_CONFIG_PATH;
  try {
    const { config, secretNames } = loadConfigFile(path);
    let steps = 0;
    for (const m of config.monitors) forEachStep(m, () => steps++);
    process.stdout.write(
      `${path}: ok — ${config.monitors.length} monitor${config.monitors.length === 1 ? '' : 's'}, ${steps} step${steps === 1 ? '' : 's'}` +
        (secretNames.length ? `, secrets from environment: ${secretNames.join(', ')}` : '') +
        '\n' +
        config.monitors.map((m) => `  ${monitorId(m)}  ${m.public ? 'public ' : 'private'}  ${m.cron ? `cron "${m.cron}"` : `every ${(m.every ?? config.scheduler.defaultEvery) / 1000}s`}  ${m.name}${m.personas ? ` (personas: ${m.personas.map((p) => `${p.name} ${p.weight}`).join(', ')})` : ''}\n`).join(''),
    );
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(1);
    }
    throw err;
  }
}
