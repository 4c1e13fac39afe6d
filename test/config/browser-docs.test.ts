/** docs/browser.md cannot drift: its monitor example parses, with its degraded rules on vitals. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/configure.js';

const doc = readFileSync(join(import.meta.dirname, '../../docs/browser.md'), 'utf8');
const yamlBlocks = [...doc.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

describe('docs/browser.md', () => {
  it('its monitor example is a valid browser monitor, and its alert rules parse', () => {
    const [monitor, , alerts] = yamlBlocks;
    const { config } = parseConfigText(monitor, 'docs/browser.md', { SHOP_USER: 'a@example.com', SHOP_PASSWORD: 'pa55word' });
    const m = config.monitors[0];
    expect(m.browser?.steps.map((s) => s.name ?? Object.keys(s).find((k) => k !== 'alwaysRun'))).toEqual(['goto', 'fill', 'fill', 'sign in', 'waitFor', 'expect', 'extract', 'sign out']);
    const withRules = `${monitor.replace(/\n$/, '')}\n${alerts}`;
    const rules = parseConfigText(withRules, 'docs/browser.md', { SHOP_USER: 'a@example.com', SHOP_PASSWORD: 'pa55word' }).config.monitors[0].alerts?.degraded ?? [];
    expect(rules).toHaveLength(4);
  });
});
