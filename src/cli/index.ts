#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { EXAMPLE_CONFIG_PATH } from '../config/read.js';
import { registerLoadCommand } from './load.js';
import { runCommand } from './run.js';
import { schemaCommand } from './schema.js';
import { alertTestCommand } from './alert-test.js';
import { serveCommand } from './serve.js';
import { validateCommand } from './validate.js';

const program = new Command()
  .name('halftime')
  .description('Self-hosted synthetic monitor: scheduled journeys, latency percentiles, a public status page and alerts.')
  .version('0.1.0')
  .showHelpAfterError('(run halftime --help for usage)');

const configOption = () =>
  new Option('-c, --config <file>', 'config file (YAML)').env('HALFTIME_CONFIG');

program
  .command('serve')
  .description('run the scheduler, store results and serve the status page')
  .addOption(configOption())
  .addOption(new Option('--db <file>', 'SQLite database file (default: storage.path in the config, ./data/halftime.db)').env('HALFTIME_DB'))
  .addOption(new Option('-p, --port <port>', 'HTTP port (default: server.port, 3000)').env('HALFTIME_PORT').argParser(parsePort))
  .addOption(new Option('--host <address>', 'address to listen on (default: server.host, 127.0.0.1)').env('HALFTIME_HOST'))
  .option('--demo', 'also start the demo shop on 127.0.0.1:3100 (on by default when no config is given)')
  .addHelpText(
    'after',
    `\nWith no --config and no HALFTIME_CONFIG, halftime loads its embedded example\n(${EXAMPLE_CONFIG_PATH})\nand starts the demo shop it monitors, so the status page fills with real data within a minute.`,
  )
  .action(serveCommand);

program
  .command('validate')
  .description('check a config file; prints every problem with its path, exit code 1 if any')
  .addOption(configOption())
  .action(validateCommand);

registerLoadCommand(program, configOption);
program
  .command('run')
  .description('run one monitor\'s journey once and print a step table; exit code 0 if it passed, 1 if not')
  .argument('<monitor>', 'monitor id or name')
  .addOption(configOption())
  .option('--no-think', 'skip think time between steps')
  .addOption(new Option('--seed <n>', 'make random choices repeatable').argParser(parseSeed))
  .option('--demo', 'also start the demo shop on 127.0.0.1:3100 (on by default when no config is given)')
  .action(runCommand);

program
  .command('schema')
  .description('print the JSON Schema of the config file (for editor completion)')
  .action(schemaCommand);

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) throw new InvalidArgumentError(`not a whole number from 0 to 2147483647: ${v}`);
  return n;
}

program
  .command('alert-test')
  .description('send a test message through one alert channel (checks its address and credentials)')
  .argument('<channel>', 'a channel name under alerts.channels')
  .addOption(configOption())
  .action(alertTestCommand);

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port: not a port number: ${v}`);
  return n;
}

await program.parseAsync(process.argv);
