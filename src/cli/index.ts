#!/usr/bin/env node
/**
 * `halftime <command>`. Each command's code is imported only when it runs, so `validate` does not
 * load the server, the store or the burst engine. Exit codes (src/cli/exit-codes.ts): 0 ok, 1 a check
 * or threshold failed, 2 a usage or config error.
 */
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { EXIT } from './exit-codes.js';
import { registerLoadCommand } from './load-options.js';
import type { MigrateOptions } from './migrate.js';
import type { RunCommandOptions } from './run.js';
import type { ServeOptions } from './serve.js';

// A reader that stops early (`halftime schema | head`) is not an error: stop quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});

// Where src/config/read.ts finds it too (dist/ keeps the same layout); not imported, to start fast.
const EXAMPLE_CONFIG = fileURLToPath(new URL('../../examples/halftime.yaml', import.meta.url));

const program = new Command()
  .name('halftime')
  .description('Self-hosted synthetic monitor: scheduled journeys, latency percentiles, a public status page and alerts.')
  .version('0.1.0')
  .showHelpAfterError('(run halftime --help for usage)')
  .addHelpText('after', '\nExit codes: 0 ok, 1 a check or threshold failed, 2 a usage or config error.')
  // A usage error (unknown command or option, a bad value, a missing argument) exits 2; --help and --version 0.
  // Set before the commands are added: each subcommand inherits it.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));

const configOption = () => new Option('-c, --config <file>', 'config file (YAML)').env('HALFTIME_CONFIG');

program
  .command('serve')
  .description('run the scheduler, store results and serve the status page')
  .addOption(configOption())
  .addOption(new Option('--db <file|url>', 'SQLite database file or postgres:// URL (default: HALFTIME_DATABASE_URL, storage.url or storage.path in the config, ./data/halftime.db)').env('HALFTIME_DB'))
  .addOption(new Option('--location <name>', 'where this node measures from (runs are labelled with it; several nodes need PostgreSQL)').env('HALFTIME_LOCATION'))
  .addOption(new Option('--role <role>', '`all` measures, alerts and serves; `web` only serves pages').choices(['all', 'web']).env('HALFTIME_ROLE'))
  .addOption(new Option('-p, --port <port>', 'HTTP port (default: server.port, 3000)').env('HALFTIME_PORT').argParser(parsePort))
  .addOption(new Option('--host <address>', 'address to listen on (default: server.host, 127.0.0.1)').env('HALFTIME_HOST'))
  .option('--demo', 'also start the demo shop on 127.0.0.1:3100 (on by default when no config is given)')
  .addHelpText(
    'after',
    `\nWith no --config and no HALFTIME_CONFIG, halftime loads its embedded example\n(${EXAMPLE_CONFIG})\nand starts the demo shop it monitors, so the status page fills with real data within a minute.`,
  )
  .action(async (opts: ServeOptions, cmd: Command) => (await import('./serve.js')).serveCommand({ ...opts, dbGiven: cmd.getOptionValueSource('db') === 'cli' }));

program
  .command('migrate')
  .description('bring the database to this version\'s schema; with --from, copy a SQLite database into an empty PostgreSQL one')
  .addOption(configOption())
  .addOption(new Option('--db <file|url>', 'the database: a SQLite file or a postgres:// URL (default: storage.url or storage.path in the config)').env('HALFTIME_DATABASE_URL'))
  .option('--from <file>', 'a SQLite database to copy into the (empty) PostgreSQL database given by --db')
  .addHelpText('after', '\nExample: halftime migrate --from data/halftime.db --db postgres://halftime@db/halftime')
  .action(async (opts: MigrateOptions) => (await import('./migrate.js')).migrateCommand(opts));

program
  .command('validate')
  .description('check a config file; prints every problem with its path, exit code 2 if any')
  .addOption(configOption())
  .action(async (opts: { config?: string }) => (await import('./validate.js')).validateCommand(opts));

registerLoadCommand(program, configOption);

program
  .command('run')
  .description('run one monitor\'s journey once and print a step table; exit code 0 if it passed, 1 if not')
  .argument('<monitor>', 'monitor id or name')
  .addOption(configOption())
  .option('--no-think', 'skip think time between steps')
  .addOption(new Option('--seed <n>', 'make random choices repeatable').argParser(parseSeed))
  .option('--demo', 'also start the demo shop on 127.0.0.1:3100 (on by default when no config is given)')
  .option('--trace <file>', 'browser monitors: save a Playwright trace of the run (a .zip for npx playwright-core show-trace)')
  .option('--screenshots <dir>', 'browser monitors: save the run\'s screenshots in this folder')
  .action(async (monitor: string, opts: RunCommandOptions) => (await import('./run.js')).runCommand(monitor, opts));

program
  .command('schema')
  .description('print the JSON Schema of the config file (for editor completion)')
  .action(async () => (await import('./schema.js')).schemaCommand());

program
  .command('alert-test')
  .description('send a test message through one alert channel (checks SMTP or webhook settings)')
  .argument('<channel>', 'a channel name under alerts.channels')
  .addOption(configOption())
  .action(async (channel: string, opts: { config?: string }) => (await import('./alert-test.js')).alertTestCommand(channel, opts));

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) throw new InvalidArgumentError(`not a whole number from 0 to 2147483647: ${v}`);
  return n;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`not a port number from 0 to 65535: ${v}`);
  return n;
}

await program.parseAsync(process.argv);
