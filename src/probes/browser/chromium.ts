/**
 * The system Chromium (Debian's `chromium`, or any Chrome) that browser monitors drive through
 * playwright-core: where it is, whether it is there, and the flags it is started with. halftime never
 * downloads a browser.
 */
import { accessSync, constants, statSync } from 'node:fs';

/** The binary: HALFTIME_CHROMIUM, else the config's `browser.chromium` (default /usr/bin/chromium). */
export const chromiumPath = (configured: string, env: NodeJS.ProcessEnv = process.env) => env.HALFTIME_CHROMIUM || configured;

/**
 * Headless, on a closed network: no sandbox (halftime may run as root in a container; the pages are the
 * user's own app), no GPU, none of Chromium's own background traffic (updates, sync, safe browsing,
 * field trials), no first-run UI. Playwright adds a fresh, temporary user-data dir per browser.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-quic',
  '--metrics-recording-only',
  '--disable-dev-shm-usage',
  '--disable-breakpad',
];

/** Why Chromium cannot be started from `path` (a sentence for the log, /healthz and the run), or undefined when it can. */
export function chromiumProblem(path: string): string | undefined {
  const hint = 'install it (Debian/Ubuntu: apt-get install chromium; the Docker image: build with --build-arg BROWSER=1) or set browser.chromium / HALFTIME_CHROMIUM to a Chromium or Chrome binary';
  try {
    if (!statSync(path).isFile()) return `Chromium not found at ${path} (not a file): ${hint}`;
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EACCES' ? `Chromium at ${path} is not executable: ${hint}` : `Chromium not found at ${path}: ${hint}`;
  }
}
