/**
 * Runs halftime the way users do: `node bin/halftime.js …` (what `npx halftime` and `npm start` run),
 * which takes the compiled build when it matches the sources and the sources through tsx otherwise.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/halftime.js', import.meta.url));

export type CliResult = { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Runs one command to its end without blocking this process (test servers live here); killed after `timeoutMs`. */
export function halftime(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; bin?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [opts.bin ?? BIN, ...args], { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

export type ServeChild = {
  url: string;
  /** SIGTERM, then the exit code and everything written to stderr. */
  stop(): Promise<{ code: number | null; stderr: string }>;
};

/** Starts `serve` as a child process; resolves with its status page URL once it prints its start line. */
export async function startServe(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; bin?: string; timeoutMs?: number } = {}): Promise<ServeChild> {
  const child = spawn(process.execPath, [opts.bin ?? BIN, 'serve', ...args], { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no start line within ${opts.timeoutMs ?? 20_000} ms; stderr: ${stderr}`)), opts.timeoutMs ?? 20_000);
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`serve exited (${code}) before it started; stderr: ${stderr}`));
    });
    child.stdout.on('data', () => {
      const m = /status page at (http:\/\/\S+?)\/\n/.exec(stdout);
      if (m) clearTimeout(t), resolve(m[1]);
    });
  }).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return { code, stderr };
    },
  };
}
