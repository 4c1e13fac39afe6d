/** One-line logs: `2026-11-26T16:00:00.000Z info message key=value`. Secrets are redacted as values, before anything is formatted. */
import { NO_REDACTION, type Redactor } from './lang/redact.js';

export type Logger = {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
};

export function createLogger(opts: { redact?: Redactor; quiet?: boolean; write?: (line: string) => void } = {}): Logger {
  const redact = opts.redact ?? NO_REDACTION;
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const fmt = (v: unknown) => {
    const s = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
    return /[\s"=]/.test(s) ? JSON.stringify(s) : s;
  };
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (opts.quiet && level === 'info') return;
    const safe = redact.value(fields);
    const extra = Object.entries(safe).map(([k, v]) => `${k}=${fmt(v)}`).join(' ');
    write(`${new Date().toISOString()} ${level} ${redact(msg)}${extra ? ' ' + extra : ''}`);
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
