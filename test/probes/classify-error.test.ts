import { describe, expect, it } from 'vitest';
import { classifyError, internalFailure } from '../../src/probes/classify-error.js';
import { HeadersTooLarge } from '../../src/probes/exchange.js';

const ctx = { timedOut: false, timeoutMs: 5_000, host: 'shop.example.test' };

/** An error shaped as Node's getaddrinfo failures are (errno, syscall, hostname). */
function getaddrinfoError(code: string, hostname = 'shop.example.test') {
  return Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code, errno: code === 'ENOTFOUND' ? -3008 : -3001, syscall: 'getaddrinfo', hostname });
}

function sysError(code: string, message: string) {
  return Object.assign(new Error(message), { code });
}

describe('classifyError', () => {
  it('classifies a DNS failure wrapped as fetch wraps it', () => {
    const err = new TypeError('fetch failed', { cause: getaddrinfoError('ENOTFOUND') });
    expect(classifyError(err, ctx)).toEqual({ code: 'dns', message: 'DNS lookup failed for shop.example.test (ENOTFOUND)' });
  });

  it('classifies a temporary resolver failure as dns', () => {
    expect(classifyError(getaddrinfoError('EAI_AGAIN'), ctx)).toEqual({ code: 'dns', message: 'DNS lookup failed for shop.example.test (EAI_AGAIN)' });
  });

  it('looks inside AggregateErrors (happy eyeballs tried several addresses)', () => {
    const err = new AggregateError([sysError('ECONNREFUSED', 'connect ECONNREFUSED ::1:80'), sysError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:80')], 'connect failed');
    expect(classifyError(err, ctx)).toEqual({ code: 'refused', message: 'connection refused by shop.example.test (ECONNREFUSED)' });
  });

  it('says timeout when the step timed out, whatever the error', () => {
    const err = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classifyError(err, { ...ctx, timedOut: true, timeoutMs: 750 })).toEqual({ code: 'timeout', message: 'no complete response within 750 ms' });
  });

  it('says aborted for an outside stop, whether an AbortError or a timeout signal of an outer scope', () => {
    expect(classifyError(new DOMException('This operation was aborted', 'AbortError'), ctx).code).toBe('aborted');
    expect(classifyError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), ctx).code).toBe('aborted');
  });

  it('classifies undici timeouts as timeout', () => {
    expect(classifyError(sysError('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error'), ctx)).toEqual({ code: 'timeout', message: 'timed out talking to shop.example.test (UND_ERR_CONNECT_TIMEOUT)' });
  });

  it('classifies certificate problems as tls and keeps the reason', () => {
    expect(classifyError(sysError('CERT_HAS_EXPIRED', 'certificate has expired'), ctx)).toEqual({
      code: 'tls',
      message: 'TLS handshake with shop.example.test failed: certificate has expired (CERT_HAS_EXPIRED)',
    });
    expect(classifyError(sysError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), ctx).code).toBe('tls');
  });

  it('classifies resets and unreachable hosts', () => {
    expect(classifyError(sysError('UND_ERR_SOCKET', 'other side closed'), ctx).code).toBe('reset');
    expect(classifyError(new TypeError('fetch failed', { cause: sysError('ECONNRESET', 'read ECONNRESET') }), ctx).code).toBe('reset');
    expect(classifyError(sysError('EHOSTUNREACH', 'connect EHOSTUNREACH'), ctx)).toEqual({ code: 'network', message: 'shop.example.test is unreachable (EHOSTUNREACH)' });
  });

  it('falls back to network with the original message', () => {
    expect(classifyError(new Error('something odd'), ctx)).toEqual({ code: 'network', message: 'request failed: something odd' });
    expect(classifyError('a string', ctx)).toEqual({ code: 'network', message: 'request failed: a string' });
  });

  it('survives a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(classifyError(a, ctx)).toEqual({ code: 'network', message: 'request failed: a' });
  });

  it('classifies what is not usable HTTP as protocol, with the parser\'s reason', () => {
    const parser = Object.assign(new Error('Response does not match the HTTP/1.1 protocol (Invalid header token)'), { name: 'HTTPParserError' });
    expect(classifyError(parser, ctx)).toEqual({ code: 'protocol', message: 'shop.example.test sent a response that is not valid HTTP/1.1: invalid header token' });
    expect(classifyError(sysError('UND_ERR_HEADERS_OVERFLOW', 'Headers Overflow Error'), ctx)).toEqual({
      code: 'protocol',
      message: 'shop.example.test sent response headers larger than halftime accepts (16 KiB) (UND_ERR_HEADERS_OVERFLOW)',
    });
    expect(classifyError(new HeadersTooLarge('response headers larger than 16384 bytes'), ctx)).toEqual({ code: 'protocol', message: 'shop.example.test sent response headers larger than halftime accepts (16 KiB)' });
    expect(classifyError(sysError('UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'Response body length does not match content-length header'), ctx).code).toBe('protocol');
    expect(classifyError(sysError('UND_ERR_SOCKET', 'bad response'), ctx).code).toBe('protocol');
  });

  it('classifies a request undici refuses to send as config', () => {
    expect(classifyError(sysError('UND_ERR_INVALID_ARG', 'invalid x-token header'), ctx)).toEqual({ code: 'config', message: 'the request could not be sent: invalid x-token header (UND_ERR_INVALID_ARG)' });
  });

  it('names a failure of halftime itself as internal', () => {
    expect(internalFailure(new TypeError('x is not a function'))).toEqual({
      code: 'internal',
      message: 'halftime failed while running this step (TypeError: x is not a function); this is a bug in halftime, please report it',
    });
    expect(internalFailure('plain').message).toContain('(plain)');
  });
});
