#!/usr/bin/env node
// Runs the compiled build when there is one (Docker image), else the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/src/cli/index.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  // Our tsconfig (JSX for hono), wherever halftime is started from: tsx would look in the working directory.
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  await import(new URL('../src/cli/index.ts', import.meta.url).href);
}
