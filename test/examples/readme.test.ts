/**
 * The README's examples cannot drift: its configs parse, its sample output is what the command prints
 * (timings normalised), its commands use commands, flags and monitors that exist, and its curl example
 * answers. `UPDATE_README=1 npx vitest run test/examples/readme.test.ts` rewrites the sample output.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH, monitorId } from '../../src/config/read.js';
import { loadConfigFile, parseConfigText } from '../../src/configure.js';
import { startDemoApp, type DemoApp } from '../../examples/demo-app.js';
import { halftime, REPO, startServe } from '../cli/cli-helpers.js';
import { tempDir } from '../helpers.js';

const README = join(REPO, 'README.md');
const readme = readFileSync(README, 'utf8');

/** One README section (from its `## heading` to the next). */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 5);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The fenced code blocks of a text, with their language ('' for none) and where the body starts. */
function blocks(text: string): { lang: string; body: string; index: number }[] {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2], index: m.index! + m[0].indexOf('\n') + 1 }));
}

const yamlBlocks = (heading: string) => blocks(section(heading)).filter((b) => b.lang === 'yaml').map((b) => b.body);

/** Shell command lines of every `sh` block: continuations joined, comments dropped. */
function shellCommands(): string[] {
  return blocks(readme)
    .filter((b) => b.lang === 'sh')
    .flatMap((b) => b.body.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
    .filter(Boolean);
}

/** Words of a shell line, honouring single and double quotes (enough for the README). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** `[VAR=x ...] [npx] halftime <cmd> args…` → [cmd, ...args]; undefined for other lines. */
function halftimeArgs(line: string): string[] | undefined {
  const w = words(line).filter((x, i, all) => !(/^[A-Z_]+=/.test(x) && all.slice(0, i).every((y) => /^[A-Z_]+=/.test(y))));
  const at = w[0] === 'npx' && w[1] === 'halftime' ? 2 : w[0] === 'halftime' ? 1 : -1;
  if (at < 0) return undefined;
  const rest = w.slice(at);
  const cut = rest.findIndex((x) => ['|', '>', '&&', ';'].includes(x));
  return cut === -1 ? rest : rest.slice(0, cut);
}

const normalise = (text: string) =>
  text
    .replace(/\d+(\.\d+)? (ms|s)\b/g, 'T')
    .replace(/slowest \S+/g, 'slowest …') // which asset was slowest varies from run to run
    .replace(/[ \t]+/g, ' ')
    .replace(/ +$/gm, '')
    .trim();

describe('README configs', () => {
  it('the journey in "Writing a journey" is a valid config', () => {
    const [block] = yamlBlocks('Writing a journey');
    const { config } = parseConfigText(block, 'README.md', {});
    expect(config.monitors[0].personas?.map((p) => p.name)).toEqual(['browser', 'buyer']);
  });

  it('the config reference in "Monitoring your own app" is valid with its secret set', () => {
    const [block] = yamlBlocks('Monitoring your own app');
    const { config } = parseConfigText(block, 'README.md', { CHECKOUT_TOKEN: 't0ken-value' });
    expect(config.monitors[0].steps[0].expect.maxLatency).toBe(800);
  });
});

describe('README browser journeys', () => {
  it('the browser monitor in "Browser journeys" is a valid config', () => {
    const [block] = yamlBlocks('Browser journeys');
    const { config } = parseConfigText(block, 'README.md', {});
    expect(config.monitors[0].browser?.steps.length).toBe(4);
    expect(config.monitors[0].alerts?.degraded?.length).toBe(2);
  });
});

describe('README commands', () => {
  const example = loadConfigFile(EXAMPLE_CONFIG_PATH).config;
  const exampleIds = new Set(example.monitors.map(monitorId));
  const helps = new Map<string, Promise<string>>();
  const help = (cmd: string) => {
    if (!helps.has(cmd)) helps.set(cmd, halftime(cmd ? [cmd, '--help'] : ['--help']).then((r) => (expect(r.status).toBe(0), r.stdout)));
    return helps.get(cmd)!;
  };
  const hasFlag = (text: string, flag: string) => new RegExp(`(^|[\\s,])${flag.replace(/[-]/g, '\\-')}([\\s,=]|$)`, 'm').test(text);

  it('every `halftime` command in the README names a real command, real flags and, for the example, a real monitor', async () => {
    const commands = shellCommands().map(halftimeArgs).filter((a): a is string[] => a !== undefined);
    expect(commands.map((c) => c[0])).toEqual(expect.arrayContaining(['validate', 'serve', 'run', 'load']));
    const top = await help('');
    for (const [cmd, ...args] of commands) {
      expect(top, `halftime ${cmd}`).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
      const text = await help(cmd);
      for (const flag of args.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0])) expect(hasFlag(text, flag), `halftime ${cmd} ${flag}`).toBe(true);
      // `run` and `load` with no --config run the embedded example: their monitor must be in it.
      if ((cmd === 'run' || cmd === 'load') && !args.includes('--config')) expect(exampleIds, `halftime ${cmd} ${args[0]}`).toContain(args[0]);
    }
  });

  it('the "Command line" summary lists every command, with flags each command takes', async () => {
    const [summary] = blocks(section('Command line')).filter((b) => b.lang === '');
    const listed = summary.body.split('\n').filter((l) => l.startsWith('halftime '));
    const top = await help('');
    const commands = [...top.slice(top.indexOf('Commands:')).matchAll(/^ {2}([a-z-]+)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThanOrEqual(6);
    for (const c of commands) expect(listed.some((l) => l.startsWith(`halftime ${c} `) || l === `halftime ${c}`), `README lists halftime ${c}`).toBe(true);
    for (const line of listed) {
      const cmd = line.split(/\s+/)[1];
      if (cmd.startsWith('-')) continue;
      const text = await help(cmd);
      for (const flag of line.replace(/#.*$/, '').match(/--[a-z-]+/g) ?? []) expect(hasFlag(text, flag), `${line}: ${flag}`).toBe(true);
    }
  });
});

describe('README examples against the example config', () => {
  let demo: DemoApp;
  let tmp: ReturnType<typeof tempDir>;
  let config: string;
  beforeAll(async () => {
    demo = await startDemoApp({ port: 0, delays: false });
    tmp = tempDir();
    config = join(tmp.dir, 'halftime.yaml');
    // The embedded example, pointed at a demo shop of this test (the README's runs use 127.0.0.1:3100).
    writeFileSync(config, readFileSync(EXAMPLE_CONFIG_PATH, 'utf8').replaceAll('http://127.0.0.1:3100', demo.url));
  });
  afterAll(async () => {
    await demo.close();
    tmp.cleanup();
  });

  it('the sample output of `run shopper --no-think --seed 6` is what it prints (timings aside)', async () => {
    const text = section('Writing a journey');
    const all = blocks(text);
    const cmdBlock = all.findIndex((b) => b.lang === 'sh' && b.body.includes('--seed 6'));
    expect(cmdBlock).toBeGreaterThan(-1);
    const args = shellCommands().map(halftimeArgs).find((a) => a?.[0] === 'run' && a.includes('--seed'))!;
    expect(args).toEqual(['run', 'shopper', '--no-think', '--seed', '6']);
    const output = all[cmdBlock + 1];
    expect(output.lang).toBe('');
    const r = await halftime([...args, '--config', config]);
    expect(r.status, r.stderr).toBe(0);
    if (process.env.UPDATE_README) {
      const at = readme.indexOf(text) + output.index;
      writeFileSync(README, readme.slice(0, at) + r.stdout + readme.slice(at + output.body.length));
      return;
    }
    expect(normalise(output.body), 'README sample output (UPDATE_README=1 rewrites it)').toBe(normalise(r.stdout));
  });

  it('the load command in "Load checks" runs against the example (shortened to 2 s)', async () => {
    const args = shellCommands().map(halftimeArgs).find((a) => a?.[0] === 'load')!;
    const d = args.indexOf('--duration');
    expect(d).toBeGreaterThan(-1);
    const short = [...args.slice(0, d + 1), '2s', ...args.slice(d + 2), '--config', config, '--no-store'];
    const r = await halftime(short, { timeoutMs: 30_000 });
    expect(r.stderr).not.toMatch(/error|refus/i);
    expect([0, 1]).toContain(r.status); // ran and judged its thresholds (2 would be a usage or config error)
    for (const t of args.filter((_, i) => args[i - 1] === '--threshold')) expect(r.stdout).toMatch(new RegExp(`(pass|FAIL) {2}${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`));
  });

  it('the curl example in "Operator pages and API" answers true with a token made on the tokens page', async () => {
    const [curl] = blocks(section('Operator pages and API')).filter((b) => b.lang === 'sh' && b.body.includes('curl'));
    expect(curl.body).toContain('http://127.0.0.1:3000/');
    const serve = await startServe(['--port', '0', '--config', config, '--db', join(tmp.dir, 'api.db')], { env: { HALFTIME_ADMIN_PASSWORD: 'a long enough password' } });
    try {
      const token = await createToken(serve.url, 'a long enough password');
      const script = curl.body.replaceAll('http://127.0.0.1:3000', serve.url);
      const { stdout } = await promisify(execFile)('bash', ['-c', `set -o pipefail; ${script}`], { env: { ...process.env, HALFTIME_TOKEN: token }, timeout: 30_000 });
      expect(stdout.trim()).toBe('true');
    } finally {
      await serve.stop();
    }
  });
});

/** Logs in as admin and creates an API token through the pages, as the README describes. */
async function createToken(base: string, password: string): Promise<string> {
  const origin = { origin: base };
  const cookies = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const form = await fetch(`${base}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...origin, cookie: cookies(form), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username: 'admin', password, next: '/admin' }),
  });
  expect(login.status).toBe(303);
  const session = cookies(login);
  const page = await (await fetch(`${base}/admin/tokens`, { headers: { cookie: session } })).text();
  const pageCsrf = /name="_csrf" value="([^"]+)"/.exec(page)![1];
  const created = await fetch(`${base}/admin/tokens`, {
    method: 'POST',
    headers: { ...origin, cookie: session, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name: 'readme', _csrf: pageCsrf }),
  });
  return /value="(ht_[^"]+)"/.exec(await created.text())![1];
}
