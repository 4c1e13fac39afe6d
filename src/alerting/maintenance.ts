import { createTask } from 'node-cron';
import type { MaintenanceWindowConfig } from '../config/alerts-schema.js';

export type MaintenancePeriod = { name: string; monitors: string[] | null; start: number; end: number };

export type MaintenanceCalendar = {
  /** The window covering this monitor at `now`, if any. */
  activeFor(monitorKey: string, now: number): MaintenancePeriod | null;
  /** Windows active now or starting within `horizonMs` (for the status page). */
  upcoming(now: number, horizonMs?: number): MaintenancePeriod[];
};

const MINUTE = 60_000;

type Recurring = { name: string; monitors: string[] | null; durationMs: number; matches: (t: number) => boolean };

/** Turns the configured windows into a calendar. Recurring windows start at each cron match (minute precision) and last `duration`. */
export function createMaintenanceCalendar(windows: MaintenanceWindowConfig[]): MaintenanceCalendar {
  const oneOff: MaintenancePeriod[] = [];
  const recurring: Recurring[] = [];
  windows.forEach((w, i) => {
    const name = w.name ?? `maintenance ${i + 1}`;
    const monitors = w.monitors ?? null;
    if ('cron' in w) {
      // node-cron's own matcher, timezone-aware; the task is never started.
      const task = createTask(w.cron, () => undefined, { timezone: w.timezone });
      void task.destroy();
      recurring.push({ name, monitors, durationMs: w.duration, matches: (t) => task.match(new Date(t)) });
    } else {
      oneOff.push({ name, monitors, start: w.start, end: w.end });
    }
  });

  // Latest start of a recurring window in (now - duration, now], scanned minute by minute and memoised per minute.
  const memo = new Map<Recurring, { minute: number; start: number | null }>();
  function currentStart(r: Recurring, now: number): number | null {
    const minute = Math.floor(now / MINUTE) * MINUTE;
    const hit = memo.get(r);
    if (hit && hit.minute === minute) return hit.start;
    let start: number | null = null;
    for (let t = minute; t > now - r.durationMs; t -= MINUTE) {
      if (r.matches(t)) {
        start = t;
        break;
      }
    }
    memo.set(r, { minute, start });
    return start;
  }

  const covers = (monitors: string[] | null, key: string) => monitors === null || monitors.includes(key);

  return {
    activeFor(monitorKey, now) {
      for (const w of oneOff) if (covers(w.monitors, monitorKey) && w.start <= now && now < w.end) return w;
      for (const r of recurring) {
        if (!covers(r.monitors, monitorKey)) continue;
        const start = currentStart(r, now);
        if (start !== null) return { name: r.name, monitors: r.monitors, start, end: start + r.durationMs };
      }
      return null;
    },
    upcoming(now, horizonMs = 86_400_000) {
      const out: MaintenancePeriod[] = oneOff.filter((w) => w.end > now && w.start < now + horizonMs);
      for (const r of recurring) {
        const start = currentStart(r, now);
        if (start !== null) {
          out.push({ name: r.name, monitors: r.monitors, start, end: start + r.durationMs });
          continue;
        }
        const first = Math.ceil(now / MINUTE) * MINUTE;
        for (let t = first; t < now + horizonMs; t += MINUTE) {
          if (r.matches(t)) {
            out.push({ name: r.name, monitors: r.monitors, start: t, end: t + r.durationMs });
            break;
          }
        }
      }
      return out.sort((a, b) => a.start - b.start);
    },
  };
}
