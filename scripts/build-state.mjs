// Whether dist/ was built from the sources as they are now: the build records a hash of its inputs
// (dist/build-info.json) and bin/halftime.js compares it at every start of a checkout (~10 ms), so a
// stale dist/ never runs. Plain JavaScript: it runs before anything is compiled.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the build reads: a change to any of these makes dist/ stale. */
export const BUILD_INPUTS = ['src', 'examples', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs', 'scripts/build-state.mjs'];

/** A hash of every build input's path and content, in a stable order. */
export function inputsHash(root) {
  const hash = createHash('sha256');
  const add = (rel) => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    const entries = readdirSync(abs, { withFileTypes: true, recursive: false });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) add(child);
      else if (e.isFile()) hash.update(`${child}\0`).update(readFileSync(join(root, child))).update('\0');
    }
  };
  for (const input of BUILD_INPUTS) {
    const abs = join(root, input);
    if (!existsSync(abs)) continue;
    if (input.includes('.')) hash.update(`${input}\0`).update(readFileSync(abs)).update('\0');
    else add(input);
  }
  return hash.digest('hex');
}

/** `{ fresh: true }`, or `{ fresh: false, reason }` saying why dist/ cannot be trusted. */
export function buildState(root, outDir = join(root, 'dist')) {
  const infoFile = join(outDir, 'build-info.json');
  if (!existsSync(infoFile)) return { fresh: false, reason: 'dist/ has not been built' };
  let info;
  try {
    info = JSON.parse(readFileSync(infoFile, 'utf8'));
  } catch {
    return { fresh: false, reason: 'dist/build-info.json is unreadable' };
  }
  if (info.inputs !== inputsHash(root)) return { fresh: false, reason: 'the sources changed since dist/ was built' };
  return { fresh: true };
}
