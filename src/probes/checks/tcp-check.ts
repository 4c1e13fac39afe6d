/** `type: tcp`: a port opens (connect time), and optionally answers to what is sent with what is expected. */
import { performance } from 'node:perf_hooks';
import type { Evidence, Failure, StepResult } from '../types.js';
import { checkStep, hostPort, shown, socketFailure } from './one-step.js';
import { connectTimed, guard, readUntil } from './socket.js';

export type TcpCheck = { host: string; port: number; send?: string; expect?: string[]; timeoutMs: number };

/** Expected text as the reply's bytes read one per character (the reply is read as latin1, so any bytes compare exactly). */
const asBytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

export async function runTcpCheck(c: TcpCheck, signal?: AbortSignal): Promise<StepResult> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const where = hostPort(c.host, c.port);
  const step = { name: c.expect ? 'connect and reply' : 'connect', method: 'TCP', url: `tcp://${where}`, startedAt };
  const g = guard(c.timeoutMs, signal);
  const evidence: Evidence[] = [];
  const fail = (failure: Failure, timings = {}, bytes = 0) => checkStep({ ...step, failure, evidence, timings: { total: performance.now() - t0, ...timings }, bytes });
  let conn;
  try {
    conn = await connectTimed(c.host, c.port, g);
  } catch (err) {
    g.done();
    const failure = socketFailure(err, { timedOut: g.timedOut(), aborted: g.aborted(), timeoutMs: c.timeoutMs, host: where, what: `no connection to ${where}` });
    evidence.push({ what: 'connect', expected: 'port open', actual: failure.code === 'refused' ? 'refused' : failure.message, pass: false });
    return fail(failure, { connect: performance.now() - t0 });
  }
  const { socket } = conn;
  const timings = { dns: conn.dnsMs, connect: conn.connectMs, ttfb: 0, download: 0, total: 0 };
  evidence.push({ what: 'connect', expected: 'port open', actual: `connected in ${conn.connectMs.toFixed(1)} ms`, pass: true });
  try {
    if (c.send !== undefined) await new Promise<void>((resolve, reject) => socket.write(c.send!, (err) => (err ? reject(err) : resolve())));
    const sentAt = performance.now();
    if (!c.expect) {
      timings.total = sentAt - t0;
      return checkStep({ ...step, evidence, timings });
    }
    const wanted = c.expect.map(asBytes);
    const reply = await readUntil(socket, (text) => wanted.every((w) => text.includes(w)), g);
    timings.ttfb = (reply.firstByteAt ?? reply.endAt) - sentAt;
    timings.download = reply.firstByteAt !== undefined ? reply.endAt - reply.firstByteAt : 0;
    timings.total = reply.endAt - t0;
    const got = Buffer.from(reply.text, 'latin1').toString('utf8');
    for (const [i, w] of wanted.entries())
      evidence.push({ what: 'reply contains', expected: shown(c.expect[i]), actual: reply.text.includes(w) ? 'found' : reply.bytes === 0 ? 'no reply' : `not in ${reply.bytes} bytes: ${shown(got)}`, pass: reply.text.includes(w) });
    if (reply.complete) return checkStep({ ...step, evidence, timings, bytes: reply.bytes });
    const missing = c.expect.filter((_, i) => !reply.text.includes(wanted[i])).map((s) => shown(s)).join(', ');
    const failure: Failure = g.aborted()
      ? { code: 'aborted', message: 'run was stopped before the check finished' }
      : g.timedOut()
        ? { code: 'timeout', message: `no reply containing ${missing} from ${where} within ${c.timeoutMs} ms (${reply.bytes} bytes received)` }
        : reply.error
          ? socketFailure(reply.error, { timedOut: false, timeoutMs: c.timeoutMs, host: where, what: '' })
          : { code: 'assertion', message: `the reply from ${where} does not contain ${missing} (${reply.bytes} bytes${reply.closed ? ', then the connection closed' : ''})` };
    return checkStep({ ...step, evidence, timings, bytes: reply.bytes, failure });
  } catch (err) {
    return fail(socketFailure(err, { timedOut: g.timedOut(), aborted: g.aborted(), timeoutMs: c.timeoutMs, host: where, what: `no reply from ${where}` }), timings);
  } finally {
    g.done();
    socket.destroy();
  }
}
