import { EXAMPLE_CONFIG_PATH, monitorId } from '../config/read.js';
import { loadConfigFile } from '../configure.js';
import { forEachStep } from '../config/schema.js';
import { orConfigExit } from './exit-codes.js';

/** `halftime validate`: every problem of the config in one pass, in config order (exit 2), or a summary (exit 0). */
export function validateCommand(opts: { config?: string }) {
  const path = opts.config ?? EXAMPLE_CONFIG_PATH;
  const { config, secretNames } = orConfigExit(() => loadConfigFile(path));
  let steps = 0;
  for (const m of config.monitors) {
    forEachStep(m, () => steps++);
    // A browser monitor's steps are its actions (a script counts none).
    steps += m.browser?.steps.length ?? 0;
  }
  process.stdout.write(
    `${path}: ok — ${config.monitors.length} monitor${config.monitors.length === 1 ? '' : 's'}, ${steps} step${steps === 1 ? '' : 's'}` +
      (secretNames.length ? `, secrets from environment: ${secretNames.join(', ')}` : '') +
      '\n' +
      config.monitors.map((m) => `  ${monitorId(m)}  ${m.public ? 'public ' : 'private'}  ${m.cron ? `cron "${m.cron}"` : `every ${(m.every ?? config.scheduler.defaultEvery) / 1000}s`}  ${m.name}${m.personas ? ` (personas: ${m.personas.map((p) => `${p.name} ${p.weight}`).join(', ')})` : ''}\n`).join(''),
  );
}
