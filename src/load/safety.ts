/** Safety rails for bursts: only allowlisted hosts, and caps on users, rate and duration. */
import type { LoadPlan } from './shapes.js';
import { peakRate, peakUsers } from './shapes.js';
import { hostAllowed, hostForms } from '../lang/allow-hosts.js';

export { hostAllowed };

export class BurstRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BurstRefused';
  }
}

export type Caps = { maxUsers: number; maxRate: number; maxDuration: number };

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
