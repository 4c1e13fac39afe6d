/** Plain sockets for the tcp and tls checks: a timed connect, and reading until a reply says enough. */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One check's time limit and the outer stop (shutdown), as one signal; `timedOut` tells them apart. */
export type Guard = { signal: AbortSignal; timedOut(): boolean; aborted(): boolean; done(): void };

export function guard(timeoutMs: number, outer?: AbortSignal): Guard {
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort(new DOMException('check timeout', 'TimeoutError'));
  }, timeoutMs);
  const onOuter = () => ctl.abort(outer?.reason ?? new DOMException('aborted', 'AbortError'));
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  return {
    signal: ctl.signal,
    timedOut: () => timedOut,
    aborted: () => !timedOut && ctl.signal.aborted,
    done() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

export type Connected = { socket: Socket; dnsMs: number; connectMs: number; connectedAt: number };

/** Connects, timing the name lookup (none for an IP address) and the TCP handshake from the socket's own events. */
export function connectTimed(host: string, port: number, g: Guard): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let lookup: number | undefined;
    let attempt: number | undefined;
    const socket = connect({ host, port });
    const onAbort = () => socket.destroy(g.signal.reason as Error);
    g.signal.addEventListener('abort', onAbort, { once: true });
    if (g.signal.aborted) onAbort();
    socket.once('lookup', () => (lookup ??= performance.now()));
    socket.once('connectionAttempt', () => (attempt ??= performance.now()));
    socket.once('error', (err) => {
      g.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
    socket.once('connect', () => {
      g.signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      // From here on errors reach the caller through reads and writes; one with no listener would end the thread.
      socket.on('error', () => undefined);
      const connectedAt = performance.now();
      resolve({ socket, dnsMs: lookup !== undefined ? lookup - start : 0, connectMs: connectedAt - (attempt ?? lookup ?? start), connectedAt });
    });
  });
}

export type Reply = { text: string; bytes: number; firstByteAt?: number; endAt: number; complete: boolean; closed: boolean };

/**
 * Reads from the socket until `enough(text)` holds, the peer closes, `maxBytes` arrive, or the guard
 * stops it (then `complete` is false). Never rejects: a socket error ends the read like a close.
 */
export function readUntil(socket: Socket, enough: (text: string) => boolean, g: Guard, maxBytes = 65_536): Promise<Reply & { error?: Error }> {
  return new Promise((resolve) => {
    let text = '';
    let bytes = 0;
    let firstByteAt: number | undefined;
    const finish = (complete: boolean, closed: boolean, error?: Error) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      g.signal.removeEventListener('abort', onAbort);
      socket.pause();
      resolve({ text, bytes, firstByteAt, endAt: performance.now(), complete, closed, ...(error ? { error } : {}) });
    };
    const onData = (chunk: Buffer) => {
      firstByteAt ??= performance.now();
      bytes += chunk.length;
      if (text.length < maxBytes) text += chunk.toString('latin1').slice(0, maxBytes - text.length);
      if (enough(text)) finish(true, false);
      else if (bytes >= maxBytes) finish(false, false);
    };
    const onEnd = () => finish(enough(text), true);
    const onError = (err: Error) => finish(false, true, err);
    const onAbort = () => finish(false, false);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    g.signal.addEventListener('abort', onAbort, { once: true });
    if (g.signal.aborted) onAbort();
    if (enough(text)) finish(true, false);
    else socket.resume();
  });
}
