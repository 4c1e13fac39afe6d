/**
 * Check types besides HTTP journeys: `tls` (a certificate on host:port), `tcp` (a port opens, and
 * answers), `dns` (a name resolves to what it should) and `heartbeat` (a job that pings halftime).
 * Their keys sit flat on the monitor, next to `type`; `checkTypeIssues` says which belong to which
 * type, so a `record:` on a tcp monitor or a missing `port` is named with its path.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { duration, oneOrMany } from './schema-parts.js';

export const CHECK_TYPES = ['http', 'tls', 'tcp', 'dns', 'heartbeat'] as const;
export type CheckType = (typeof CHECK_TYPES)[number];

export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

const port = z
  .number({ message: 'a port is a whole number from 1 to 65535' })
  .int('a port is a whole number from 1 to 65535')
  .min(1, 'port out of range: a port is 1 to 65535')
  .max(65535, 'port out of range: a port is 1 to 65535');

/** `127.0.0.1`, `127.0.0.1:5353`, `[::1]:53` or `::1`: node's resolver takes IP addresses only. */
export function parseResolver(s: string): { host: string; port: number } | string {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? (isIP(s) ? [s, s, undefined] : /^([^:]+):(\d+)$/.exec(s));
  if (!m || !isIP(m[1])) return `not a resolver address: ${JSON.stringify(s)} (an IP address, optionally with :port, e.g. 127.0.0.1:5353)`;
  const p = m[2] === undefined ? 53 : Number(m[2]);
  if (!(p >= 1 && p <= 65535)) return `port out of range in ${JSON.stringify(s)}: a port is 1 to 65535`;
  return { host: m[1], port: p };
}

const resolver = z.string().superRefine((s, ctx) => {
  const r = parseResolver(s);
  if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
});

const hostName = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[^\s/]+$/, 'a host name or IP address, without a scheme or path (e.g. db.example.com)');

/** Keys merged into the monitor schema; each applies to the types named in its description. */
export const checkKeys = {
  type: z
    .enum(CHECK_TYPES, { message: `unknown check type (use ${CHECK_TYPES.join(', ')})` })
    // Optional rather than defaulted, so monitors built in code need not spell it out: read it with checkType().
    .optional()
    .describe('What this monitor checks: http (steps, the default), tls (a certificate on host:port), tcp (a port), dns (a name), heartbeat (a job pinging halftime)'),
  host: hostName.optional().describe('tls, tcp: the host to connect to; dns: the name to look up'),
  port: port.optional().describe('tls (default 443), tcp: the port'),
  send: z.string().min(1).max(65_536).optional().describe('tcp: text sent once connected (e.g. "PING\\r\\n")'),
  expect: oneOrMany(z.string().min(1).max(4_096))
    .optional()
    .describe('tcp: text the reply must contain; dns: values that must be among the answers (an address, a name, "10 mx.example.com" or a TXT string)'),
  starttls: z.enum(['smtp'], { message: 'starttls supports smtp' }).optional().describe('tls: upgrade a plain connection first (smtp: EHLO, STARTTLS), e.g. port 587 or 25'),
  servername: hostName.optional().describe('tls: the name sent in SNI and checked against the certificate (default: host)'),
  record: z.enum(RECORD_TYPES, { message: `unknown record type (use ${RECORD_TYPES.join(', ')})` }).optional().describe('dns: the record type (default A)'),
  server: resolver.optional().describe('dns: the resolver to ask, an IP address with an optional port (default: the system resolver)'),
  grace: duration({ min: 0, max: 7 * 86_400_000 }).optional().describe('heartbeat: how late a ping may be after `every` before the monitor is down (default 1m)'),
  ca: z
    .string()
    .min(1)
    .optional()
    .describe('Certificates to trust besides the system ones (a private CA, or a self-signed certificate): a PEM file relative to the config file'),
};

/** Keys that only some types take. */
const OWN: Record<Exclude<keyof typeof checkKeys, 'type' | 'ca'>, readonly CheckType[]> = {
  host: ['tls', 'tcp', 'dns'],
  port: ['tls', 'tcp'],
  send: ['tcp'],
  expect: ['tcp', 'dns'],
  starttls: ['tls'],
  servername: ['tls'],
  record: ['dns'],
  server: ['dns'],
  grace: ['heartbeat'],
};

const WHAT: Record<CheckType, string> = {
  http: 'an http monitor runs steps',
  tls: 'a tls monitor checks the certificate on host and port',
  tcp: 'a tcp monitor connects to host and port',
  dns: 'a dns monitor looks up host',
  heartbeat: 'a heartbeat monitor waits for pings from its job',
};

/** A monitor's type: http unless it says otherwise. */
export const checkType = (m: { type?: CheckType }): CheckType => m.type ?? 'http';

type CheckFields = { [K in keyof typeof checkKeys]?: unknown } & {
  type?: CheckType;
  steps: unknown[];
  personas?: unknown;
  every?: number;
  cron?: string;
  baseUrl?: string;
  load?: unknown;
};

/** Problems of a monitor's check keys for its type: missing ones, and ones another type takes. */
export function checkTypeIssues(m: CheckFields, ctx: z.core.$RefinementCtx<unknown>): void {
  const add = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const t = checkType(m);
  for (const [key, types] of Object.entries(OWN)) {
    if (m[key as keyof CheckFields] !== undefined && !types.includes(t)) add(key, `${key} is for ${types.join(' and ')} monitors; ${WHAT[t]}`);
  }
  if (t === 'http') return;
  if (m.steps.length > 0) add('steps', `steps are for http monitors; ${WHAT[t]}`);
  if (m.personas !== undefined) add('personas', `personas are for http monitors; ${WHAT[t]}`);
  if (m.baseUrl !== undefined) add('baseUrl', `baseUrl is for http monitors; ${WHAT[t]}`);
  if (m.load !== undefined) add('load', `load checks run http journeys; ${WHAT[t]}`);
  if ((t === 'tls' || t === 'tcp' || t === 'dns') && m.host === undefined) add('host', `required: ${WHAT[t]}`);
  if (t === 'tcp' && m.port === undefined) add('port', 'required: the port a tcp monitor connects to');
  if (t === 'heartbeat') {
    if (m.every === undefined) add('every', 'required: how often the job pings (it is down when no ping comes within every + grace)');
    if (m.cron !== undefined) add('cron', 'a heartbeat monitor takes every (how often its job pings), not cron');
  }
  if (t !== 'tls' && m.ca !== undefined) add('ca', `ca is for http and tls monitors (certificates); ${WHAT[t]}`);
}

export type CheckConfig = { [K in keyof typeof checkKeys]: z.output<(typeof checkKeys)[K]> };
