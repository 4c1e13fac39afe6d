/**
 * Reads a response body while it arrives: decompresses it (gzip, deflate, br) on zlib streams, so
 * the work runs off the event loop in chunks; enforces the byte limit on the decoded size as it
 * grows (a gzip bomb stops at the limit); decodes the text in the charset the response names; and
 * looks for the step's `bodyContains`/`bodyNotContains` strings chunk by chunk, so a large body
 * never has to become one string just to be searched.
 */
import { brotliDecompressSync, createBrotliDecompress, createGunzip, createInflate, createInflateRaw, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { Transform } from 'node:stream';
import type { BodySink, Exchange } from './exchange.js';
import type { Evidence, Failure } from './types.js';

export type BodyWants = {
  /** Decoded bytes allowed (the step's maxBodyBytes). */
  maxBytes: number;
  /** Keep the decoded text (whole-body checks, extraction, HTML). */
  keepText: boolean;
  /** Strings looked for while reading. */
  needles: readonly string[];
};

export type BodyRead = {
  /** The decoded text ('' unless kept). */
  text: string;
  /** Whether each needle occurs in the decoded text. */
  found: Map<string, boolean>;
  decodedBytes: number;
  failure?: Failure;
  /** Said when the body could not be read as the response described it (an unknown charset). */
  note?: Evidence;
};

export type BodyReader = BodySink & {
  /** The exchange ended cleanly: wait for the decoder to finish. */
  finish(): Promise<BodyRead>;
  /** The exchange failed or the step stopped: drop what is in flight. */
  stop(): void;
};

/** The decoded body went past the limit (while reading, so the rest is never decoded). */
export class DecodedTooLarge extends Error {
  override name = 'DecodedTooLarge';
}

const ZLIB_CHUNK = 64 * 1024;

/** The charset named by a Content-Type (`text/html; charset="ISO-8859-1"` → `iso-8859-1`). */
export function charsetOf(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*("?)([^";,\s]+)\1/i.exec(contentType ?? '');
  return m ? m[2].toLowerCase() : undefined;
}

/** A TextDecoder for the charset (any WHATWG encoding label), or UTF-8 with a note when unknown. */
function textDecoder(charset: string | undefined): { decoder: TextDecoder; note?: Evidence } {
  if (!charset) return { decoder: new TextDecoder('utf-8') };
  try {
    return { decoder: new TextDecoder(charset) };
  } catch {
    return {
      decoder: new TextDecoder('utf-8'),
      note: { what: 'body charset', expected: 'a charset halftime can decode', actual: `unknown charset ${JSON.stringify(charset)}; body read as UTF-8`, pass: true },
    };
  }
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
const SYNC = { gzip: gunzipSync, inflate: inflateSync, inflateRaw: inflateRawSync, br: brotliDecompressSync };

/**
 * A compressed body that arrived whole and small is decoded in one call when it decodes to at most
 * this much (a few milliseconds of work at most); anything larger goes through a zlib stream, whose
 * work runs on libuv's thread pool and reaches us in chunks.
 */
const SYNC_RAW = 64 * 1024;
const SYNC_OUT = 1024 * 1024;

/** Starts reading the body of `x`, whose response headers are in. */
export function openBodyReader(x: Exchange, wants: BodyWants): BodyReader {
  const encoding = x.header('content-encoding').join(',').trim().toLowerCase();
  const { decoder, note } = textDecoder(charsetOf(x.header('content-type')[0]));
  const needles = wants.needles.filter((n) => n.length > 0);
  const found = new Map<string, boolean>(wants.needles.map((n) => [n, n.length === 0]));
  const overlap = needles.reduce((m, n) => Math.max(m, n.length), 0) - 1;
  const parts: string[] = [];
  let tail = '';
  let decodedBytes = 0;
  let failure: Failure | undefined;
  let codec: Codec | null | undefined;
  /** Compressed chunks held back while the body may still be small enough to decode in one call. */
  let held: Buffer[] | undefined;
  let heldBytes = 0;
  let zs: Transform | undefined;
  let started = false;
  let stopped = false;
  let ended: (() => void) | undefined;
  const tooLarge = (): Failure => ({ code: 'body_too_large', message: `response body larger than the ${wants.maxBytes} byte limit once decoded (${encoding})` });

  const onText = (s: string) => {
    if (s.length === 0) return;
    if (wants.keepText) parts.push(s);
    if (needles.length === 0) return;
    // The last few characters of the previous chunk go in front, for a needle split across chunks.
    const hay = tail + s;
    for (const n of needles) if (!found.get(n) && hay.includes(n)) found.set(n, true);
    tail = overlap > 0 ? hay.slice(-overlap) : '';
  };
  const onDecoded = (chunk: Buffer) => {
    if (failure || stopped) return;
    decodedBytes += chunk.length;
    if (decodedBytes > wants.maxBytes) {
      failure = tooLarge();
      zs?.destroy();
      x.abort(new DecodedTooLarge());
      ended?.();
      return;
    }
    onText(decoder.decode(chunk, { stream: true }));
  };
  const fail = (message: string) => {
    failure ??= { code: 'protocol', message };
    zs?.destroy();
    ended?.();
  };
  const stream = (c: Codec) => {
    zs = STREAMS[c]({ chunkSize: ZLIB_CHUNK });
    zs.on('data', onDecoded);
    zs.on('error', (err: Error) => fail(`could not decode the ${encoding} body: ${err.message}`));
    zs.on('end', () => ended?.());
    zs.on('drain', () => x.resume());
    let ok = true;
    for (const b of held ?? []) ok = zs.write(b);
    held = undefined;
    return ok;
  };

  return {
    write(chunk) {
      if (failure || stopped) return true;
      if (!started) {
        started = true;
        codec = codecOf(encoding, chunk);
        if (codec === undefined) fail(`the response is sent with content-encoding ${JSON.stringify(encoding)}, which halftime cannot decode`);
        else if (codec) held = [];
      }
      if (failure) return true;
      if (codec === null) {
        onDecoded(chunk);
        return true;
      }
      if (zs) return zs.write(chunk);
      held!.push(chunk);
      heldBytes += chunk.length;
      return heldBytes > SYNC_RAW ? stream(codec!) : true;
    },
    async finish() {
      if (held && codec && !failure && !stopped) {
        // Arrived whole and small: one call, capped, unless it decodes to more than a small body.
        const raw = held.length === 1 ? held[0] : Buffer.concat(held);
        const cap = Math.min(wants.maxBytes, SYNC_OUT);
        try {
          onDecoded(SYNC[codec](raw, { maxOutputLength: cap }));
          held = undefined;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') fail(`could not decode the ${encoding} body: ${(err as Error).message}`);
          else if (cap === wants.maxBytes) failure = tooLarge();
          else stream(codec);
        }
      }
      if (zs && !failure && !stopped) {
        const done = new Promise<void>((resolve) => (ended = resolve));
        zs.end();
        await done;
      }
      if (!failure) onText(decoder.decode());
      return { text: failure ? '' : parts.length === 1 ? parts[0] : parts.join(''), found, decodedBytes, failure, note };
    },
    stop() {
      stopped = true;
      zs?.destroy();
      ended?.();
    },
  };
}
