/**
 * Once per test run: a real PostgreSQL cluster on 127.0.0.1 for the suites that run against both
 * stores. Tests read its URL with `inject('pgUrl')`. If it cannot start, the run fails: CI installs
 * the server (.ci/run), and the PostgreSQL suites must run there, not be skipped.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './support/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const cluster = await startPostgres();
  project.provide('pgUrl', cluster.url);
  return () => cluster.stop();
}
