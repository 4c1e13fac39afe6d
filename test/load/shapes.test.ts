import { describe, expect, it } from 'vitest';
import { arrivalTime, arrivalsBy, describePlan, peakUsers, rate, totalArrivals, users, type ClosedPlan, type OpenPlan } from '../../src/load/shapes.js';

const closed = (shape: ClosedPlan['shape'], over: Partial<ClosedPlan> = {}): ClosedPlan => ({ model: 'closed', users: 100, spawnRate: 10, duration: 60_000, shape, ...over });

describe('closed model shapes', () => {
  it('ramp: spawns spawnRate users per second up to the target, then holds; none outside the run', () => {
    const p = closed({ type: 'ramp' });
    expect(users(p, -1)).toBe(0);
    expect(users(p, 0)).toBe(1);
    expect(users(p, 999)).toBe(10);
    expect(users(p, 1000)).toBe(11);
    expect(users(p, 5_000)).toBe(51);
    expect(users(p, 9_950)).toBe(100);
    expect(users(p, 30_000)).toBe(100);
    expect(users(p, 59_999)).toBe(100);
    expect(users(p, 60_000)).toBe(0);
  });

  it('ramp never decreases while running', () => {
    const p = closed({ type: 'ramp' }, { users: 37, spawnRate: 3 });
    let prev = 0;
    for (let t = 0; t < 60_000; t += 250) {
      const u = users(p, t);
      expect(u).toBeGreaterThanOrEqual(prev);
      prev = u;
    }
    expect(prev).toBe(37);
  });

  it('step: +N users every T, each batch spawned at the spawn rate, capped at users', () => {
    const p = closed({ type: 'step', users: 10, every: 30_000 }, { users: 25, spawnRate: 5, duration: 120_000 });
    expect(users(p, 0)).toBe(1);
    expect(users(p, 1_999)).toBe(10);
    expect(users(p, 29_999)).toBe(10);
    expect(users(p, 30_000)).toBe(11);
    expect(users(p, 32_000)).toBe(20);
    expect(users(p, 60_000)).toBe(21);
    expect(users(p, 61_000)).toBe(25); // capped
    expect(users(p, 95_000)).toBe(25);
  });

  it('spike: jumps to N users for T, then back to the base level', () => {
    const p = closed({ type: 'spike', users: 300, at: 20_000, for: 10_000 }, { users: 50, spawnRate: 50 });
    expect(users(p, 19_999)).toBe(50);
    expect(users(p, 20_000)).toBe(300);
    expect(users(p, 29_999)).toBe(300);
    expect(users(p, 30_000)).toBe(50);
    expect(peakUsers(p)).toBe(300);
    expect(describePlan(p)).toContain('spike to 300');
  });
});

describe('open model', () => {
  const flat: OpenPlan = { model: 'open', arrivalRate: 50, duration: 10_000, maxUsers: 100 };
  const ramp: OpenPlan = { model: 'open', arrivalRate: 10, rampTo: 110, duration: 10_000, maxUsers: 100 };

  it('rate is constant or linear between arrivalRate and rampTo', () => {
    expect(rate(flat, 0)).toBe(50);
    expect(rate(flat, 9_999)).toBe(50);
    expect(rate(flat, 10_000)).toBe(0);
    expect(rate(ramp, 0)).toBe(10);
    expect(rate(ramp, 5_000)).toBe(60);
    expect(rate(ramp, 9_000)).toBeCloseTo(100);
  });

  it('arrivals: count is the integral of the rate, and arrival times invert it', () => {
    expect(totalArrivals(flat)).toBe(500);
    expect(totalArrivals(ramp)).toBe(600); // (10 + 110) / 2 × 10 s
    expect(arrivalTime(flat, 0)).toBe(0);
    expect(arrivalTime(flat, 1)).toBeCloseTo(20);
    expect(arrivalTime(flat, 499)).toBeCloseTo(9_980);
    expect(arrivalTime(flat, 500)).toBeUndefined();
    for (const k of [1, 50, 250, 599]) expect(arrivalsBy(ramp, arrivalTime(ramp, k)!)).toBeCloseTo(k, 6);
    // Arrivals per second follow the rate: the last second gets far more than the first.
    const inFirst = [...Array(600).keys()].filter((k) => arrivalTime(ramp, k)! < 1_000).length;
    const inLast = [...Array(600).keys()].filter((k) => arrivalTime(ramp, k)! >= 9_000).length;
    expect(inFirst).toBe(15);
    expect(inLast).toBe(105);
  });

  it('a falling rate works too', () => {
    const down: OpenPlan = { model: 'open', arrivalRate: 100, rampTo: 0, duration: 10_000, maxUsers: 10 };
    expect(totalArrivals(down)).toBe(500);
    expect(arrivalTime(down, 499)).toBeLessThanOrEqual(10_000);
    expect(arrivalTime(down, 250)!).toBeGreaterThan(2_000);
  });
});
