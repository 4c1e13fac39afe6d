import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { paletteCss } from './palette.js';

const require = createRequire(import.meta.url);

type Asset = { body: Buffer; type: string };

/** Files served under /static: our own CSS and the vendored libraries, straight from node_modules (never a CDN). */
export function loadStaticAssets(): Map<string, Asset> {
  const own = (name: string) => fileURLToPath(new URL(`./static/${name}`, import.meta.url));
  const files: [string, string, string][] = [
    ['style.css', own('style.css'), 'text/css; charset=utf-8'],
    ['chart-kit.js', own('chart-kit.js'), 'text/javascript; charset=utf-8'],
    ['status.js', own('status.js'), 'text/javascript; charset=utf-8'],
    ['copy.js', own('copy.js'), 'text/javascript; charset=utf-8'],
    ['load.css', own('load.css'), 'text/css; charset=utf-8'],
    ['load-run.js', own('load-run.js'), 'text/javascript; charset=utf-8'],
    ['load-compare.js', own('load-compare.js'), 'text/javascript; charset=utf-8'],
    ['monitor-chart.js', own('monitor-chart.js'), 'text/javascript; charset=utf-8'],
    ['admin.css', own('admin.css'), 'text/css; charset=utf-8'],
    ['htmx.min.js', require.resolve('htmx.org/dist/htmx.min.js'), 'text/javascript; charset=utf-8'],
    ['htmx-ext-sse.min.js', require.resolve('htmx-ext-sse/dist/sse.min.js'), 'text/javascript; charset=utf-8'],
    ['uPlot.iife.min.js', require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  const assets = new Map(files.map(([name, path, type]) => [name, { body: readFileSync(path), type }]));
  // The colours of every meaning, from one module (palette.ts).
  assets.set('palette.css', { body: Buffer.from(paletteCss()), type: 'text/css; charset=utf-8' });
  return assets;
}
