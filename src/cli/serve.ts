import { EXAMPLE_CONFIG_PATH } from '../config/read.js';
import { loadConfigFile } from '../configure.js';
import { createLogger } from '../log.js';
import { StartError, startHalftime } from '../main.js';
import { DatabaseCorrupt } from '../store/integrity.js';
import { DatabaseLocked } from '../store/serve-lock.js';
import { EXIT, orConfigExit } from './exit-codes.js';
import { startDemoApp, type DemoApp } from '../../examples/demo-app.js';

export type ServeOptions = { config?: string; db?: string; port?: number; host?: string; demo?: boolean; location?: string; role?: 'all' | 'web'; /** --db on the command line (not HALFTIME_DB). */ dbGiven?: boolean };

/**
 * `halftime serve`. Exit codes: 0 after a clean shutdown; 1 when it cannot start (the port is taken,
 * the database is damaged); 2 a bad config, or another `halftime serve` holds the database; 130 a
 * second signal.
 */
export async function serveCommand(opts: ServeOptions) {
  const configPath = opts.config ?? EXAMPLE_CONFIG_PATH;
  const withDemo = opts.demo ?? !opts.config;
  const loaded = orConfigExit(() => loadConfigFile(configPath), 'halftime: invalid config, not starting.\n');
  const log = createLogger({ redact: loaded.redact });
  let demo: DemoApp | undefined;
  if (withDemo) {
    try {
      demo = await startDemoApp({ port: 3100 });
    } catch (err) {
      process.stderr.write(`halftime: the demo shop could not listen on 127.0.0.1:3100 (${(err as NodeJS.ErrnoException).code ?? err}); is another halftime running?\n`);
      process.exit(EXIT.failed);
    }
    log.info('demo shop is running', { url: demo.url });
  }
  // --db, then HALFTIME_DATABASE_URL and storage.url (PostgreSQL), then HALFTIME_DB (the image sets
  // it) and storage.path: a URL set anywhere is not overridden by the image's default file.
  const dbPath = opts.dbGiven ? opts.db : (process.env.HALFTIME_DATABASE_URL ?? loaded.config.storage.url ?? opts.db);
  let ht;
  try {
    ht = await startHalftime({ loaded, dbPath, port: opts.port, host: opts.host, logger: log, location: opts.location, role: opts.role });
  } catch (err) {
    await demo?.close();
    // The reasons an operator can act on get one plain sentence: a database in use elsewhere is a
    // usage error (2); a damaged database or a failed start is a failure (1).
    const known = err instanceof DatabaseLocked ? EXIT.usage : err instanceof DatabaseCorrupt ? EXIT.failed : err instanceof StartError ? err.exitCode : undefined;
    if (known !== undefined) {
      process.stderr.write(`halftime: not starting: ${loaded.redact((err as Error).message)}\n`);
      process.exit(known);
    }
    log.error('could not start', { error: err });
    process.exit(EXIT.failed);
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
