/**
 * A target server in a process of its own, so that a test can stall halftime's main thread without
 * stalling the target: it answers every request after `delayMs` and prints its URL once listening.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const SCRIPT = `
const http = require('node:http');
const delay = Number(process.argv[1]);
const server = http.createServer((req, res) => setTimeout(() => res.end('ok'), delay));
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + server.address().port + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

export type TargetProcess = { url: string; close(): Promise<void> };

export async function startTargetProcess(opts: { delayMs: number }): Promise<TargetProcess> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SCRIPT, String(opts.delayMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`target process exited (${code}) before listening`)));
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
