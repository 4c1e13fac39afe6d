#!/usr/bin/env node
// Runs the compiled JavaScript in dist/. In a checkout (src/ is there), only when dist/ was built from
// the sources as they are now (`npm ci` builds it; so does `npm run build`): otherwise it runs the
// TypeScript sources through tsx, slower to start but never stale. An installed image has dist/ only.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/src/cli/index.js', root);

if (!existsSync(new URL('src/cli/index.ts', root))) {
  if (!existsSync(compiled)) {
    process.stderr.write(`halftime: ${fileURLToPath(compiled)} is missing: this installation has no compiled build\n`);
    process.exit(1);
  }
  await import(compiled.href);
} else {
  const { buildState } = await import(new URL('scripts/build-state.mjs', root).href);
  const state = buildState(fileURLToPath(root));
  if (state.fresh) {
    await import(compiled.href);
  } else {
    let register;
    try {
      ({ register } = await import('tsx/esm/api'));
    } catch {
      process.stderr.write(`halftime: ${state.reason}, and tsx (a development dependency) is not installed to run the sources: run \`npm run build\`\n`);
      process.exit(1);
    }
    if (process.stderr.isTTY) process.stderr.write(`halftime: ${state.reason}: running the TypeScript sources (slower start; \`npm run build\` makes it fast)\n`);
    // Our tsconfig (JSX for hono), wherever halftime is started from: tsx would look in the working directory.
    register({ tsconfig: fileURLToPath(new URL('tsconfig.json', root)) });
    await import(new URL('src/cli/index.ts', root).href);
  }
}
