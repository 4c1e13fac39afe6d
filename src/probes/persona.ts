import type { PersonaConfig } from '../config/journey-schema.js';
import type { MonitorConfig, StepConfig } from '../config/schema.js';
import type { Rng } from './random.js';

/** One step of a planned journey, with the task it belongs to and where it is in the config. */
export type PlannedStep = { step: StepConfig; task?: string; think?: { min: number; max: number } };

export type JourneyPlan = { persona?: string; tasks: string[]; steps: PlannedStep[] };

/** Picks a persona by weight. */
export function pickPersona(personas: PersonaConfig[], rng: Rng): PersonaConfig {
  return personas[rng.weighted(personas.map((p) => p.weight))];
}

/**
 * What one run does: the monitor's steps, or a persona picked by weight — its steps, then
 * `iterations` tasks picked by weight (like Locust's @task(n)), then its `after` steps.
 */
export function planJourney(monitor: MonitorConfig, rng: Rng): JourneyPlan {
  if (!monitor.personas) return { tasks: [], steps: monitor.steps.map((step) => ({ step, think: monitor.think })) };
  const p = pickPersona(monitor.personas, rng);
  const think = p.think ?? monitor.think;
  const steps: PlannedStep[] = p.steps.map((step) => ({ step, think }));
  const tasks: string[] = [];
  if (p.tasks.length > 0) {
    const weights = p.tasks.map((t) => t.weight);
    for (let i = 0; i < p.iterations; i++) {
      const t = p.tasks[rng.weighted(weights)];
      tasks.push(t.name);
      steps.push(...t.steps.map((step) => ({ step, task: t.name, think })));
    }
  }
  steps.push(...p.after.map((step) => ({ step, think })));
  return { persona: p.name, tasks, steps };
}
