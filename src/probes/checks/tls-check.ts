/**
 * `type: tls`: the certificate a server presents on host:port — directly, or after STARTTLS on an
 * SMTP connection. Fails when the chain is not trusted (the system roots, or the monitor's `ca`), the
 * certificate does not name the host, or it has expired; the certificate is kept with the step either way.
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { certificateError, describeCertificate, trustedRoots } from '../certificate.js';
import type { CertificateInfo, Evidence, Failure, StepResult } from '../types.js';
import { checkStep, hostPort, socketFailure } from './one-step.js';
import { connectTimed, guard, readUntil, type Guard } from './socket.js';

export type TlsCheck = { host: string; port: number; servername?: string; starttls?: 'smtp'; ca?: string; timeoutMs: number };

/** A whole SMTP reply: the last line is `NNN text` (continuation lines are `NNN-text`). */
const smtpReplyDone = (text: string) => /(^|\r?\n)\d{3} [^\n]*\r?\n$/.test(text);
const smtpCode = (text: string) => Number(/(?:^|\n)(\d{3}) [^\n]*\r?\n$/.exec(text)?.[1] ?? 0);

/** EHLO, then STARTTLS: resolves when the server said 220 to STARTTLS, else throws a sentence. */
async function smtpStarttls(socket: Socket, g: Guard, where: string): Promise<void> {
  const step = async (send: string | null, want: number, what: string) => {
    if (send !== null) socket.write(send);
    const r = await readUntil(socket, smtpReplyDone, g, 16_384);
    if (!r.complete) throw Object.assign(new Error(r.error ? r.error.message : `${where} ${r.closed ? 'closed the connection' : 'did not finish its reply'} ${what}`), { code: r.error ? (r.error as NodeJS.ErrnoException).code : undefined, smtp: true });
    if (smtpCode(r.text) !== want) throw Object.assign(new Error(`${where} answered ${what} with ${JSON.stringify(r.text.trim().split(/\r?\n/).pop())}`), { smtp: true });
    return r.text;
  };
  await step(null, 220, 'its greeting');
  const ehlo = await step('EHLO halftime.invalid\r\n', 250, 'to EHLO');
  if (!/^250[- ]STARTTLS\b/im.test(ehlo)) throw Object.assign(new Error(`${where} does not offer STARTTLS (its EHLO reply lists no STARTTLS)`), { smtp: true });
  await step('STARTTLS\r\n', 220, 'to STARTTLS');
}

function handshake(socket: Socket, servername: string | undefined, ca: string | undefined, g: Guard): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secured = tlsConnect({ socket, servername, rejectUnauthorized: false, ...(ca ? { ca: trustedRoots(ca) } : {}) });
    const onAbort = () => secured.destroy(g.signal.reason as Error);
    g.signal.addEventListener('abort', onAbort, { once: true });
    if (g.signal.aborted) onAbort();
    secured.once('error', (err) => {
      g.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    secured.once('secureConnect', () => {
      g.signal.removeEventListener('abort', onAbort);
      secured.removeAllListeners('error');
      secured.on('error', () => undefined);
      resolve(secured);
    });
  });
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The certificate's facts as evidence: trusted chain, the name, the dates. */
export function certificateEvidence(info: CertificateInfo): Evidence[] {
  return [
    { what: 'certificate chain', expected: 'trusted', actual: info.chainValid ? `trusted (issued by ${info.issuer})` : (info.error ?? 'not trusted'), pass: info.chainValid },
    { what: 'certificate names', expected: info.host, actual: info.hostnameValid ? `yes (${info.altNames.slice(0, 5).join(', ') || info.subject})` : `no: ${info.altNames.slice(0, 5).join(', ') || info.subject}`, pass: info.hostnameValid },
    { what: 'certificate expires', expected: 'in the future', actual: `${day(info.validTo)} (${info.daysLeft >= 0 ? `in ${info.daysLeft} days` : `${-info.daysLeft} days ago`})`, pass: info.daysLeft > 0 },
  ];
}

export async function runTlsCheck(c: TlsCheck, signal?: AbortSignal): Promise<StepResult> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const where = hostPort(c.host, c.port);
  const name = c.servername ?? c.host;
  const step = { name: 'certificate', method: 'TLS', url: c.starttls ? `smtp://${where} (STARTTLS)` : `tls://${where}`, startedAt };
  const g = guard(c.timeoutMs, signal);
  const timings = { dns: 0, connect: 0, tls: 0, ttfb: 0, download: 0, total: 0 };
  let socket: Socket | undefined;
  let phase = `no connection to ${where}`;
  try {
    const conn = await connectTimed(c.host, c.port, g);
    socket = conn.socket;
    timings.dns = conn.dnsMs;
    timings.connect = conn.connectMs;
    let before = conn.connectedAt;
    if (c.starttls) {
      phase = `no STARTTLS from ${where}`;
      await smtpStarttls(conn.socket, g, where);
      // The SMTP dialogue before the handshake: waiting on the server's answers.
      timings.ttfb = performance.now() - before;
      before = performance.now();
    }
    phase = `no TLS handshake with ${where}`;
    // SNI carries names only, never an IP address.
    const secured = await handshake(conn.socket, /^[\d.]+$|:/.test(name) ? undefined : name, c.ca, g);
    socket = secured;
    timings.tls = performance.now() - before;
    timings.total = performance.now() - t0;
    const info = describeCertificate(secured, name, c.port);
    if (c.starttls) secured.end('QUIT\r\n');
    if (!info) return checkStep({ ...step, timings, evidence: [], failure: { code: 'tls', message: `${where} presented no certificate` } });
    const evidence = certificateEvidence(info);
    const failure: Failure | undefined = info.error ? { code: 'tls', message: `certificate of ${where} is not valid: ${certificateError(info).message}` } : undefined;
    return checkStep({ ...step, timings, evidence, tls: info, ...(failure ? { failure } : {}) });
  } catch (err) {
    timings.total = performance.now() - t0;
    const smtp = (err as { smtp?: boolean }).smtp && !g.timedOut() && !g.aborted();
    const failure = smtp ? { code: 'protocol' as const, message: (err as Error).message } : socketFailure(err, { timedOut: g.timedOut(), aborted: g.aborted(), timeoutMs: c.timeoutMs, host: where, what: phase });
    return checkStep({ ...step, timings, evidence: [], failure });
  } finally {
    g.done();
    // Let a polite QUIT go out; destroy whatever is left shortly after.
    const s = socket;
    if (s) setTimeout(() => s.destroy(), 50).unref();
  }
}
