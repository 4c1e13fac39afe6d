// Copies the non-TypeScript files the compiled build needs next to it: our CSS/JS and the example configs.
import { cpSync, existsSync } from 'node:fs';

cpSync('src/web/static', 'dist/src/web/static', { recursive: true });
cpSync('examples', 'dist/examples', { recursive: true, filter: (src) => !src.endsWith('.ts') });
if (!existsSync('dist/src/cli/index.js')) throw new Error('build output missing: dist/src/cli/index.js');
