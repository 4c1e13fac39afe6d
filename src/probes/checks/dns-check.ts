/**
 * `type: dns`: a name resolves, and to what it should. Asks a resolver directly (c-ares through
 * node:dns's Resolver: the system's configured servers, or `server:`), never the hosts file, and
 * times the answer.
 */
import { Resolver } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { parseResolver, type RecordType } from '../../config/check-schema.js';
import type { Evidence, Failure, StepResult } from '../types.js';
import { checkStep, hostPort } from './one-step.js';

export type DnsCheck = { host: string; record: RecordType; server?: string; expect?: string[]; timeoutMs: number };

/** Every answer as text: addresses, names, `10 mx.example.com`, TXT chunks joined. */
async function query(r: Resolver, host: string, type: RecordType): Promise<string[]> {
  switch (type) {
    case 'A':
      return r.resolve4(host);
    case 'AAAA':
      return r.resolve6(host);
    case 'CNAME':
      return r.resolveCname(host);
    case 'NS':
      return r.resolveNs(host);
    case 'MX':
      return (await r.resolveMx(host)).sort((a, b) => a.priority - b.priority).map((m) => `${m.priority} ${m.exchange}`);
    case 'TXT':
      return (await r.resolveTxt(host)).map((chunks) => chunks.join(''));
  }
}

const norm = (s: string, type: RecordType) => (type === 'TXT' ? s : s.trim().toLowerCase().replace(/\.$/, ''));

/** Whether an expected value is among the answers (names ignore case and a final dot; an MX may be given without its priority). */
export function answersInclude(answers: string[], expected: string, type: RecordType): boolean {
  const want = norm(expected, type);
  return answers.some((a) => {
    const got = norm(a, type);
    if (got === want) return true;
    if (type === 'MX') return got.replace(/^\d+\s+/, '') === want.replace(/^\d+\s+/, '') && !/^\d+\s/.test(want);
    if (type === 'AAAA') return got === want.replace(/(^|:)0+(?=[0-9a-f])/g, '$1');
    return false;
  });
}

function dnsFailure(err: unknown, c: DnsCheck, at: string): Failure {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const of = `${c.record} record${c.record === 'A' ? '' : 's'} of ${c.host}`;
  if (code === 'ENOTFOUND') return { code: 'dns', message: `${c.host} does not exist (NXDOMAIN) at ${at} (${code})` };
  if (code === 'ENODATA') return { code: 'dns', message: `${c.host} has no ${c.record} records at ${at} (${code})` };
  if (code === 'ETIMEOUT') return { code: 'timeout', message: `no answer for the ${of} from ${at} within ${c.timeoutMs} ms (${code})` };
  if (code === 'ECONNREFUSED') return { code: 'refused', message: `${at} refused the query for the ${of} (${code})` };
  if (code === 'ECANCELLED') return { code: 'aborted', message: 'run was stopped before the check finished' };
  if (code === 'ESERVFAIL' || code === 'EREFUSED') return { code: 'dns', message: `${at} could not answer for the ${of}: ${code === 'ESERVFAIL' ? 'server failure' : 'query refused'} (${code})` };
  return { code: 'dns', message: `looking up the ${of} at ${at} failed: ${(err as Error).message}${code ? ` (${code})` : ''}` };
}

export async function runDnsCheck(c: DnsCheck, signal?: AbortSignal): Promise<StepResult> {
  const startedAt = Date.now();
  const server = c.server !== undefined ? parseResolver(c.server) : undefined;
  const at = server && typeof server !== 'string' ? hostPort(server.host, server.port) : 'the system resolver';
  const step = { name: `${c.record} ${c.host}`, method: 'DNS', url: `dns://${server && typeof server !== 'string' ? hostPort(server.host, server.port) : ''}/${c.host}?type=${c.record}`, startedAt };
  // One try, within the check's time: a retry would hide a lost answer, which is what the check is for.
  const resolver = new Resolver({ timeout: c.timeoutMs, tries: 1 });
  if (server && typeof server !== 'string') resolver.setServers([hostPort(server.host, server.port)]);
  const onAbort = () => resolver.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  const t0 = performance.now();
  let answers: string[];
  try {
    if (signal?.aborted) throw Object.assign(new Error('cancelled'), { code: 'ECANCELLED' });
    answers = await query(resolver, c.host, c.record);
  } catch (err) {
    const total = performance.now() - t0;
    const failure = dnsFailure(err, c, at);
    return checkStep({ ...step, timings: { dns: total, total }, failure, evidence: [{ what: `${c.record} records`, expected: c.expect ? `include ${c.expect.join(', ')}` : 'at least one', actual: failure.message, pass: false }] });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const total = performance.now() - t0;
  const list = answers.join(', ').slice(0, 500) || 'none';
  const evidence: Evidence[] = c.expect
    ? c.expect.map((e) => ({ what: `${c.record} records`, expected: `include ${e}`, actual: list, pass: answersInclude(answers, e, c.record) }))
    : [{ what: `${c.record} records`, expected: 'at least one', actual: list, pass: answers.length > 0 }];
  const missing = evidence.filter((e) => !e.pass);
  const failure: Failure | undefined = missing.length
    ? { code: answers.length === 0 ? 'dns' : 'assertion', message: `${c.record} records of ${c.host} at ${at}: expected ${missing.map((e) => e.expected).join('; ')}, got ${list}` }
    : undefined;
  return checkStep({ ...step, timings: { dns: total, total }, bytes: 0, evidence, ...(failure ? { failure } : {}) });
}
