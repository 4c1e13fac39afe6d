import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { loadDataFiles } from './data-files.js';
import { createRedactor, MIN_SECRET_LENGTH, type Redactor } from '../lang/redact.js';
import { unknownKeysMessage } from './key-hints.js';
import { checkReferences } from './references.js';
import { configSchema, slugify, type Config, type MonitorConfig } from './schema.js';

export type ConfigProblem = {
  path: string;
  message: string;
  /** The path as keys, to place the problem in the document (problems are listed in config order). */
  at?: readonly PropertyKey[];
};

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` + problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** The loaded config, plus what we need to keep secrets out of pages, logs and alerts. */
export type LoadedConfig = {
  config: Config;
  source: string;
  /** Replaces every secret value (see `isSecretRef`) with `[secret:NAME]`, in text or in a plain value's string leaves. */
  redact: Redactor;
  secretNames: string[];
  /**
   * The secret values by name, for a redactor in another thread (the probe worker). Not enumerable,
   * so it is never serialized or logged with the config by accident.
   */
  readonly secrets: ReadonlyArray<readonly [string, string]>;
};

export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../examples/halftime.yaml', import.meta.url));

/** `monitors[1].steps[0].url` from a zod/yaml path. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

const ENV_REF = /\$\{(env|secret):([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Environment variable names that say their value is a secret (`CHECKOUT_TOKEN`, `SMTP_PASSWORD`, `API_KEY`…). */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|KEY|AUTH|CREDENTIAL|PRIVATE|SIGNATURE|COOKIE|SESSION|WEBHOOK|DSN/i;

/**
 * Which substituted values are hidden from pages, logs, stored results and alerts: every
 * `${secret:NAME}`, and `${env:NAME}` when the name marks it as a secret (TOKEN, PASSWORD, KEY, …).
 * Other `${env:…}` values (a port, a base URL, a region) are plain text and never rewritten.
 */
export const isSecretRef = (form: string, name: string) => form === 'secret' || SECRET_NAME.test(name);

/** Replaces `${env:NAME}` and `${secret:NAME}` in every string leaf; records the secrets it used. */
function substituteEnv(value: unknown, path: PropertyKey[], env: NodeJS.ProcessEnv, problems: ConfigProblem[], secrets: Map<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (whole, form: string, name: string) => {
      const v = env[name];
      if (v === undefined) {
        problems.push({ path: formatPath(path), message: `environment variable ${name} is not set`, at: path });
        return whole;
      }
      if (isSecretRef(form, name)) {
        if (v.length < MIN_SECRET_LENGTH)
          problems.push({
            path: formatPath(path),
            message: `${name} is a secret of ${v.length} character${v.length === 1 ? '' : 's'}: halftime hides secrets by their value, and one shorter than ${MIN_SECRET_LENGTH} characters would hide ordinary text too; use a longer value${form === 'secret' ? ', or ${env:' + name + '} if it is not secret' : ''}`,
            at: path,
          });
        else secrets.set(name, v);
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, i], env, problems, secrets));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, [...path, k], env, problems, secrets);
    return out;
  }
  return value;
}

function issuesToProblems(issues: z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.map((i) => {
    let message = i.message;
    if (i.code === 'unrecognized_keys') message = unknownKeysMessage(i.path, i.keys, (i as { stepKind?: string }).stepKind);
    else if (i.code === 'invalid_type' && /received undefined/.test(i.message)) message = 'required';
    else if (i.code === 'invalid_union') {
      // Prefer the most specific branch message ("not a duration: …") over zod's generic "Invalid input".
      const inner = (i as { errors?: z.core.$ZodIssue[][] }).errors?.flat().find((e) => e.code === 'custom');
      if (inner) message = inner.message;
    }
    return { path: formatPath(i.path), message, at: i.path };
  });
}

/**
 * A check beyond the schema, run in the same pass: on the raw document (after `${env:…}`), and on the
 * parsed config when the schema passed (which it may normalise). Returns the problems it found.
 */
export type ConfigCheck = (raw: unknown, config: Config | undefined) => ConfigProblem[];

/** Problems in the order their places appear in the document (a problem with no place first). */
function inDocumentOrder(problems: ConfigProblem[], doc: Document): ConfigProblem[] {
  const offset = (at: readonly PropertyKey[] | undefined) => {
    for (let n = at?.length ?? 0; n > 0; n--) {
      const node = doc.getIn(at!.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return node.range[0];
    }
    return -1;
  };
  return problems.map((p, i) => ({ p, i, o: offset(p.at) })).sort((a, b) => a.o - b.o || a.i - b.i).map((x) => x.p);
}

export type ReadOptions = {
  /** Where relative data files (CSV pools) are read from (default: the working directory). */
  baseDir?: string;
  /** Checks that need more than the schema (channel options by their plugins); see src/configure.ts. */
  checks?: ConfigCheck[];
};

export function parseConfigText(text: string, source: string, env: NodeJS.ProcessEnv = process.env, opts: ReadOptions = {}): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '', message: e.message.split('\n')[0] })),
    );
  }
  const raw = doc.toJS() ?? {};
  const problems: ConfigProblem[] = [];
  const secrets = new Map<string, string>();
  const substituted = substituteEnv(raw, [], env, problems, secrets);
  const parsed = configSchema.safeParse(substituted);
  if (!parsed.success) problems.push(...issuesToProblems(parsed.error.issues));
  else if (problems.length === 0) problems.push(...loadDataFiles(parsed.data, opts.baseDir ?? process.cwd()));
  for (const check of [checkReferences, ...(opts.checks ?? [])]) problems.push(...check(substituted, parsed.success ? parsed.data : undefined));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(source, inDocumentOrder(problems, doc));
  const loaded = { config: parsed.data, source, redact: createRedactor(secrets), secretNames: [...secrets.keys()] };
  return Object.defineProperty(loaded, 'secrets', { value: [...secrets.entries()], enumerable: false }) as LoadedConfig;
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env, opts: Omit<ReadOptions, 'baseDir'> = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '', message: `cannot read config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
  }
  return parseConfigText(text, path, env, { ...opts, baseDir: dirname(path) });
}

export function monitorId(m: Pick<MonitorConfig, 'id' | 'name'>): string {
  return m.id ?? slugify(m.name);
}
