/** Alert events as the rule engine emits them, with a monitor name that needs escaping in every format. */
import type { AlertEvent } from '../../../src/alerting/types.js';

export const T0 = Date.parse('2026-11-23T10:00:00Z');
export const MONITOR_URL = 'https://status.example.com/#monitor-checkout';
/** Markup and markdown characters, an ampersand, a mention and a non-ASCII letter. */
export const TRICKY_NAME = 'Shop <b>&</b> *beta* _v2_ @everyone Café';

const monitor = { key: 'checkout', name: TRICKY_NAME, url: MONITOR_URL };
const lastFailure = { step: 'pay', code: 'status', message: 'expected status 200, got 503 (<html> & more)', status: 503 };

export const downEvent: AlertEvent = { id: 'evt-down-1', kind: 'down', condition: 'down', at: T0 + 120_000, since: T0, monitor, evidence: { failures: 3, lastFailure, worst: 3 } };

export const reminderEvent: AlertEvent = { ...downEvent, id: 'evt-remind-1', kind: 'reminder', at: T0 + 3_720_000, evidence: { failures: 61, lastFailure, worst: 61 } };

export const recoveredEvent: AlertEvent = { ...downEvent, id: 'evt-up-1', kind: 'recovered', at: T0 + 4_000_000, evidence: { failures: 61, lastFailure, worst: 61 } };

export const degradedEvent: AlertEvent = {
  id: 'evt-slow-1',
  kind: 'degraded',
  condition: 'degraded',
  at: T0 + 600_000,
  since: T0 + 600_000,
  monitor,
  evidence: {
    latency: { rule: 'p95 over 10m > 2x baseline 7d', step: 'pay', percentile: 0.95, windowMs: 600_000, actualMs: 1900, samples: 20, thresholdMs: 840, baselineMs: 420, factor: 2, baselineLabel: 'previous 7d', baselineSamples: 40213 },
    worst: 1900,
  },
};

export const degradedRecovered: AlertEvent = { ...degradedEvent, id: 'evt-fast-1', kind: 'recovered', at: T0 + 1_800_000 };

export const testEvent: AlertEvent = { id: 'evt-test-1', kind: 'test', condition: null, at: T0, since: null, monitor: { key: 'shop', name: 'Shop status', url: 'https://status.example.com/#monitor-shop' }, evidence: {} };

/** Every kind of message, in the order a real incident sends them. */
export const allEvents = [downEvent, reminderEvent, recoveredEvent, degradedEvent, degradedRecovered, testEvent];

/** Longer than any provider allows: a long monitor name and a failure message of 20 000 characters. */
export const hugeEvent: AlertEvent = {
  ...downEvent,
  id: 'evt-huge-1',
  monitor: { ...monitor, name: 'Checkout <&> '.repeat(30) },
  evidence: { failures: 2, lastFailure: { ...lastFailure, message: 'body did not match: <div class="x">&nbsp;</div> '.repeat(400) }, worst: 2 },
};
