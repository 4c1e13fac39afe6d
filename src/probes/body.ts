/**
 * Reads a response body while it arrives, without ever holding the event loop for long:
 * - a small body (the usual case) is kept as it comes and decoded in one call at the end: a few
 *   milliseconds at most, and as cheap per request as a plain `toString`;
 * - a large one switches to streaming: gzip, deflate and br go through zlib streams (their work
 *   runs on libuv's thread pool and reaches us in chunks), the text is decoded chunk by chunk, and
 *   the step's `bodyContains`/`bodyNotContains` strings are looked for as it streams by, so it never
 *   has to become one string just to be searched.
 * The byte limit is enforced on the decoded size as it grows (a gzip bomb stops at the limit), and
 * the text is decoded in the charset the response names.
 */
import type { Transform } from 'node:stream';
import { brotliDecompressSync, createBrotliDecompress, createGunzip, createInflate, createInflateRaw, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { BodySink, Exchange } from './exchange.js';
import type { Evidence, Failure } from './types.js';

export type BodyWants = {
  /** Decoded bytes allowed (the step's maxBodyBytes). */
  maxBytes: number;
  /** Keep the decoded text even when it is large (whole-body checks, extraction, HTML). */
  keepText: boolean;
  /** Strings looked for while a large body streams by. */
  needles: readonly string[];
};

export type BodyRead = {
  /** The decoded text: always for a small body, for a large one only when kept ('' otherwise). */
  text: string;
  /** For a large body not kept whole: whether each needle occurs in it. */
  found?: Map<string, boolean>;
  decodedBytes: number;
  failure?: Failure;
  /** Said when the body could not be read as the response described it (an unknown charset). */
  note?: Evidence;
};

/** The decoded body went past the limit (while reading, so the rest is never decoded). */
export class DecodedTooLarge extends Error {
  override name = 'DecodedTooLarge';
}

/** The charset named by a Content-Type (`text/html; charset="ISO-8859-1"` → `iso-8859-1`). */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType || !contentType.includes('=')) return undefined;
  const m = /;\s*charset\s*=\s*("?)([^";,\s]+)\1/i.exec(contentType);
  return m ? m[2].toLowerCase() : undefined;
}

/** Decoders for whole bodies, one per charset (a call without `stream` keeps no state between calls). */
const decoders = new Map<string, TextDecoder>();

/** The charset to decode with, or UTF-8 with a note when halftime does not know it. */
function pickCharset(charset: string | undefined): { label: string; note?: Evidence } {
  if (!charset || charset === 'utf-8' || charset === 'utf8') return { label: 'utf-8' };
  if (decoders.has(charset)) return { label: charset };
  try {
    decoders.set(charset, new TextDecoder(charset));
    return { label: charset };
  } catch {
    return {
      label: 'utf-8',
      note: { what: 'body charset', expected: 'a charset halftime can decode', actual: `unknown charset ${JSON.stringify(charset)}; body read as UTF-8`, pass: true },
    };
  }
}

/** A whole body as text in one call (a UTF-8 byte order mark dropped, as TextDecoder does). */
function decodeWhole(buf: Buffer, label: string): string {
  if (label !== 'utf-8') return decoders.get(label)!.decode(buf);
  const s = buf.toString('utf8');
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

type Codec = 'gzip' | 'inflate' | 'inflateRaw' | 'br';

/** The decoder for a Content-Encoding: null for none, undefined for one we cannot decode. */
function codecOf(encoding: string, first: Buffer): Codec | null | undefined {
  switch (encoding) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return 'gzip';
    case 'deflate':
      // "deflate" is meant to be zlib-wrapped, yet some servers send raw deflate (browsers take both).
      return first.length >= 2 && (first[0] & 0x0f) === 8 && ((first[0] << 8) | first[1]) % 31 === 0 ? 'inflate' : 'inflateRaw';
    case 'br':
      return 'br';
    default:
      return undefined;
  }
}

const STREAMS = { gzip: createGunzip, inflate: createInflate, inflateRaw: createInflateRaw, br: createBrotliDecompress };
const ONE_CALL = { gzip: gunzipSync, inflate: inflateSync, inflateRaw: inflateRawSync, br: brotliDecompressSync };

/**
 * Up to these sizes a body is handled in one call at the end: at most about a millisecond or two of
 * work (decompressing to 1 MiB, decoding 1 MiB of text). Past them it streams.
 */
const WHOLE_RAW = 64 * 1024;
const WHOLE_OUT = 1024 * 1024;
const ZLIB_CHUNK = 64 * 1024;

/** Reads the body of `x`, whose response headers are in; `finish` once the exchange ended cleanly. */
export class BodyReader implements BodySink {
  readonly #x: Exchange;
  readonly #wants: BodyWants;
  #encoding = '';
  #codec: Codec | null | undefined;
  #label = 'utf-8';
  #note: Evidence | undefined;
  /** Raw chunks kept while the body is still small. */
  #held: Buffer[] = [];
  #heldBytes = 0;
  #started = false;
  #stopped = false;
  #failure: Failure | undefined;
  #decodedBytes = 0;
  // Streaming state, once the body is large.
  #streaming = false;
  #zs: Transform | undefined;
  #decoder: TextDecoder | undefined;
  #parts: string[] = [];
  #found: Map<string, boolean> | undefined;
  #needles: string[] = [];
  #overlap = 0;
  #tail = '';
  #ended: (() => void) | undefined;

  constructor(x: Exchange, wants: BodyWants) {
    this.#x = x;
    this.#wants = wants;
  }

  write(chunk: Buffer): boolean {
    if (this.#failure || this.#stopped) return true;
    if (!this.#started) this.#start(chunk);
    if (this.#failure) return true;
    if (this.#streaming) return this.#zs ? this.#zs.write(chunk) : (this.#onDecoded(chunk), true);
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#heldBytes > (this.#codec ? WHOLE_RAW : WHOLE_OUT)) return this.#stream();
    return true;
  }

  /** The body read: at once for a small body, once the decoder is done for a large one. */
  finish(): BodyRead | Promise<BodyRead> {
    if (!this.#streaming && !this.#failure && !this.#stopped && this.#heldBytes > 0) {
      const raw = this.#held.length === 1 ? this.#held[0] : Buffer.concat(this.#held);
      if (!this.#codec) return this.#whole(raw);
      const cap = Math.min(this.#wants.maxBytes, WHOLE_OUT);
      try {
        return this.#whole(ONE_CALL[this.#codec](raw, { maxOutputLength: cap }));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') this.#fail(`could not decode the ${this.#encoding} body: ${(err as Error).message}`);
        else if (cap === this.#wants.maxBytes) this.#failure = this.#tooLarge();
        // Decodes to more than a small body: decode it again, streamed.
        else this.#stream();
      }
    }
    if (this.#zs && !this.#failure && !this.#stopped) {
      const zs = this.#zs;
      return new Promise<void>((resolve) => {
        this.#ended = resolve;
        zs.end();
      }).then(() => this.#result());
    }
    return this.#result();
  }

  #result(): BodyRead {
    if (this.#decoder && !this.#failure) this.#onText(this.#decoder.decode());
    const text = this.#failure ? '' : this.#parts.length === 1 ? this.#parts[0] : this.#parts.join('');
    return { text, found: this.#found, decodedBytes: this.#decodedBytes, failure: this.#failure, note: this.#note };
  }

  /** The exchange failed or the step stopped: drop what is in flight. */
  stop() {
    this.#stopped = true;
    this.#zs?.destroy();
    this.#ended?.();
  }

  #start(first: Buffer) {
    this.#started = true;
    this.#encoding = this.#x.header('content-encoding').join(',').trim().toLowerCase();
    this.#codec = codecOf(this.#encoding, first);
    if (this.#codec === undefined) return this.#fail(`the response is sent with content-encoding ${JSON.stringify(this.#encoding)}, which halftime cannot decode`);
    const picked = pickCharset(charsetOf(this.#x.header('content-type')[0]));
    this.#label = picked.label;
    this.#note = picked.note;
  }

  #whole(decoded: Buffer): BodyRead {
    this.#decodedBytes = decoded.length;
    if (decoded.length > this.#wants.maxBytes) return { text: '', decodedBytes: decoded.length, failure: this.#tooLarge(), note: this.#note };
    return { text: decodeWhole(decoded, this.#label), decodedBytes: decoded.length, note: this.#note };
  }

  /** Switches to streaming: a zlib stream (for an encoded body), a streaming text decoder, the search. */
  #stream(): boolean {
    this.#streaming = true;
    this.#decoder = new TextDecoder(this.#label);
    this.#needles = this.#wants.needles.filter((n) => n.length > 0);
    this.#found = new Map(this.#wants.needles.map((n) => [n, n.length === 0]));
    this.#overlap = this.#needles.reduce((m, n) => Math.max(m, n.length), 0) - 1;
    const held = this.#held;
    this.#held = [];
    if (!this.#codec) {
      for (const b of held) this.#onDecoded(b);
      return true;
    }
    const zs = (this.#zs = STREAMS[this.#codec]({ chunkSize: ZLIB_CHUNK }));
    zs.on('data', (chunk: Buffer) => this.#onDecoded(chunk));
    zs.on('error', (err: Error) => this.#fail(`could not decode the ${this.#encoding} body: ${err.message}`));
    zs.on('end', () => this.#ended?.());
    zs.on('drain', () => this.#x.resume());
    let ok = true;
    for (const b of held) ok = zs.write(b);
    return ok;
  }

  #onDecoded(chunk: Buffer) {
    if (this.#failure || this.#stopped) return;
    this.#decodedBytes += chunk.length;
    if (this.#decodedBytes > this.#wants.maxBytes) {
      this.#failure = this.#tooLarge();
      this.#zs?.destroy();
      this.#x.abort(new DecodedTooLarge());
      this.#ended?.();
      return;
    }
    this.#onText(this.#decoder!.decode(chunk, { stream: true }));
  }

  #onText(s: string) {
    if (s.length === 0) return;
    if (this.#wants.keepText) this.#parts.push(s);
    if (this.#needles.length === 0) return;
    // The last few characters of the previous chunk go in front, for a needle split across chunks.
    const hay = this.#tail + s;
    for (const n of this.#needles) if (!this.#found!.get(n) && hay.includes(n)) this.#found!.set(n, true);
    this.#tail = this.#overlap > 0 ? hay.slice(-this.#overlap) : '';
  }

  #fail(message: string) {
    this.#failure ??= { code: 'protocol', message };
    this.#zs?.destroy();
    this.#ended?.();
  }

  #tooLarge(): Failure {
    const how = this.#codec ? ` once decoded (${this.#encoding})` : '';
    return { code: 'body_too_large', message: `response body larger than the ${this.#wants.maxBytes} byte limit${how}` };
  }
}

export const openBodyReader = (x: Exchange, wants: BodyWants) => new BodyReader(x, wants);
