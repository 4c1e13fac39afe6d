/**
 * One HTTP request/response on an undici dispatcher, through undici's low-level handler interface:
 * the response headers arrive as raw pairs and the body as plain chunks, with no stream or header
 * object built for them. It is what every step, redirect hop and page asset goes through, and what
 * keeps a burst's simulated users about as cheap per request as a bare undici loop.
 */
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
  /** The response body is cut off (error `BodyTooLarge`) past this many bytes. */
  maxBodyBytes: number;
  /** Only this many body bytes are kept (the rest is counted and dropped); default all. */
  keepBodyBytes?: number;
};

export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

/**
 * A request in flight, then its outcome. `abort` ends it at any point: still queued for a
 * connection, waiting for headers, or reading the body; the exchange settles at once.
 */
export class Exchange {
  status = 0;
  /** Header names and values as they came: name, value, name, value… */
  rawHeaders: Buffer[] = [];
  chunks: Buffer[] = [];
  bytes = 0;
  /** performance.now() when the headers arrived (0 if they never did) and when the exchange ended. */
  tHeaders = 0;
  tEnd = 0;
  /** Set when the exchange failed; the response fields hold whatever arrived before. */
  error: unknown = undefined;
  #abort: ((reason: Error) => void) | undefined;
  #reason: Error | undefined;
  #settled = false;
  #done: (x: Exchange) => void;
  readonly #max: number;
  readonly #keep: number;

  constructor(max: number, keep: number, done: (x: Exchange) => void) {
    this.#max = max;
    this.#keep = keep;
    this.#done = done;
  }

  abort(reason: Error) {
    if (this.#settled) return;
    this.#reason = reason;
    // Not sent yet (queued, or still connecting): undici drops it when its turn comes (onConnect).
    this.#abort?.(reason);
    this.#settle(reason);
  }

  #settle(err: unknown) {
    if (this.#settled) return;
    this.#settled = true;
    this.tEnd = performance.now();
    this.error = err;
    this.#done(this);
  }

  // undici's handler interface (called by the dispatcher).
  onConnect(abort: (reason: Error) => void) {
    if (this.#reason) abort(this.#reason);
    else this.#abort = abort;
  }

  onHeaders(status: number, rawHeaders: Buffer[]): boolean {
    this.tHeaders = performance.now();
    this.status = status;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#settled) return false;
    this.bytes += chunk.length;
    if (this.bytes > this.#max) {
      this.abort(new BodyTooLarge());
      return false;
    }
    if (this.bytes <= this.#keep) this.chunks.push(chunk);
    return true;
  }

  onComplete() {
    this.#settle(undefined);
  }

  onError(err: Error) {
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

/** Sends one request; the promise always resolves (failures are in `error`). */
export function exchange(dispatcher: Dispatcher, req: ExchangeRequest, onStart?: (x: Exchange) => void): Promise<Exchange> {
  return new Promise((resolve) => {
    const x = new Exchange(req.maxBodyBytes, req.keepBodyBytes ?? req.maxBodyBytes, resolve);
    onStart?.(x);
    dispatcher.dispatch({ origin: req.origin, path: req.path, method: req.method as Dispatcher.HttpMethod, headers: req.headers, body: req.body }, x as unknown as Dispatcher.DispatchHandler);
  });
}

const targets = new Map<string, { origin: string; path: string; host: string }>();

/** Origin, path and host of an absolute URL, remembered (a burst sends the same URLs over and over). */
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
