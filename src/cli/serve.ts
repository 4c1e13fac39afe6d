import { ConfigError, EXAMPLE_CONFIG_PATH } from '../config/read.js';
import { loadConfigFile } from '../configure.js';
import { createLogger } from '../log.js';
import { StartError, startHalftime } from '../main.js';
import { DatabaseCorrupt } from '../store/integrity.js';
import { DatabaseLocked } from '../store/serve-lock.js';
import { startDemoApp, type DemoApp } from '../../examples/demo-app.js';

/**
 * Exit codes: 0 stopped cleanly; 1 bad config or a failed start (e.g. the port is taken);
 * 2 another `halftime serve` holds the database; 3 the database is damaged; 130 a second signal.
 */
export async function serveCommand(opts: { config?: string; db?: string; port?: number; host?: string; demo?: boolean }) {
  const configPath = opts.config ?? EXAMPLE_CONFIG_PATH;
  const withDemo = opts.demo ?? !opts.config;
  let loaded;
  try {
    loaded = loadConfigFile(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`halftime: invalid config, not starting.\n${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger({ redact: loaded.redact });
  let demo: DemoApp | undefined;
  if (withDemo) {
    try {
      demo = await startDemoApp({ port: 3100 });
    } catch (err) {
      process.stderr.write(`halftime: the demo shop could not listen on 127.0.0.1:3100 (${(err as NodeJS.ErrnoException).code ?? err}); is another halftime running?\n`);
      process.exit(1);
    }
    log.info('demo shop is running', { url: demo.url });
  }
  let ht;
  try {
    ht = await startHalftime({ loaded, dbPath: opts.db, port: opts.port, host: opts.host, logger: log });
  } catch (err) {
    await demo?.close();
    // The reasons an operator can act on get one plain sentence and their own exit code.
    const known = err instanceof DatabaseLocked ? 2 : err instanceof DatabaseCorrupt ? 3 : err instanceof StartError ? err.exitCode : undefined;
    if (known !== undefined) {
      process.stderr.write(`halftime: not starting: ${loaded.redact((err as Error).message)}\n`);
      process.exit(known);
    }
    log.error('could not start', { error: err });
    process.exit(1);
  }
  const grace = loaded.config.server.shutdownGrace;
  let signals = 0;
  const shutdown = async (signal: string) => {
    if (++signals > 1) {
      log.warn('second signal: exiting now', { signal });
      process.exit(130);
    }
    log.info('shutting down: finishing in-flight checks', { signal, graceMs: grace });
    await ht.stop(grace);
    await demo?.close();
    log.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // Only now say it is up: whoever reacts to this line with a SIGTERM gets a clean stop, not the default kill.
  process.stdout.write(`halftime: status page at ${ht.url}/\n`);
}
