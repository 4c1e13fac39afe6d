/**
 * The Docker image's contents, exercised without Docker (no engine runs here): the compiled build
 * (as the `build` stage makes it), the production dependencies (scripts/runtime-deps.mjs, as the
 * `deps` stage runs it), and the files the final stage copies, read from the Dockerfile itself — then
 * started the way the image starts it, as `node bin/halftime.js <command>` with the image's ENV.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type TestServer } from '../helpers.js';
import { halftime, REPO, startServe } from '../cli/cli-helpers.js';
import { readDockerfile, type Stage } from './dockerfile.js';
// @ts-expect-error plain JavaScript module without types
import { buildState } from '../../scripts/build-state.mjs';

const dockerfile = readDockerfile(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
const stage = (name: string) => dockerfile.find((s) => s.name === name)!;
const final = dockerfile.at(-1)!;

let tmp: ReturnType<typeof tempDir>;
let app: string;
let target: TestServer;
let config: string;
/** The image's environment, with the address, port and database moved to this test's. */
let env: NodeJS.ProcessEnv;
let command: string[];

/** Copies what the final stage COPYs: from another stage's local stand-in, or from the repository. */
function copyLikeDockerfile(into: string, stageRoots: Record<string, { stage: Stage; dir: string }>) {
  for (const c of final.copies) {
    for (const src of c.sources) {
      let from: string;
      if (c.from) {
        const s = stageRoots[c.from];
        if (!s) throw new Error(`the Dockerfile copies from stage "${c.from}", which this test does not build`);
        from = join(s.dir, relative(s.stage.workdir, src));
      } else from = join(REPO, src);
      if (!existsSync(from)) throw new Error(`COPY ${src}: ${from} does not exist`);
      const dest = join(into, relative(final.workdir, join(final.workdir, c.dest)));
      const isDir = statSync(from).isDirectory();
      cpSync(from, isDir || !c.dest.endsWith('/') ? dest : join(dest, basename(from)), { recursive: true });
    }
  }
}

const du = (dir: string) => Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);

beforeAll(async () => {
  tmp = tempDir('halftime-image-');
  // Stage "build": `npm run build` in its WORKDIR, to dist/.
  expect(stage('build').runs).toContain('npm run build');
  expect(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts.build).toBe('node scripts/build.mjs');
  const buildDir = join(tmp.dir, 'build');
  if (buildState(REPO).fresh) {
    // The checkout's dist/ was built from these very sources (its build record says so: CI's `npm ci`
    // has just built it): the same files a build would make, without a second compile.
    cpSync(join(REPO, 'dist'), join(buildDir, 'dist'), { recursive: true });
  } else execFileSync(process.execPath, [join(REPO, 'scripts/build.mjs'), '--out', join(buildDir, 'dist')], { cwd: REPO, stdio: 'pipe' });
  expect(buildState(REPO, join(buildDir, 'dist')).fresh).toBe(true);
  // Stage "deps": scripts/runtime-deps.mjs into its WORKDIR. Here the better-sqlite3 binary comes from
  // this checkout's install (same Node, same platform) instead of a download.
  expect(stage('deps').runs.some((r) => r.startsWith(`node scripts/runtime-deps.mjs ${stage('deps').workdir}`))).toBe(true);
  const depsDir = join(tmp.dir, 'deps');
  execFileSync(process.execPath, [join(REPO, 'scripts/runtime-deps.mjs'), depsDir, '--native-from', join(REPO, 'node_modules/better-sqlite3')], { cwd: REPO, stdio: 'pipe' });
  // The final stage.
  app = join(tmp.dir, 'app');
  copyLikeDockerfile(app, { build: { stage: stage('build'), dir: buildDir }, deps: { stage: stage('deps'), dir: depsDir } });

  target = await startServer((req, res) => {
    res.writeHead(req.url === '/down' ? 500 : 200, { 'content-type': 'text/html' });
    res.end('<h1>Hello from the target</h1>');
  });
  config = join(tmp.dir, 'halftime.yaml');
  writeFileSync(
    config,
    `server: { title: Image status }
load: { allowHosts: [127.0.0.1] }
monitors:
  - { name: Target up, public: true, every: 1s, steps: [{ name: home, url: "${target.url}/", expect: { bodyContains: Hello } }] }
  - { name: Target down, public: true, every: 1s, steps: [{ url: "${target.url}/down" }] }
`,
  );
  env = { ...final.env, HALFTIME_HOST: '127.0.0.1', HALFTIME_PORT: '0', HALFTIME_DB: join(tmp.dir, 'data/halftime.db'), HALFTIME_CONFIG: undefined };
  const entry = final.entrypoint!;
  command = entry.slice(entry.indexOf('--') + 1);
}, 300_000);

// Removing the image layout (thousands of files under node_modules) can take half a minute on a busy disk.
afterAll(async () => {
  await target?.close();
  tmp?.cleanup();
}, 120_000);

/** `node bin/halftime.js …` in the layout, as the image's ENTRYPOINT runs it. */
const inImage = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
  expect(command.slice(0, 2)).toEqual(['node', 'bin/halftime.js']);
  return halftime(args, { bin: join(app, command[1]), cwd: app, env: { ...env, ...extra } });
};

describe('the Docker image layout', () => {
  it('runs Node 20 under tini as the user node, and ships the compiled build with production dependencies only', () => {
    expect(final.image).toMatch(/^node:20[-.]/);
    expect(dockerfile.every((s) => s.image === final.image)).toBe(true);
    expect(final.entrypoint?.slice(0, 2)).toEqual(['tini', '--']);
    expect(final.runs.join(' ')).toContain('apt-get install -y --no-install-recommends tini');
    expect(final.user).toBe('node');
    expect(final.cmd).toEqual(['serve']);
    expect(readdirSync(app).sort()).toEqual(['bin', 'dist', 'node_modules', 'package.json']);
    expect(existsSync(join(app, 'dist/src/cli/index.js'))).toBe(true);
    expect(existsSync(join(app, 'dist/src/load/worker.js'))).toBe(true);
    expect(existsSync(join(app, 'dist/examples/halftime.yaml'))).toBe(true);
    for (const dev of ['typescript', 'tsx', 'esbuild', '@esbuild', 'vitest', 'node-gyp']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    // Browser monitors drive Chromium through playwright-core at run time (Chromium itself only with BROWSER=1).
    expect(existsSync(join(app, 'node_modules/playwright-core/package.json'))).toBe(true);
    const sqlite = join(app, 'node_modules/better-sqlite3');
    expect(existsSync(join(sqlite, 'build/Release/better_sqlite3.node'))).toBe(true);
    expect(readdirSync(join(sqlite, 'build'))).toEqual(['Release']);
    expect(readdirSync(join(sqlite, 'build/Release'))).toEqual(['better_sqlite3.node']);
    for (const leftover of ['deps', 'src', 'binding.gyp']) expect(existsSync(join(sqlite, leftover)), leftover).toBe(false);
    const kb = { app: du(app), nodeModules: du(join(app, 'node_modules')), dist: du(join(app, 'dist')) };
    console.log(`runtime layout: ${(kb.app / 1024).toFixed(1)} MB (node_modules ${(kb.nodeModules / 1024).toFixed(1)} MB, dist ${(kb.dist / 1024).toFixed(1)} MB)`);
    // A bound that catches dev tools or build trees creeping back in (today ~90 MB, 14 MB of it
    // playwright-core for browser monitors).
    expect(kb.app).toBeLessThan(100 * 1024);
  });

  it('validates its embedded example and runs a journey and a burst (worker thread) from dist/', async () => {
    const v = await inImage(['validate']);
    expect(v.stderr).toBe('');
    expect(v.status).toBe(0);
    expect(v.stdout).toContain(join(app, 'dist/examples/halftime.yaml'));
    const r = await inImage(['run', 'target-up', '--config', config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('PASSED: 1 step in');
    const l = await inImage(['load', 'target-up', '--config', config, '--no-store', '--users', '2', '--duration', '1s', '-t', 'errors<50%']);
    expect(l.status, l.stderr).toBe(0);
    expect(l.stdout).toMatch(/\d+ requests/);
  });

  it('starts the demo shop it ships and passes the example journey against it', async () => {
    // What `docker run halftime` does with no config: the embedded example and its demo shop (here on a free port).
    const demo = spawn(process.execPath, ['--input-type=module', '-e', "const { startDemoApp } = await import('./dist/examples/demo-app.js'); const d = await startDemoApp({ port: 0, delays: false }); console.log(d.url);"], { cwd: app });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('the demo shop did not start')), 15_000);
        demo.stdout.on('data', (d) => (clearTimeout(t), resolve(String(d).trim())));
      });
      const example = join(tmp.dir, 'example.yaml');
      writeFileSync(example, readFileSync(join(app, 'dist/examples/halftime.yaml'), 'utf8').replaceAll('http://127.0.0.1:3100', url));
      const r = await inImage(['run', 'shopper', '--config', example, '--no-think', '--seed', '6']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('PASSED: 8 steps in');
    } finally {
      demo.kill();
    }
  });

  it('serves the status page, its static files and /healthz, and stops cleanly on SIGTERM', async () => {
    const serve = await startServe([], { bin: join(app, command[1]), cwd: app, env: { ...env, HALFTIME_CONFIG: config, HALFTIME_ADMIN_PASSWORD: 'a long enough password' } });
    let stopped: { code: number | null; stderr: string } | undefined;
    try {
      const health = await fetch(`${serve.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });
      let html = '';
      for (let i = 0; i < 40 && !(html.includes('badge-up') && html.includes('badge-down')); i++) {
        await new Promise((r) => setTimeout(r, 250));
        html = await (await fetch(`${serve.url}/`)).text();
      }
      expect(html).toContain('Image status');
      expect(html).toContain('badge-up');
      expect(html).toContain('badge-down');
      for (const file of ['style.css', 'htmx.min.js', 'uPlot.iife.min.js', 'monitor-chart.js']) expect((await fetch(`${serve.url}/static/${file}`)).status, file).toBe(200);
      const login = await fetch(`${serve.url}/login`);
      expect(login.status).toBe(200);
      expect(await login.text()).toContain('name="_csrf"');
    } finally {
      stopped = await serve.stop();
    }
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain('stopped cleanly');
  });
});
