import { describe, expect, it } from 'vitest';
import { evaluateExpect } from '../../src/probes/assert.js';

const seen = { status: 200, body: 'Welcome to Halftime Sports', latencyMs: 120.4 };

describe('evaluateExpect', () => {
  it('accepts any 2xx or 3xx by default and rejects the rest', () => {
    expect(evaluateExpect({}, seen)).toEqual([{ what: 'status', expected: '2xx or 3xx', actual: '200', pass: true }]);
    expect(evaluateExpect({}, { ...seen, status: 399 })[0].pass).toBe(true);
    expect(evaluateExpect({}, { ...seen, status: 404 })[0]).toEqual({ what: 'status', expected: '2xx or 3xx', actual: '404', pass: false });
    expect(evaluateExpect({}, { ...seen, status: 199 })[0].pass).toBe(false);
  });

  it('checks the listed statuses only', () => {
    expect(evaluateExpect({ status: [201, 202] }, seen)[0]).toEqual({ what: 'status', expected: '201 or 202', actual: '200', pass: false });
    expect(evaluateExpect({ status: [404] }, { ...seen, status: 404 })[0].pass).toBe(true);
  });

  it('keeps one piece of evidence per body check', () => {
    expect(evaluateExpect({ bodyContains: ['Welcome', 'Goodbye'], bodyNotContains: ['Error'] }, seen).slice(1)).toEqual([
      { what: 'body contains', expected: '"Welcome"', actual: 'found', pass: true },
      { what: 'body contains', expected: '"Goodbye"', actual: 'not found', pass: false },
      { what: 'body does not contain', expected: '"Error"', actual: 'not found', pass: true },
    ]);
  });

  it('shortens long needles in the evidence', () => {
    const needle = 'x'.repeat(200);
    const [, ev] = evaluateExpect({ bodyContains: [needle] }, seen);
    expect(ev.expected).toBe(JSON.stringify('x'.repeat(77) + '...'));
    expect(ev.pass).toBe(false);
  });

  it('checks latency against the limit, inclusive', () => {
    expect(evaluateExpect({ maxLatency: 100 }, seen)[1]).toEqual({ what: 'latency', expected: '<= 100 ms', actual: '120 ms', pass: false });
    expect(evaluateExpect({ maxLatency: 200 }, seen)[1].pass).toBe(true);
    expect(evaluateExpect({ maxLatency: 120 }, { ...seen, latencyMs: 120 })[1].pass).toBe(true);
  });
});
