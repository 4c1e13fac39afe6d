import type { HttpStepInput } from '../../src/probes/http-step.js';
import { createSession, type Session, type SessionOptions } from '../../src/probes/session.js';

/** A step as the run loop passes it, with the schema's defaults; override what a test needs. */
export function stepInput(url: string, over: Partial<HttpStepInput> = {}): HttpStepInput {
  return {
    index: 0,
    name: 'step',
    method: 'GET',
    url,
    headers: {},
    timeoutMs: 5_000,
    followRedirects: true,
    maxRedirects: 10,
    maxBodyBytes: 10 * 1024 * 1024,
    expect: {},
    ...over,
  };
}

/** Sessions opened by a test file, closed together in `afterEach`. */
export function sessionPool() {
  const open: Session[] = [];
  return {
    session(opts?: SessionOptions): Session {
      const s = createSession(opts);
      open.push(s);
      return s;
    },
    async closeAll() {
      await Promise.all(open.splice(0).map((s) => s.close()));
    },
  };
}
