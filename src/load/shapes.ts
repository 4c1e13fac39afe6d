/**
 * Load shapes as pure functions of time since the burst started (milliseconds).
 *
 * Closed model: a number of simulated users, each running iterations one after another with think
 * times in between. `users(plan, t)` is how many should be running at `t`.
 * Open model: iterations arrive at a rate (per second), whether or not earlier ones finished.
 * `rate(plan, t)` is the arrival rate at `t`; `arrivalTime(plan, k)` is when the k-th arrival is due.
 */

export type ClosedShape =
  | { type: 'ramp' }
  /** Adds `users` simulated users every `every` ms (each batch spawned at the spawn rate), up to the plan's users. */
  | { type: 'step'; users: number; every: number }
  /** Ramps to the plan's users; from `at` for `for` ms jumps to `users`, then back. */
  | { type: 'spike'; users: number; at: number; for: number };

export type ClosedPlan = {
  model: 'closed';
  /** Users at full load. */
  users: number;
  /** New users started per second while ramping. */
  spawnRate: number;
  duration: number;
  shape: ClosedShape;
};

export type OpenPlan = {
  model: 'open';
  /** Iterations started per second at t = 0. */
  arrivalRate: number;
  /** Rate reached at the end, linearly (default: stays at arrivalRate). */
  rampTo?: number;
  duration: number;
  /** Most iterations in flight at once (each needs a simulated user); later arrivals wait and their wait counts. */
  maxUsers: number;
};

export type LoadPlan = ClosedPlan | OpenPlan;

/** Users that a ramp at `spawnRate`/s, started at 0 and aiming at `target`, has spawned `dt` ms in. */
function ramped(target: number, spawnRate: number, dt: number): number {
  if (dt < 0 || target <= 0) return 0;
  return Math.min(target, Math.floor((dt * spawnRate) / 1000) + 1);
}

/** Simulated users that should be running at `t` ms (0 before the start and from the end on). */
export function users(plan: ClosedPlan, t: number): number {
  if (t < 0 || t >= plan.duration) return 0;
  const s = plan.shape;
  switch (s.type) {
    case 'ramp':
      return ramped(plan.users, plan.spawnRate, t);
    case 'step': {
      const level = Math.floor(t / s.every);
      const base = Math.min(plan.users, s.users * level);
      const target = Math.min(plan.users, s.users * (level + 1));
      if (base >= target) return base;
      return base + ramped(target - base, plan.spawnRate, t - level * s.every);
    }
    case 'spike':
      if (t >= s.at && t < s.at + s.for) return s.users;
      return ramped(plan.users, plan.spawnRate, t);
  }
}

/** The most users the plan ever asks for. */
export function peakUsers(plan: ClosedPlan): number {
  return plan.shape.type === 'spike' ? Math.max(plan.users, plan.shape.users) : plan.users;
}

/** Arrivals per second at `t` ms (0 outside the run). */
export function rate(plan: OpenPlan, t: number): number {
  if (t < 0 || t >= plan.duration) return 0;
  const to = plan.rampTo ?? plan.arrivalRate;
  return plan.arrivalRate + ((to - plan.arrivalRate) * t) / plan.duration;
}

export function peakRate(plan: OpenPlan): number {
  return Math.max(plan.arrivalRate, plan.rampTo ?? plan.arrivalRate);
}

/** Arrivals due in [0, t] ms: the integral of the rate. */
export function arrivalsBy(plan: OpenPlan, t: number): number {
  const tt = Math.min(Math.max(t, 0), plan.duration) / 1000;
  const a = plan.arrivalRate;
  const b = ((plan.rampTo ?? a) - a) / (plan.duration / 1000);
  return a * tt + (b * tt * tt) / 2;
}

/** Total arrivals of the run. */
export function totalArrivals(plan: OpenPlan): number {
  return Math.floor(arrivalsBy(plan, plan.duration) + 1e-9);
}

/**
 * Intended start (ms since the start) of arrival `k` (0-based), spacing arrivals evenly under the
 * rate: the time at which `k` arrivals were due. Undefined past the end.
 */
export function arrivalTime(plan: OpenPlan, k: number): number | undefined {
  if (k < 0 || k >= totalArrivals(plan)) return undefined;
  const a = plan.arrivalRate;
  const b = ((plan.rampTo ?? a) - a) / (plan.duration / 1000);
  let s: number;
  if (Math.abs(b) < 1e-12) s = k / a;
  else {
    // b/2·s² + a·s − k = 0, the root that starts at 0.
    const disc = a * a + 2 * b * k;
    s = disc <= 0 ? plan.duration / 1000 : (-a + Math.sqrt(disc)) / b;
  }
  return Math.min(s * 1000, plan.duration);
}

/** Short human description: "ramp to 200 users at 10/s for 60 s", "20 → 100 arrivals/s for 60 s". */
export function describePlan(plan: LoadPlan): string {
  const secs = `${+(plan.duration / 1000).toFixed(1)} s`;
  if (plan.model === 'open') {
    const to = plan.rampTo ?? plan.arrivalRate;
    return `${to === plan.arrivalRate ? plan.arrivalRate : `${plan.arrivalRate} → ${to}`} arrivals/s for ${secs} (at most ${plan.maxUsers} users)`;
  }
  const s = plan.shape;
  if (s.type === 'ramp') return `ramp to ${plan.users} users at ${plan.spawnRate}/s for ${secs}`;
  if (s.type === 'step') return `+${s.users} users every ${+(s.every / 1000).toFixed(1)} s up to ${plan.users} (spawn ${plan.spawnRate}/s) for ${secs}`;
  return `${plan.users} users, spike to ${s.users} at ${+(s.at / 1000).toFixed(1)} s for ${+(s.for / 1000).toFixed(1)} s, ${secs} in all`;
}
