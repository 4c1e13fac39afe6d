/**
 * bin/halftime.js never runs a stale build: in a checkout it runs dist/ only when dist/ was built from
 * the sources as they are now, else the sources through tsx; an installed layout (no src/) runs dist/.
 * Exercised on a small stand-in checkout, so the real dist/ is left alone.
 */
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { buildState, inputsHash } from '../../scripts/build-state.mjs';
import { tempDir } from '../helpers.js';
import { halftime, REPO } from './cli-helpers.js';

let tmp: ReturnType<typeof tempDir>;
let root: string;
const put = (rel: string, text: string) => {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), text);
};
const markBuilt = () => put('dist/build-info.json', JSON.stringify({ inputs: inputsHash(root) }));
const run = () => halftime(['hello'], { bin: join(root, 'bin/halftime.js'), cwd: tmp.dir, timeoutMs: 20_000 });

beforeAll(() => {
  tmp = tempDir();
  root = join(tmp.dir, 'checkout');
  cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  cpSync(join(REPO, 'scripts/build-state.mjs'), join(root, 'scripts/build-state.mjs'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  put('package.json', '{ "type": "module" }');
  put('tsconfig.json', '{ "compilerOptions": { "module": "NodeNext", "target": "ES2022" } }');
  put('src/cli/index.ts', "const from: string = 'sources';\nconsole.log(`${from} ${process.argv.slice(2).join(' ')}`);\n");
  put('dist/src/cli/index.js', "console.log(`compiled ${process.argv.slice(2).join(' ')}`);\n");
});
afterAll(() => tmp.cleanup());

describe('bin/halftime.js', () => {
  it('runs the sources while dist/ has no build record, the compiled build once it matches, the sources again after an edit', async () => {
    expect(buildState(root)).toEqual({ fresh: false, reason: 'dist/ has not been built' });
    expect((await run()).stdout).toBe('sources hello\n');

    markBuilt();
    expect(buildState(root)).toEqual({ fresh: true });
    expect((await run()).stdout).toBe('compiled hello\n');

    put('src/cli/index.ts', "const from: string = 'edited sources';\nconsole.log(`${from} ${process.argv.slice(2).join(' ')}`);\n");
    expect(buildState(root)).toEqual({ fresh: false, reason: 'the sources changed since dist/ was built' });
    const r = await run();
    expect(r.stdout).toBe('edited sources hello\n');
    expect(r.stderr).toBe(''); // the slower-start note goes to terminals only

    markBuilt();
    put('src/cli/extra.ts', 'export {};\n'); // a new file counts too
    expect(buildState(root).fresh).toBe(false);
    rmSync(join(root, 'src/cli/extra.ts'));
    expect(buildState(root).fresh).toBe(true);
  });

  it('an installed layout (dist/ without src/) runs dist/, and says so when dist/ is missing', async () => {
    rmSync(join(root, 'src'), { recursive: true });
    expect((await run()).stdout).toBe('compiled hello\n');
    rmSync(join(root, 'dist'), { recursive: true });
    const r = await run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dist/src/cli/index.js is missing: this installation has no compiled build');
  });
});
