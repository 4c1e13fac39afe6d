/** Safety rails for bursts: only allowlisted hosts, and caps on users, rate and duration. */
import type { LoadPlan } from './shapes.js';
import { peakRate, peakUsers } from './shapes.js';

export class BurstRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BurstRefused';
  }
}

export type Caps = { maxUsers: number; maxRate: number; maxDuration: number };

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** `host` and `host:port` forms of a URL, lowercase (IPv6 in brackets). */
function hostForms(url: string): { host: string; hostPort: string } {
  const u = new URL(url);
  const host = u.hostname.toLowerCase();
  return { host, hostPort: `${host}:${u.port || DEFAULT_PORT[u.protocol] || ''}` };
}

/** True when the URL's host is on the list: an entry `host` allows any port, `host:port` only that port. */
export function hostAllowed(url: string, allowHosts: readonly string[]): boolean {
  let forms;
  try {
    forms = hostForms(url);
  } catch {
    return false;
  }
  return allowHosts.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e === forms.host || e === forms.hostPort;
  });
}

/**
 * Refuses a burst when any target URL's host is not on `load.allowHosts`. `targets` pairs each URL
 * with where it came from (a config path), so the message can point at it.
 */
export function checkAllowedHosts(targets: { url: string; where: string }[], allowHosts: readonly string[], configName = 'the config'): void {
  for (const t of targets) {
    if (hostAllowed(t.url, allowHosts)) continue;
    let host = t.url;
    try {
      host = hostForms(t.url).hostPort;
    } catch {
      /* keep the raw text */
    }
    const list = allowHosts.length ? `it allows only: ${allowHosts.join(', ')}` : 'the list is empty';
    throw new BurstRefused(
      `refusing to send a burst to ${host} (${t.where}): that host is not in load.allowHosts of ${configName} (${list}). ` +
        `Bursts only go to hosts you list there on purpose; add "${host}" to load.allowHosts if this is your own system.`,
    );
  }
}

/** Refuses a plan that asks for more users, a higher rate or a longer run than the caps allow. */
export function checkCaps(plan: LoadPlan, caps: Caps): void {
  const over = (what: string, asked: number, cap: number, key: string) =>
    new BurstRefused(`refusing a burst of ${asked} ${what}: above the cap of ${cap} (load.${key}); raise load.${key} in the config to allow it`);
  if (plan.duration > caps.maxDuration) throw over('ms', plan.duration, caps.maxDuration, 'maxDuration');
  if (plan.model === 'closed') {
    if (peakUsers(plan) > caps.maxUsers) throw over('users', peakUsers(plan), caps.maxUsers, 'maxUsers');
  } else {
    if (plan.maxUsers > caps.maxUsers) throw over('users', plan.maxUsers, caps.maxUsers, 'maxUsers');
    if (peakRate(plan) > caps.maxRate) throw over('arrivals/s', peakRate(plan), caps.maxRate, 'maxRate');
  }
}
