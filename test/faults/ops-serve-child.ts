/** `halftime serve` as a real child process, for the operational fault tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';

export const BIN = new URL('../../bin/halftime.js', import.meta.url).pathname;

export type ServeChild = {
  child: ChildProcess;
  pid: number;
  /** Status page URL, once the start line was printed (undefined when it exited first). */
  url: string | undefined;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (kill -9); resolves once the process is gone. */
  kill9(): Promise<void>;
};

/** Starts `halftime serve` with `args`; resolves once it prints its start line or exits (bounded by `timeoutMs`). */
export async function startServeChild(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ServeChild> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  // 'close': the process has exited and its output has been read to the end. Killed by a signal: 128 + its number.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : null))));
  const url = await new Promise<string | undefined>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve printed no start line within ${opts.timeoutMs ?? 30_000} ms; stderr: ${err}`));
    }, opts.timeoutMs ?? 30_000);
    const look = () => {
      const m = /status page at (http:\/\/\S+?)\/\n/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', look);
    void exited.then(() => {
      clearTimeout(t);
      resolve(undefined);
    });
  });
  return {
    child,
    pid: child.pid!,
    url,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
