import { EXAMPLE_CONFIG_PATH } from '../config/read.js';
import { loadConfigFile } from '../configure.js';
import { createLogger } from '../log.js';
import { startHalftime } from '../main.js';
import { EXIT, orConfigExit } from './exit-codes.js';
import { startDemoApp, type DemoApp } from '../../examples/demo-app.js';

export type ServeOptions = { config?: string; db?: string; port?: number; host?: string; demo?: boolean };

/** `halftime serve`: exit 2 for a bad config, 1 when it cannot start, 0 after a clean shutdown. */
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
  let ht;
  try {
    ht = await startHalftime({ loaded, dbPath: opts.db, port: opts.port, host: opts.host, logger: log });
  } catch (err) {
    log.error('could not start', { error: err });
    await demo?.close();
    process.exit(EXIT.failed);
  }
  process.stdout.write(`halftime: status page at ${ht.url}/\n`);

  let signals = 0;
  const shutdown = async (signal: string) => {
    if (++signals > 1) {
      log.warn('second signal: exiting now', { signal });
      process.exit(130);
    }
    log.info('shutting down: finishing in-flight checks', { signal });
    await ht.stop(10_000);
    await demo?.close();
    log.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
