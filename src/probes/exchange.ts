/**
 * One HTTP request/response on an undici dispatcher, through undici's handler interface
 * (`onRequestStart` … `onResponseEnd`): the response headers stay raw pairs and the body arrives as
 * plain chunks, with no stream or header object of our own built for them. It is what every step,
 * redirect hop and page asset goes through, and what keeps a burst's simulated users about as cheap
 * per request as a bare undici loop.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';

export type ExchangeRequest = {
  /** `http://host:port`, as from `new URL(url).origin`. */
  origin: string;
  /** Path and query. */
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The response body is cut off (error `BodyTooLarge`) past this many bytes on the wire. */
  maxBodyBytes: number;
  /** Only this many body bytes are kept (the rest is counted and dropped); default all. */
  keepBodyBytes?: number;
  /**
   * Called once the final response's headers are in: a sink returned here receives the body chunks
   * instead of the exchange keeping them (decoding while reading, see body.ts).
   */
  openBody?: (x: Exchange) => BodySink | undefined;
};

/** Takes a response body chunk by chunk; `write` returning false pauses reading until `x.resume()`. */
export type BodySink = { write(chunk: Buffer): boolean };

export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

/** The response's header section went past MAX_HEADER_BYTES before it ended. */
export class HeadersTooLarge extends Error {
  override name = 'HeadersTooLarge';
}

/**
 * Largest response header section accepted (status line and headers), as Node's own HTTP parser
 * defaults to. It is enforced here, on the socket's bytes, rather than by undici: past its own
 * limit undici builds an error object for every further header in the chunk it is parsing, and a
 * target sending thousands of tiny headers then holds the event loop for hundreds of
 * milliseconds. Sessions give undici a limit (UNDICI_HEADER_LIMIT) this one always reaches first.
 */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Above MAX_HEADER_BYTES plus the largest socket read (64 KiB): undici's limit is never reached. */
export const UNDICI_HEADER_LIMIT = 128 * 1024;

/**
 * A request in flight, then its outcome. `abort` ends it at any point: still queued for a
 * connection, waiting for the response, or reading the body; the exchange settles at once.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  status = 0;
  /** Header names and values as they came: name, value, name, value… */
  rawHeaders: Buffer[] = [];
  chunks: Buffer[] = [];
  bytes = 0;
  /**
   * performance.now() stamps (0 when it did not happen): the request handed to the socket, the
   * first response byte read from the socket, the response headers complete, the exchange ended.
   */
  tSent = 0;
  tFirstByte = 0;
  tHeaders = 0;
  tEnd = 0;
  /** Set when the exchange failed; the response fields hold whatever arrived before. */
  error: unknown = undefined;
  /** Where the body goes when the request's `openBody` gave a sink. */
  sink: BodySink | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #reason: Error | undefined;
  #settled = false;
  #done: (x: Exchange) => void;
  readonly #max: number;
  readonly #keep: number;
  readonly #openBody: ExchangeRequest['openBody'];

  constructor(max: number, keep: number, done: (x: Exchange) => void, openBody?: ExchangeRequest['openBody']) {
    this.#max = max;
    this.#keep = keep;
    this.#done = done;
    this.#openBody = openBody;
  }

  abort(reason: Error) {
    if (this.#settled) return;
    this.#reason = reason;
    // Not sent yet (queued, or still connecting): undici drops it when its turn comes (onRequestStart).
    this.#controller?.abort(reason);
    this.#settle(reason);
  }

  /** Reading was paused by the body sink; go on. */
  resume() {
    this.#controller?.resume();
  }

  #settle(err: unknown) {
    if (this.#settled) return;
    this.#settled = true;
    this.tEnd = performance.now();
    this.error = err;
    this.#done(this);
  }

  // undici's handler interface (called by the dispatcher).
  onRequestStart(controller: Dispatcher.DispatchController) {
    if (this.#reason) return controller.abort(this.#reason);
    this.#controller = controller;
    // undici writes the request to the socket right after this, and names the socket in
    // 'undici:client:sendHeaders' (below): the first response byte on it is ours.
    this.tSent = performance.now();
    sending = this;
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number) {
    this.tHeaders = performance.now();
    this.status = status;
    // The raw pairs undici parsed; undici also hands a header object, which we do not read.
    this.rawHeaders = (controller.rawHeaders as Buffer[] | null | undefined) ?? [];
    if (status >= 200 && this.#openBody) this.sink = this.#openBody(this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer) {
    if (this.#settled) return;
    this.bytes += chunk.length;
    if (this.bytes > this.#max) return this.abort(new BodyTooLarge());
    if (this.sink) {
      if (!this.sink.write(chunk)) controller.pause();
    } else if (this.bytes <= this.#keep) this.chunks.push(chunk);
  }

  onResponseEnd() {
    this.#settle(undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error) {
    this.#settle(this.#reason ?? err);
  }

  /** The body as one buffer (not decoded). */
  body(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }

  /** Values of one header (`name` in lower case), without building the whole header object. */
  header(name: string): string[] {
    const out: string[] = [];
    const raw = this.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const n = raw[i];
      if (n.length === name.length && (n[0] | 0x20) === name.charCodeAt(0) && n.toString('latin1').toLowerCase() === name) out.push(raw[i + 1].toString('latin1'));
    }
    return out;
  }

  /** Headers with lower-case names; repeated ones joined with ", " (Set-Cookie lines apart, in `setCookie`). */
  headers(): { headers: Record<string, string>; setCookie: string[] } {
    const headers: Record<string, string> = {};
    const setCookie: string[] = [];
    const raw = this.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i].toString('latin1').toLowerCase();
      const value = raw[i + 1].toString('latin1');
      if (name === 'set-cookie') setCookie.push(value);
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    return { headers, setCookie };
  }
}

/**
 * The first response byte and the size of the header section. undici calls `onRequestStart` and
 * then, in the same synchronous call, writes the request and publishes the socket on
 * 'undici:client:sendHeaders': the exchange that just started is handed to that socket, whose next
 * 'data' event is its first byte. undici reads the socket itself ('readable' + read()), and read()
 * emits 'data' before undici parses the chunk, so this listener neither changes how the socket
 * flows nor runs later than the parser would. Until undici has the headers it also counts the
 * response's bytes; past MAX_HEADER_BYTES it looks for the blank line that ends the headers, and
 * ends the exchange when they are longer than that.
 */
let sending: Exchange | undefined;
type SocketWatch = { waiting: Exchange | undefined; inHead: Exchange | undefined; headBytes: number; prev1: number; prev2: number };
const watched = new WeakMap<Socket, SocketWatch>();
const LF = 0x0a;
const CR = 0x0d;
/**
 * Index just past the blank line that ends a header section (LF LF, or LF CR LF), or -1. `prev1`
 * and `prev2` are the last and second-to-last bytes before the chunk (-1 for none).
 */
export function headerEnd(chunk: Buffer, prev1: number, prev2: number): number {
  for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
    const a = i >= 1 ? chunk[i - 1] : prev1;
    const b = i >= 2 ? chunk[i - 2] : i === 1 ? prev1 : prev2;
    if (a === LF || (a === CR && b === LF)) return i + 1;
  }
  return -1;
}

function watch(socket: Socket): SocketWatch {
  let w = watched.get(socket);
  if (!w) {
    const state: SocketWatch = { waiting: undefined, inHead: undefined, headBytes: 0, prev1: -1, prev2: -1 };
    socket.on('data', (chunk: Buffer) => {
      const x = state.waiting;
      if (x) {
        x.tFirstByte = performance.now();
        state.waiting = undefined;
        state.inHead = x;
        state.headBytes = 0;
        state.prev1 = state.prev2 = -1;
      }
      const head = state.inHead;
      if (!head) return;
      // undici has parsed every earlier chunk: once it has the headers, the section ended in time.
      if (head.tHeaders !== 0) {
        state.inHead = undefined;
        return;
      }
      const before = state.headBytes;
      state.headBytes += chunk.length;
      // Only a response past the limit is searched for the end of its headers (most never get there).
      if (state.headBytes > MAX_HEADER_BYTES) {
        const end = headerEnd(chunk, state.prev1, state.prev2);
        state.inHead = undefined;
        if (end === -1 || before + end > MAX_HEADER_BYTES) head.abort(new HeadersTooLarge(`response headers larger than ${MAX_HEADER_BYTES} bytes`));
        return;
      }
      state.prev2 = chunk.length >= 2 ? chunk[chunk.length - 2] : state.prev1;
      state.prev1 = chunk[chunk.length - 1];
    });
    watched.set(socket, (w = state));
  }
  return w;
}

subscribe('undici:client:sendHeaders', (message) => {
  const x = sending;
  if (!x) return;
  sending = undefined;
  watch((message as { socket: Socket }).socket).waiting = x;
});

/** Sends one request; the promise always resolves (failures are in `error`). */
export function exchange(dispatcher: Dispatcher, req: ExchangeRequest, onStart?: (x: Exchange) => void): Promise<Exchange> {
  return new Promise((resolve) => {
    const x = new Exchange(req.maxBodyBytes, req.keepBodyBytes ?? req.maxBodyBytes, resolve, req.openBody);
    onStart?.(x);
    try {
      dispatcher.dispatch({ origin: req.origin, path: req.path, method: req.method as Dispatcher.HttpMethod, headers: req.headers, body: req.body }, x);
    } catch (err) {
      // A request undici refuses outright (a header value it will not send, a destroyed dispatcher).
      x.onResponseError(undefined, err as Error);
    }
  });
}

const targets = new Map<string, { origin: string; path: string; host: string }>();

/** Origin, path and host of an absolute URL, remembered (a burst sends the same URLs over and over). Throws on an invalid URL. */
export function splitUrl(url: string): { origin: string; path: string; host: string } {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(url);
    t = { origin: u.origin, path: `${u.pathname}${u.search}`, host: u.host };
    if (targets.size >= 2_000) targets.clear();
    targets.set(url, t);
  }
  return t;
}
