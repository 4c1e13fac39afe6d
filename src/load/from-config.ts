/**
 * Turns the config (a monitor's `load:` block or a `loads:` entry, plus command-line overrides) into
 * a checked burst job: validated, within the caps, and only against allowlisted hosts.
 */
import { burstSchema, type BurstConfig } from '../config/load-schema.js';
import { checkType } from '../config/check-schema.js';
import { formatPath, monitorId } from '../config/read.js';
import { forEachStep, type Config, type MonitorConfig, type StepConfig } from '../config/schema.js';
import { userStepsMonitor } from './user-steps.js';
import { needsJourney } from './journey-iteration.js';
import type { BurstJob } from './runner.js';
import { BurstRefused, checkAllowedHosts, checkCaps } from './safety.js';
import type { LoadPlan } from './shapes.js';

export type ResolvedBurst = {
  /** Name of the burst (the loads[] entry's name, or the monitor id). */
  name: string;
  monitorKey: string;
  monitor: MonitorConfig;
  burst: BurstConfig;
  plan: LoadPlan;
  job: BurstJob;
};

/** Raw overrides, as a user types them (`--duration 60s`): validated like config. */
export type BurstOverrides = Partial<Record<keyof BurstConfig, unknown>>;

/** Used when neither the monitor nor the command line says how big the burst is. */
const FALLBACK = { users: 10, duration: 30_000 };

export function toPlan(b: BurstConfig, maxUsers: number): LoadPlan {
  if (b.model === 'open') {
    return { model: 'open', arrivalRate: b.arrivalRate!, rampTo: b.rampTo, duration: b.duration, maxUsers: b.maxUsers ?? maxUsers };
  }
  const shape =
    b.shape === 'step' ? { type: 'step' as const, users: b.step!.users, every: b.step!.every } : b.shape === 'spike' ? { type: 'spike' as const, users: b.spike!.users, at: b.spike!.at, for: b.spike!.for } : { type: 'ramp' as const };
  return { model: 'closed', users: b.users!, spawnRate: b.spawnRate, duration: b.duration, shape };
}

function findTarget(config: Config, target: string): { name: string; monitor: MonitorConfig; monitorIndex: number; base: Partial<BurstConfig>; where: string } {
  const li = config.loads.findIndex((l) => l.name === target);
  if (li >= 0) {
    const { name, monitor: key, ...base } = config.loads[li];
    const mi = config.monitors.findIndex((m) => monitorId(m) === key);
    if (mi >= 0 && checkType(config.monitors[mi]) !== 'http') throw new BurstRefused(`loads entry "${name}" names monitor "${key}", a ${config.monitors[mi].type} check: load checks run http journeys`);
    return { name, monitor: config.monitors[mi], monitorIndex: mi, base, where: formatPath(['loads', li]) };
  }
  const mi = config.monitors.findIndex((m) => monitorId(m) === target);
  if (mi < 0) {
    const known = [...config.monitors.map(monitorId), ...config.loads.map((l) => l.name)];
    throw new BurstRefused(`no monitor or loads[] entry named "${target}" (known: ${known.join(', ') || 'none'})`);
  }
  const m = config.monitors[mi];
  if (checkType(m) !== 'http') throw new BurstRefused(`monitor "${target}" is a ${m.type} check: load checks run http journeys`);
  return { name: monitorId(m), monitor: m, monitorIndex: mi, base: m.load ?? FALLBACK, where: formatPath(['monitors', mi, 'load']) };
}

/**
 * The hosts a monitor's requests go to that are known before the run: step URLs written in full,
 * and the baseUrl that paths (and URLs built by templates, such as an extracted link) resolve
 * against. A host that only a template fills in is checked per connection while the burst runs.
 */
function knownTargets(m: MonitorConfig, index: number, userSteps: { steps: StepConfig[]; where: string }[] = []): { url: string; where: string }[] {
  const out: { url: string; where: string }[] = [];
  let relative = false;
  const add = (s: StepConfig, where: () => string) => {
    const origin = /^https?:\/\/[^/?#]*/i.exec(s.url)?.[0];
    if (!origin) relative = true;
    else if (!origin.includes('{{')) out.push({ url: `${origin}/`, where: where() });
  };
  forEachStep(m, (s, path) => add(s, () => formatPath(['monitors', index, ...path, 'url'])));
  for (const u of userSteps) u.steps.forEach((s, i) => add(s, () => `${u.where}[${i}].url`));
  if (relative && m.baseUrl) out.unshift({ url: m.baseUrl, where: formatPath(['monitors', index, 'baseUrl']) });
  return out;
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Validation problems in overrides or the merged definition, as one readable error. */
export class BurstConfigError extends Error {}

/**
 * `overrideName` names an override in messages: the command-line flag by default (`--spawn-rate`),
 * a form field's label on the admin pages.
 */
export function resolveBurst(config: Config, target: string, overrides: BurstOverrides = {}, configName = 'the config', overrideName: (key: string) => string = (k) => `--${kebab(k)}`): ResolvedBurst {
  const t = findTarget(config, target);
  if (t.monitor.browser) throw new BurstRefused(`"${monitorId(t.monitor)}" is a browser monitor: browser journeys cannot run in burst load checks (a real browser per simulated user is too heavy to be honest load); point the burst at an HTTP journey of the same pages`);
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const merged: Record<string, unknown> = { ...t.base, ...given };
  if (given.model === 'open' && given.users === undefined) delete merged.users;
  const parsed = burstSchema.safeParse(merged);
  if (!parsed.success) {
    throw new BurstConfigError(
      parsed.error.issues.map((i) => `${i.path.length && String(i.path[0]) in given ? overrideName(String(i.path[0])) : `${t.where}.${formatPath(i.path)}`}: ${i.message}`).join('\n'),
    );
  }
  const burst = parsed.data;
  const plan = toPlan(burst, config.load.maxUsers);
  checkCaps(plan, config.load);
  // Paths starting with / are relative to the monitor's baseUrl.
  const steps = t.monitor.steps.map((s) => (s.url.startsWith('/') && t.monitor.baseUrl ? { ...s, url: new URL(s.url, t.monitor.baseUrl).toString() } : s));
  const userSteps = (['setup', 'teardown'] as const).filter((k) => burst[k]?.length).map((k) => ({ steps: burst[k]!, where: `${t.where}.${k}` }));
  checkAllowedHosts([...knownTargets(t.monitor, t.monitorIndex, userSteps), ...(burst.poll ? [{ url: burst.poll.url, where: 'poll' in given ? '--poll-url' : `${t.where}.poll.url` }] : [])], config.load.allowHosts, configName);
  if (steps.length === 0 && !t.monitor.personas?.length) throw new BurstRefused(`monitor "${monitorId(t.monitor)}" has no steps to run in a burst`);
  const job: BurstJob = {
    plan,
    monitor: needsJourney(t.monitor) ? { journey: t.monitor } : { steps },
    think: burst.thinkTime,
    poll: burst.poll,
    setup: burst.setup?.length ? userStepsMonitor(t.monitor, burst.setup) : undefined,
    teardown: burst.teardown?.length ? userStepsMonitor(t.monitor, burst.teardown) : undefined,
    thresholds: burst.thresholds,
    abortOnErrorRate: burst.abortOnErrorRate ?? config.load.abortOnErrorRate,
    allowHosts: config.load.allowHosts,
    defaultTimeoutMs: config.scheduler.defaultTimeout,
  };
  return { name: t.name, monitorKey: monitorId(t.monitor), monitor: t.monitor, burst, plan, job };
}

/** Every burst with a cron schedule: monitors' load blocks and loads[] entries. */
export function scheduledBursts(config: Config): { name: string; cron: string }[] {
  return [
    ...config.monitors.filter((m) => m.load?.cron).map((m) => ({ name: monitorId(m), cron: m.load!.cron! })),
    ...config.loads.filter((l) => l.cron).map((l) => ({ name: l.name, cron: l.cron! })),
  ];
}
