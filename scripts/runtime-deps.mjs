// The production node_modules the Docker image ships, built in <dir> (the image's `deps` stage runs
// this; so does test/docker/runtime-layout.test.ts, to exercise the same layout without Docker):
//   1. `npm ci --omit=dev --ignore-scripts`: runtime dependencies only, no TypeScript/tsx/esbuild, and
//      no `prepare` (dist/ comes compiled from the build stage);
//   2. better-sqlite3's native binary: `npm rebuild better-sqlite3` (its prebuilt binary for this Node
//      ABI and platform, compiled only when none fits) — or, with --native-from DIR, copied from an
//      installed better-sqlite3 built for this same Node (the test: no download needed);
//   3. nothing of the build kept: better-sqlite3's SQLite sources (deps/), C++ sources and build tree
//      go, only build/Release/better_sqlite3.node stays; then it opens a database to prove the binary loads.
// Usage: node scripts/runtime-deps.mjs <dir> [--native-from <path to node_modules/better-sqlite3>]
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const dir = args[0] && !args[0].startsWith('--') ? resolve(args[0]) : undefined;
if (!dir) {
  console.error('usage: node scripts/runtime-deps.mjs <dir> [--native-from <node_modules/better-sqlite3>]');
  process.exit(2);
}
const nativeAt = args.indexOf('--native-from');
const nativeFrom = nativeAt >= 0 ? resolve(args[nativeAt + 1] ?? '') : undefined;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, argv) => execFileSync(cmd, argv, { cwd: dir, stdio: 'inherit' });

mkdirSync(dir, { recursive: true });
for (const f of ['package.json', 'package-lock.json']) if (!existsSync(join(dir, f))) cpSync(join(root, f), join(dir, f));

run(npm, ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund']);

const sqlite = join(dir, 'node_modules/better-sqlite3');
const binary = 'build/Release/better_sqlite3.node';
if (nativeFrom) {
  mkdirSync(join(sqlite, 'build/Release'), { recursive: true });
  copyFileSync(join(nativeFrom, binary), join(sqlite, binary));
} else {
  run(npm, ['rebuild', 'better-sqlite3']);
}

// Keep the binary, drop every build leftover: the SQLite amalgamation, C++ sources, object files, makefiles.
for (const entry of ['deps', 'src', 'binding.gyp']) rmSync(join(sqlite, entry), { recursive: true, force: true });
for (const entry of readdirSync(join(sqlite, 'build'))) if (entry !== 'Release') rmSync(join(sqlite, 'build', entry), { recursive: true, force: true });
for (const entry of readdirSync(join(sqlite, 'build/Release'))) if (entry !== 'better_sqlite3.node') rmSync(join(sqlite, 'build/Release', entry), { recursive: true, force: true });

const version = execFileSync(process.execPath, ['-e', "const D = require('better-sqlite3'); const db = new D(':memory:'); console.log(db.prepare('select sqlite_version()').pluck().get()); db.close()"], { cwd: dir, encoding: 'utf8' }).trim();
const devOnly = ['typescript', 'tsx', 'esbuild', 'vitest', '@esbuild'].filter((p) => existsSync(join(dir, 'node_modules', p)));
if (devOnly.length) {
  console.error(`runtime-deps: development packages in the production install: ${devOnly.join(', ')}`);
  process.exit(1);
}
console.log(`runtime-deps: production dependencies in ${join(dir, 'node_modules')}; better-sqlite3 loads (SQLite ${version})`);
