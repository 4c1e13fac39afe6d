/**
 * Starts a worker thread on one of our modules, from the compiled build (plain .js) or from the
 * TypeScript sources (a small bootstrap registers tsx in the new thread, then imports the module:
 * an `--import` flag in execArgv is not applied to a worker's entry module on Node 20).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The ESM entry of `tsx/esm/api`, from tsx's own export map (createRequire would give the CommonJS one). */
function tsxEsmApi(from: string): string {
  const pkgPath = createRequire(from).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> };
  const rel = pkg.exports['./esm/api']?.import?.default;
  if (!rel) throw new Error('cannot find the ESM entry of tsx/esm/api to start a worker from sources');
  return pathToFileURL(join(dirname(pkgPath), rel)).href;
}

/** `entry` is the module's URL as `new URL('./worker.js', import.meta.url)` gives it (.js or .ts). */
export function startWorkerThread(entry: URL, opts: WorkerOptions = {}): Worker {
  const href = entry.href;
  if (!import.meta.url.endsWith('.ts')) return new Worker(entry, opts);
  const source = href.replace(/\.js$/, '.ts');
  // The project's tsconfig, wherever the process was started from (tsx looks in the working directory).
  const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
  const bootstrap = `import(${JSON.stringify(tsxEsmApi(import.meta.url))}).then((m) => { m.register({ tsconfig: ${JSON.stringify(tsconfig)} }); return import(${JSON.stringify(source)}); })`;
  return new Worker(bootstrap, { ...opts, eval: true });
}
