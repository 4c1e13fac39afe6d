import { describe, expect, it } from 'vitest';
import { fmtPhase, fmtTimings } from '../../src/web/format.js';

describe('timing display', () => {
  it('shows a phase that did not happen as absent, not as "<1 ms"', () => {
    // An http URL to an IP address on a fresh connection: no DNS, no TLS.
    const t = { dns: 0, connect: 0.4, tls: 0, ttfb: 2.2, download: 0.1, total: 2.8 };
    expect(fmtTimings(t)).toBe('connect <1 ms · TTFB 2 ms · download <1 ms · total 3 ms');
    expect(fmtPhase(0)).toBe('none');
    expect(fmtPhase(0.3)).toBe('<1 ms');
    expect(fmtTimings({ ...t, dns: 12, tls: 31 })).toBe('DNS 12 ms · connect <1 ms · TLS 31 ms · TTFB 2 ms · download <1 ms · total 3 ms');
  });
});
