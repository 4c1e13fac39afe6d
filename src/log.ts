/** One-line logs: `2026-11-26T16:00:00.000Z info message key=value`. Secrets are redacted before printing. */
export type Logger = {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
};

export function createLogger(opts: { redact?: (s: string) => string; quiet?: boolean; write?: (line: string) => void } = {}): Logger {
  const redact = opts.redact ?? ((s) => s);
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const fmt = (v: unknown) => {
    const s = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
    return /[\s"=]/.test(s) ? JSON.stringify(s) : s;
  };
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (opts.quiet && level === 'info') return;
    const extra = Object.entries(fields).map(([k, v]) => `${k}=${fmt(v)}`).join(' ');
    write(redact(`${new Date().toISOString()} ${level} ${msg}${extra ? ' ' + extra : ''}`));
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
