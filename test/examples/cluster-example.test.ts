/**
 * examples/compose.yaml (with examples/cluster.yaml): the Compose file a newcomer starts several nodes with. Its config is valid, every
 * halftime service reaches the same PostgreSQL service through HALFTIME_DATABASE_URL, its locations
 * are the config's, and exactly one node (the published one) is a web node.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/configure.js';

const dir = fileURLToPath(new URL('../../examples/', import.meta.url));

type Service = { build?: string; image?: string; environment?: Record<string, string>; ports?: string[]; volumes?: string[]; depends_on?: Record<string, unknown> };

describe('examples/compose.yaml', () => {
  const compose = parse(readFileSync(`${dir}compose.yaml`, 'utf8'), { merge: true }) as { services: Record<string, Service> };
  const { config } = loadConfigFile(`${dir}cluster.yaml`);
  const nodes = Object.entries(compose.services).filter(([, s]) => s.build);

  it('has a valid config with the locations the nodes use', () => {
    const used = new Set(nodes.map(([, s]) => s.environment?.HALFTIME_LOCATION).filter(Boolean));
    expect([...used].sort()).toEqual([...(config.locations ?? [])].sort());
    expect(config.alerts?.defaults.down.locations).toBe(2);
  });

  it('points every node at the PostgreSQL service, with its config mounted', () => {
    expect(compose.services.postgres.image).toMatch(/^postgres:/);
    // Built from the checkout (the folder with the Dockerfile).
    for (const [, s] of nodes) expect(s.build).toBe('..');
    expect(nodes.length).toBeGreaterThanOrEqual(3);
    for (const [name, s] of nodes) {
      expect(s.environment?.HALFTIME_DATABASE_URL, name).toMatch(/^postgres:\/\/halftime:.*@postgres:5432\/halftime$/);
      expect(s.environment?.HALFTIME_CONFIG, name).toBe('/config/halftime.yaml');
      expect(s.volumes, name).toContain('./cluster.yaml:/config/halftime.yaml:ro');
      expect(s.depends_on, name).toHaveProperty('postgres');
    }
  });

  it('publishes one web node, on loopback', () => {
    const web = nodes.filter(([, s]) => s.environment?.HALFTIME_ROLE === 'web');
    expect(web.map(([n]) => n)).toEqual(['web']);
    expect(web[0][1].ports).toEqual(['127.0.0.1:3000:3000']);
    expect(nodes.filter(([, s]) => s.ports).map(([n]) => n)).toEqual(['web']);
  });
});
