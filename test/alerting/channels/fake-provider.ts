/**
 * A stand-in for a notification provider: a real HTTP server on 127.0.0.1 that checks each request
 * against the provider's documented contract (path, credentials, content type, payload shape and
 * limits) and answers the way the provider does, errors and rate limits included.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { startServer, type TestServer } from '../../helpers.js';

export type Received = { method: string; path: string; query: URLSearchParams; headers: IncomingHttpHeaders; body: string; json: any };
export type Answer = { status: number; headers?: Record<string, string>; body?: string | object };

export type FakeProvider = TestServer & {
  received: Received[];
  /** Requests that broke the documented contract, with what was wrong. A passing exchange leaves it empty. */
  rejected: { path: string; problems: string[] }[];
  /** Answers given before the normal ones, in order: a rate limit, an outage. */
  script: Answer[];
  /** When true, requests get no answer at all (for timeouts). */
  hang: boolean;
};

/** `path: message` for each way `value` breaks `schema`. */
export function problemsOf(schema: z.ZodTypeAny, value: unknown): string[] {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

export async function startFakeProvider(handle: (r: Received, reject: (problems: string[]) => void) => Answer): Promise<FakeProvider> {
  const state = { received: [] as Received[], rejected: [] as FakeProvider['rejected'], script: [] as Answer[], hang: false, held: [] as ServerResponse[] };
  const srv = await startServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: Received = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body, json };
      state.received.push(r);
      if (state.hang) {
        state.held.push(res);
        return;
      }
      const a = state.script.shift() ?? handle(r, (problems) => state.rejected.push({ path: r.path, problems }));
      const payload = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
      const type = a.body === undefined ? {} : { 'content-type': typeof a.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' };
      res.writeHead(a.status, { ...type, ...a.headers }).end(payload);
    });
  });
  const fake = srv as FakeProvider;
  fake.received = state.received;
  fake.rejected = state.rejected;
  fake.script = state.script;
  Object.defineProperty(fake, 'hang', { get: () => state.hang, set: (v: boolean) => (state.hang = v) });
  return fake;
}

/** The media type of a request, without parameters. */
export const mediaType = (r: Received) => String(r.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
