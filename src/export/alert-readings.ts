/**
 * Degraded-rule readings for `/metrics` from the alert engine's saved state (what alerting stores
 * after every evaluation, keyed by monitor): per rule whether it holds, and the value, threshold and
 * baseline it last measured.
 */
import type { MonitorAlertState } from '../alerting/engine.js';
import type { AlertRuleReading } from './health-metrics.js';

export function* alertRuleReadings(states: Iterable<[string, unknown]>): Iterable<AlertRuleReading> {
  for (const [monitor, raw] of states) {
    const rules = (raw as Partial<MonitorAlertState> | null)?.rules;
    if (!rules || typeof rules !== 'object') continue;
    for (const [rule, st] of Object.entries(rules)) {
      const last = st?.last ?? undefined;
      yield { monitor, rule, active: !!st?.active, valueMs: last?.actualMs, thresholdMs: last?.thresholdMs, baselineMs: last?.baselineMs, samples: last?.samples };
    }
  }
}
