import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXAMPLE_CONFIG_PATH, monitorId, type LoadedConfig } from '../config/read.js';
import type { MonitorConfig } from '../config/schema.js';
import { chromiumPath, chromiumProblem } from '../probes/browser/chromium.js';
import { createBrowserPool } from '../probes/browser/pool.js';
import { createBrowserRunner } from '../probes/browser/runner.js';
import type { RunResult } from '../probes/types.js';
import { loadConfigFile } from '../configure.js';
import { createCheckRunner } from '../probes/checks/index.js';
import { EXIT, exitUsage, orConfigExit } from './exit-codes.js';
import { formatRun } from './step-table.js';
import type { DemoApp } from '../../examples/demo-app.js';

export type RunCommandOptions = { config?: string; think?: boolean; seed?: number; demo?: boolean; trace?: string; screenshots?: string };

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
    let result: RunResult;
    if (monitor.browser) result = await runBrowser(monitor, loaded, opts, controller.signal);
    else {
      const runner = createCheckRunner(monitor, { redact: loaded.redact, defaultTimeoutMs: loaded.config.scheduler.defaultTimeout });
      if (!runner) exitUsage(`halftime: "${which}" is a heartbeat monitor: its job pings halftime (POST /api/push/<token>), there is nothing to run`);
      result = await runner.run({ noThink: opts.think === false, seed: opts.seed, signal: controller.signal });
    }
    process.stdout.write(loaded.redact(formatRun(result, monitor.name)));
    process.exitCode = result.ok ? EXIT.ok : EXIT.failed;
  } finally {
    process.off('SIGINT', onSignal);
    await demo?.close();
  }
}

/** A browser monitor's run, on a pool of one Chromium started for it (and closed after). */
async function runBrowser(monitor: MonitorConfig, loaded: LoadedConfig, opts: RunCommandOptions, signal: AbortSignal): Promise<RunResult> {
  const settings = loaded.config.browser;
  const executablePath = chromiumPath(settings.chromium);
  const problem = chromiumProblem(executablePath);
  if (problem) {
    process.stderr.write(`halftime: ${problem}\n`);
    process.exit(EXIT.failed);
  }
  const pool = createBrowserPool({ executablePath, concurrency: 1, recycleAfterRuns: 1, recycleAfterMs: settings.recycleAfter, memoryLimitBytes: settings.memoryLimit * 1024 * 1024, nice: settings.nice });
  try {
    const tracePath = opts.trace ? resolve(opts.trace) : undefined;
    const result = await createBrowserRunner(monitor, { pool, settings, redact: loaded.redact }).run({ noThink: opts.think === false, seed: opts.seed, signal, tracePath });
    if (tracePath && existsSync(tracePath)) process.stderr.write(`trace saved to ${tracePath} (open it with: npx playwright-core show-trace ${tracePath})\n`);
    if (opts.screenshots && result.artifacts?.length) {
      mkdirSync(opts.screenshots, { recursive: true });
      for (const a of result.artifacts) writeFileSync(join(opts.screenshots, a.name), a.data);
      process.stderr.write(`screenshots saved in ${resolve(opts.screenshots)}: ${result.artifacts.map((a) => a.name).join(', ')}\n`);
    }
    return result;
  } finally {
    await pool.close();
  }
}
