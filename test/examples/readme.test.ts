import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The YAML blocks under one README heading. */
function yamlBlocks(heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 5);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('README examples', () => {
  it('the journey in "Writing a journey" is a valid config', () => {
    const blocks = yamlBlocks('Writing a journey');
    expect(blocks.length).toBeGreaterThan(0);
    const { config } = parseConfigText(blocks[0], 'README.md', {});
    expect(config.monitors[0].personas?.map((p) => p.name)).toEqual(['browser', 'buyer']);
  });

  it('the config reference in "Monitoring your own app" is valid with its secret set', () => {
    const [block] = yamlBlocks('Monitoring your own app');
    const { config } = parseConfigText(block, 'README.md', { CHECKOUT_TOKEN: 't0ken-value' });
    expect(config.monitors[0].steps[0].expect.maxLatency).toBe(800);
  });
});
