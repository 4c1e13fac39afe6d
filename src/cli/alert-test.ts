import { sendTestMessage } from '../alerting/alert-test.js';
import { ConfigError, EXAMPLE_CONFIG_PATH } from '../config/read.js';
import { loadConfigFile } from '../configure.js';

export async function alertTestCommand(channel: string, opts: { config?: string }) {
  let loaded;
  try {
    loaded = loadConfigFile(opts.config ?? EXAMPLE_CONFIG_PATH);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`halftime: invalid config.\n${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const r = await sendTestMessage(loaded, channel);
  if (r.ok) {
    process.stdout.write(`halftime: test message sent through "${channel}" (${r.type})\n`);
    process.exit(0);
  }
  process.stderr.write(`halftime: sending through "${channel}" failed: ${r.error}\n`);
  process.exit(1);
}
