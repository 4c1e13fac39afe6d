import type { DegradedRule } from '../config/alerts-schema.js';
import type { Config, MonitorConfig } from '../config/schema.js';

/** The alert settings that apply to one monitor, defaults filled in. */
export type MonitorAlertRules = {
  enabled: boolean;
  channels: string[];
  recipients?: string[];
  down: { after: number; recoverAfter: number; locations: number };
  degraded: DegradedRule[];
  reminderEveryMs: number | null;
  /** Warn when a certificate expires within this (ms); null: no certificate warning. */
  certificateMs: number | null;
};

export function resolveMonitorAlerts(config: Config, m: MonitorConfig): MonitorAlertRules {
  const a = config.alerts;
  const defaults = a?.defaults ?? { down: { after: 2, recoverAfter: 1, locations: 1 }, reminderEvery: null, channels: undefined, certificate: undefined };
  const allChannels = Object.keys(a?.channels ?? {});
  if (m.alerts?.enabled === false) return { enabled: false, channels: [], down: defaults.down, degraded: [], reminderEveryMs: null, certificateMs: null };
  const own = m.alerts;
  return {
    enabled: true,
    channels: own?.channels ?? defaults.channels ?? allChannels,
    recipients: own?.to,
    down: own?.down ?? defaults.down,
    degraded: own?.degraded ?? [],
    reminderEveryMs: own?.reminderEvery !== undefined ? own.reminderEvery : defaults.reminderEvery,
    certificateMs: (own?.certificate ?? defaults.certificate)?.expiresIn ?? null,
  };
}

/** Rule state is keyed by what the rule says, so reordering rules in the config keeps their state. */
export function ruleKey(r: DegradedRule): string {
  return `${r.text}${r.step ? ` @${r.step}` : ''}`;
}
