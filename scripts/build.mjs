// `npm run build`: compiles src/ and examples/ to dist/ (what `halftime` runs) and copies the files the
// compiled build reads next to it (our CSS/JS, the example configs).
//   --out DIR   build somewhere else (the runtime-layout test builds into a temp folder)
//   --if-stale  do nothing when dist/ is already built from the current sources
//   --prepare   npm's `prepare` hook (runs at `npm ci`): as --if-stale, and when TypeScript is not
//               installed (`npm ci --omit=dev`), keep an existing dist/ instead of failing
// The new build is written beside the old one and swapped in whole, so a halftime started meanwhile
// sees either build, never half of one.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildState, inputsHash } from './build-state.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? resolve(args[outIndex + 1] ?? '') : join(root, 'dist');
const prepare = flag('--prepare');

if ((prepare || flag('--if-stale')) && buildState(root, out).fresh) {
  console.log(`halftime: ${out} is up to date`);
  process.exit(0);
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (prepare && existsSync(join(out, 'src/cli/index.js'))) {
    console.warn(`halftime: TypeScript is not installed (a production install?): keeping the existing ${out}`);
    process.exit(0);
  }
  console.error('halftime: cannot build dist/: TypeScript is not installed (run `npm ci` with dev dependencies)');
  process.exit(1);
}

// Hashed before compiling: a source saved during the build leaves dist/ marked stale.
const inputs = inputsHash(root);
const started = Date.now();
const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(dirname(tmp), { recursive: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', tmp], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(tmp, { recursive: true, force: true });
  console.error(`halftime: the TypeScript build failed (tsc exit ${r.status ?? r.signal})`);
  process.exit(1);
}
cpSync(join(root, 'src/web/static'), join(tmp, 'src/web/static'), { recursive: true });
cpSync(join(root, 'examples'), join(tmp, 'examples'), { recursive: true, filter: (src) => !/\.tsx?$/.test(src) });
if (!existsSync(join(tmp, 'src/cli/index.js'))) throw new Error(`build output missing: ${join(tmp, 'src/cli/index.js')}`);
writeFileSync(join(tmp, 'build-info.json'), JSON.stringify({ inputs, builtAt: new Date(started).toISOString(), node: process.version }, null, 2) + '\n');

const old = `${out}.old-${process.pid}`;
if (existsSync(out)) renameSync(out, old);
renameSync(tmp, out);
rmSync(old, { recursive: true, force: true });
console.log(`halftime: built ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
