/** The options of `halftime load`; the command itself (src/cli/load.ts) is loaded only when it runs. */
import { Command, Option } from 'commander';
import type { LoadCliOptions } from './load.js';

export function registerLoadCommand(program: Command, configOption: () => Option) {
  program
    .command('load <monitor>')
    .description('run a burst load check with a monitor\'s steps; exit code 1 when a threshold fails')
    .addOption(configOption())
    .addOption(new Option('--db <file>', 'SQLite database file for the results (default: storage.path)').env('HALFTIME_DB'))
    .option('--demo', 'also start the demo shop on 127.0.0.1:3100 (on by default when no config is given)')
    .option('--no-store', 'do not store the run')
    .option('--json', 'print the summary as JSON')
    .addOption(new Option('--model <model>', 'closed (users) or open (arrival rate)').choices(['closed', 'open']))
    .option('-u, --users <n>', 'simulated users at full load (closed model)')
    .option('-r, --spawn-rate <n>', 'new users per second while ramping')
    .option('-d, --duration <duration>', 'how long, e.g. 60s')
    .addOption(new Option('--shape <shape>', 'ramp, step or spike').choices(['ramp', 'step', 'spike']))
    .option('--step-users <n>', 'shape step: users added each step')
    .option('--step-every <duration>', 'shape step: time between steps')
    .option('--spike-users <n>', 'shape spike: users during the spike')
    .option('--spike-at <duration>', 'shape spike: when it starts')
    .option('--spike-for <duration>', 'shape spike: how long it lasts')
    .option('--arrival-rate <n>', 'open model: iterations started per second')
    .option('--ramp-to <n>', 'open model: rate at the end')
    .option('--max-users <n>', 'open model: most iterations in flight')
    .option('--think <duration>', 'think time between iterations: 2s, or a range 1s-5s')
    .option('--poll-url <url>', 'background request each user sends, like an open tab')
    .option('--poll-every <duration>', 'how often each user polls (default 5s)')
    .option('-t, --threshold <expr>', "pass/fail rule, repeatable: 'p95<500ms', 'p99<1s', 'errors<1%', 'rps>100', 'step:p95<800ms'", (v: string, acc: string[] = []) => [...acc, v])
    .option('--abort-on-errors <ratio>', 'abort when this share of requests fails, e.g. 20%')
    .addHelpText(
      'after',
      `\nOnly hosts listed in load.allowHosts of the config are ever sent a burst.\nExit codes: 0 passed, 1 a threshold failed or the burst aborted on errors, 2 refused or invalid (config, flags, caps, another burst running).`,
    )
    .action(async (monitor: string, opts: LoadCliOptions) => (await import('./load.js')).loadCommand(monitor, opts));
}
