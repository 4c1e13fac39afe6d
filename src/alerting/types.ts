/** What the rule engine emits and the channels deliver. Plain data, JSON-serialisable (it is stored in the outbox). */
export type AlertEventKind = 'down' | 'degraded' | 'recovered' | 'reminder' | 'test' | 'warning';
/** `certificate`: a certificate expires within the monitor's `alerts.certificate.expiresIn` (a warning, not down). */
export type Condition = 'down' | 'degraded' | 'certificate';

/** The certificate a warning is about: the one of the run that expires first. */
export type CertificateEvidence = { host: string; subject: string; issuer: string; validTo: number; daysLeft: number; expiresInMs: number };

export type FailureEvidence = { step?: string; code?: string; message?: string; status?: number; /** Where it was measured (several locations). */ location?: string };

export type LatencyEvidence = {
  /** The rule as written, e.g. `p95 > 800ms over 10m`. */
  rule: string;
  /** The location whose window this is (rules over several locations). */
  location?: string;
  /** Step name, or null for the whole run. */
  step: string | null;
  /** 0.95 for p95. */
  percentile: number;
  windowMs: number;
  actualMs: number;
  samples: number;
  /** Absolute rule: the line crossed. Relative rule: factor × baseline. */
  thresholdMs: number;
  baselineMs?: number;
  factor?: number;
  /** `7d` or `same hour of week`. */
  baselineLabel?: string;
  /** Samples the baseline was computed from (those still kept: see docs/alerts.md). */
  baselineSamples?: number;
};

export type AlertEvidence = {
  failures?: number;
  /** The locations that saw it failing (several locations). */
  locations?: string[];
  lastFailure?: FailureEvidence;
  latency?: LatencyEvidence;
  /** Worst value seen during the episode (ms for degraded, consecutive failures for down). */
  worst?: number;
  certificate?: CertificateEvidence;
};

export type AlertEvent = {
  /** Unique per event; receivers can use it to drop duplicates (delivery is at-least-once). */
  id: string;
  kind: AlertEventKind;
  /** The episode a recovery or reminder is about. */
  condition: Condition | null;
  at: number;
  monitor: { key: string; name: string; url: string | null };
  /** When the episode started. */
  since: number | null;
  incidentId?: number;
  evidence: AlertEvidence;
  /** Email recipients for this monitor; when absent the channel's own `to` applies. */
  recipients?: string[];
};

export type ValidationResult<O> = { ok: true; value: O } | { ok: false; problems: { path: (string | number)[]; message: string }[] };

/** A delivery channel. One file each under channels/; they never touch the database. */
export type ChannelPlugin<O = unknown> = {
  type: string;
  validate(options: unknown): ValidationResult<O>;
  send(event: AlertEvent, options: O, ctx?: { timeoutMs?: number }): Promise<void>;
};
