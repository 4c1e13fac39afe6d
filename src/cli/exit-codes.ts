import { ConfigError } from '../config/read.js';

/**
 * One exit-code scheme for every command: 0 ok; 1 a check, threshold or the work itself failed (a
 * journey failed, a burst aborted, a message was not delivered, the server could not start); 2 the
 * command line or the config is wrong (unknown option or monitor, an invalid config) — fix the input.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Ends the process with the usage/config code after printing the message. */
export function exitUsage(message: string): never {
  process.stderr.write(message.endsWith('\n') ? message : message + '\n');
  process.exit(EXIT.usage);
}

/** Runs `load`; a ConfigError (unreadable or invalid config) prints its problems and exits 2. */
export function orConfigExit<T>(load: () => T, prefix = ''): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) exitUsage(prefix + err.message);
    throw err;
  }
}
