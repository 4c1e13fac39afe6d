import { EXAMPLE_CONFIG_PATH, monitorId } from '../config/read.js';
import { loadConfigFile } from '../configure.js';
import { createCheckRunner } from '../probes/checks/index.js';
import { EXIT, exitUsage, orConfigExit } from './exit-codes.js';
import { formatRun } from './step-table.js';
import type { DemoApp } from '../../examples/demo-app.js';

export type RunCommandOptions = { config?: string; think?: boolean; seed?: number; demo?: boolean };

/** `halftime run <monitor>`: one journey, once, as a table; exit 0 when it passed, 1 when not, 2 for a bad config or an unknown monitor. */
export async function runCommand(which: string, opts: RunCommandOptions) {
  const path = opts.config ?? EXAMPLE_CONFIG_PATH;
  const loaded = orConfigExit(() => loadConfigFile(path));
  const wanted = which.toLowerCase();
  const monitor = loaded.config.monitors.find((m) => monitorId(m) === wanted || m.name.toLowerCase() === wanted);
  if (!monitor) exitUsage(`halftime: no monitor "${which}" in ${path}. Monitors: ${loaded.config.monitors.map(monitorId).join(', ') || '(none)'}`);
  let demo: DemoApp | undefined;
  if (opts.demo ?? !opts.config) {
    // The embedded example points at the demo shop; start it unless it is already running.
    const { startDemoApp } = await import('../../examples/demo-app.js');
    demo = await startDemoApp({ port: 3100 }).catch(() => undefined);
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const runner = createCheckRunner(monitor, { redact: loaded.redact, defaultTimeoutMs: loaded.config.scheduler.defaultTimeout });
    if (!runner) exitUsage(`halftime: "${which}" is a heartbeat monitor: its job pings halftime (POST /api/push/<token>), there is nothing to run`);
    const result = await runner.run({ noThink: opts.think === false, seed: opts.seed, signal: controller.signal });
    process.stdout.write(loaded.redact(formatRun(result, monitor.name)));
    process.exitCode = result.ok ? EXIT.ok : EXIT.failed;
  } finally {
    process.off('SIGINT', onSignal);
    await demo?.close();
  }
}
