/**
 * One colour per meaning, on every page and chart. Pages read these as CSS custom properties
 * (`--c-<name>`, served in /static/palette.css, with a dark variant under
 * `prefers-color-scheme: dark`); the chart scripts read the same properties, so a colour names one
 * thing everywhere: blue is always p50, red is always a failure, never a percentile or a phase.
 */
type Colour = { light: string; dark: string; meaning: string };

export const PALETTE = {
  // States and days (status page bars, badges' meaning, banner).
  up: { light: '#17b26a', dark: '#2fd181', meaning: 'up; a day at or above 99.9% uptime' },
  partial: { light: '#f79009', dark: '#fdb022', meaning: 'degraded; a day with some failures (95% up to 99.9%)' },
  down: { light: '#f04438', dark: '#f97066', meaning: 'down; a day below 95%; failed runs and errors on every chart' },
  none: { light: '#d0d5dd', dark: '#3b4554', meaning: 'no data' },
  // Latency percentiles (monitor charts, sparklines, load charts).
  p50: { light: '#2e90fa', dark: '#53b1fd', meaning: 'p50 (median) latency' },
  p95: { light: '#7a5af8', dark: '#a48afb', meaning: 'p95 latency' },
  p99: { light: '#dd2590', dark: '#f670c7', meaning: 'p99 latency' },
  max: { light: '#98a2b3', dark: '#7d8898', meaning: 'slowest run (drawn dashed)' },
  // Timing phases (the stacked breakdown).
  dns: { light: '#eaaa08', dark: '#fac515', meaning: 'DNS lookup' },
  connect: { light: '#15b79e', dark: '#2ed3b7', meaning: 'TCP connect' },
  tls: { light: '#66c61c', dark: '#85e13a', meaning: 'TLS handshake' },
  ttfb: { light: '#0086c9', dark: '#36bffa', meaning: 'waiting for the first byte (TTFB)' },
  download: { light: '#ef6820', dark: '#f38744', meaning: 'download' },
  // Load runs.
  users: { light: '#475467', dark: '#cfd4dc', meaning: 'simulated users' },
  rps: { light: '#a15c07', dark: '#e9a866', meaning: 'requests per second' },
} as const satisfies Record<string, Colour>;

export type Meaning = keyof typeof PALETTE;

/** The stylesheet: every colour as `--c-<name>`, the dark ones when the system asks for them. */
export function paletteCss(): string {
  const vars = (mode: 'light' | 'dark') =>
    Object.entries(PALETTE)
      .map(([k, v]) => `  --c-${k}: ${v[mode]}; /* ${v.meaning} */`)
      .join('\n');
  return `/* Generated from src/web/palette.ts: one colour per meaning. */\n:root {\n${vars('light')}\n}\n@media (prefers-color-scheme: dark) {\n:root {\n${vars('dark')}\n}\n}\n`;
}
