import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/read.js';
import { startDemoApp, type DemoApp } from '../../examples/demo-app.js';
import { tempDir } from '../helpers.js';
import { halftime as run } from './cli-helpers.js';

const halftime = (args: string[], env: NodeJS.ProcessEnv = {}) => run(args, { env });

let demo: DemoApp;
let tmp: ReturnType<typeof tempDir>;
let config: string;
beforeAll(async () => {
  demo = await startDemoApp({ port: 0, delays: false });
  tmp = tempDir();
  config = join(tmp.dir, 'halftime.yaml');
  // The embedded example, pointed at this demo, with the password as a secret from the environment.
  writeFileSync(config, readFileSync(EXAMPLE_CONFIG_PATH, 'utf8').replaceAll('http://127.0.0.1:3100', demo.url).replace('password: kickoff', 'password: ${env:SHOP_PASSWORD}'));
});
afterAll(async () => {
  await demo.close();
  tmp.cleanup();
});

describe('halftime run', async () => {
  it('runs the example journey once, prints the step table and exits 0; the same seed picks the same persona', async () => {
    // Seed 6 plays the buyer persona (log in, search, product, cart, account, log out).
    const r = await halftime(['run', 'shopper', '--config', config, '--no-think', '--seed', '6'], { SHOP_PASSWORD: 'kickoff' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Shopper journey — persona buyer — seed 6');
    expect(r.stdout).toMatch(/✓\s+3\s+log in\s+200 ↪1/);
    expect(r.stdout).toContain('csrf: from meta csrf-token, sent as header x-csrf-token');
    expect(r.stdout).toMatch(/extracted: productId=\d, productName=/);
    expect(r.stdout).toMatch(/assets: 6 \(18\.\d kB\)/);
    expect(r.stdout).toMatch(/PASSED: 8 steps in/);
    expect(r.stdout).not.toContain('kickoff');
  });

  it('exits 1 with the failing step and its reason, and still runs alwaysRun clean-up', async () => {
    const r = await halftime(['run', 'shopper', '--config', config, '--no-think', '--seed', '6'], { SHOP_PASSWORD: 'wrong-password' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('✗ body contains: expected "Signed in as", got not found');
    expect(r.stdout).toMatch(/✓\s+8\s+log out \(alwaysRun\)/);
    expect(r.stdout).toContain('FAILED at step 3: body contains: expected "Signed in as", got not found (assertion)');
    expect(r.stdout).not.toContain('wrong-password');
  });

  it('names the monitors when the one asked for is unknown, with the usage exit code 2', async () => {
    const r = await halftime(['run', 'nope', '--config', config], { SHOP_PASSWORD: 'kickoff' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no monitor "nope"');
    expect(r.stderr).toContain('shopper');
  });
});

describe('halftime schema', async () => {
  it('prints a JSON Schema that describes journeys', async () => {
    const r = await halftime(['schema']);
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const text = JSON.stringify(schema);
    for (const key of ['personas', 'alwaysRun', 'extract', 'csrf', 'assets', 'think', 'bodyMatches', 'baseUrl']) expect(text).toContain(`"${key}"`);
    expect(schema.properties.monitors).toBeDefined();
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('a reader that stops early', () => {
  it('`halftime schema | head` ends quietly with 0, without a stack trace', async () => {
    const { execFile } = await import('node:child_process');
    const { BIN, REPO } = await import('./cli-helpers.js');
    // A shell pipe into head, as users write it; bash reports halftime's own exit status.
    const out = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile('bash', ['-c', `"${process.execPath}" "${BIN}" schema | head -c 10 >/dev/null; echo "halftime exited \${PIPESTATUS[0]}"`], { cwd: REPO }, (err, stdout, stderr) =>
        err ? reject(err) : resolve({ stdout, stderr }),
      ),
    );
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('halftime exited 0');
  });
});
