import { sendTestMessage } from '../alerting/alert-test.js';
import { EXAMPLE_CONFIG_PATH } from '../config/read.js';
import { loadConfigFile } from '../configure.js';
import { EXIT, exitUsage, orConfigExit } from './exit-codes.js';

/** `halftime alert-test <channel>`: exit 0 when the message went out, 1 when sending failed, 2 for a bad config or an unknown channel. */
export async function alertTestCommand(channel: string, opts: { config?: string }) {
  const loaded = orConfigExit(() => loadConfigFile(opts.config ?? EXAMPLE_CONFIG_PATH), 'halftime: invalid config.\n');
  const channels = loaded.config.alerts?.channels ?? {};
  if (!channels[channel]) {
    const known = Object.keys(channels);
    exitUsage(`halftime: no channel "${channel}" under alerts.channels in ${loaded.source} (${known.length ? `known: ${known.join(', ')}` : 'none defined'})`);
  }
  const r = await sendTestMessage(loaded, channel);
  if (r.ok) {
    process.stdout.write(`halftime: test message sent through "${channel}" (${r.type})\n`);
    process.exit(EXIT.ok);
  }
  process.stderr.write(`halftime: sending through "${channel}" failed: ${r.error}\n`);
  process.exit(EXIT.failed);
}
