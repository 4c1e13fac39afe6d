/** The timing breakdown of one hop (a request and its response, on a new or a kept-alive connection). */
import type { Exchange } from './exchange.js';
import type { ConnectionTiming } from './session.js';
import type { Timings } from './types.js';

/**
 * Adds one hop's phases. A connection opened during the hop is the one the hop used (a session's
 * steps run one at a time); its socket events give DNS (lookup), connect (from the connect call to
 * the socket to its 'connect') and TLS. TTFB runs from the request being written to the first
 * response byte read from the socket, download from there to the last byte. A phase that did not
 * happen (no lookup for an IP address, no TLS on http, no connection on a kept-alive one) adds 0.
 */
export function addHop(t: Timings, conn: ConnectionTiming | undefined, hopStart: number, x: Exchange) {
  const tEnd = x.tEnd;
  if (conn && conn.ready === undefined) {
    // The connection never became usable: its time belongs to the phase that failed, not to TTFB.
    if (conn.lookup !== undefined) t.dns += conn.lookup - conn.start;
    if (conn.connected === undefined) t.connect += Math.max(0, tEnd - (conn.attempt ?? conn.lookup ?? conn.start));
    else t.tls += tEnd - conn.connected;
    return;
  }
  let sent = x.tSent || hopStart;
  if (conn) {
    const tcpEnd = conn.connected ?? conn.ready!;
    if (conn.lookup !== undefined) t.dns += conn.lookup - conn.start;
    t.connect += Math.max(0, tcpEnd - (conn.attempt ?? conn.lookup ?? conn.start));
    if (conn.secured !== undefined) t.tls += conn.secured - tcpEnd;
    if (!x.tSent) sent = conn.ready!;
  }
  // No byte came back (a hang, a refused request): the whole wait is waiting for the first byte.
  const first = x.tFirstByte || x.tHeaders || tEnd;
  t.ttfb += Math.max(0, first - sent);
  t.download += Math.max(0, tEnd - first);
}
