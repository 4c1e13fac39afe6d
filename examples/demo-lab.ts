/**
 * Pages of the demo shop that only a real browser can judge (browser monitors point at them):
 *   /lab/late        HTML in a few ms, but the offer is rendered by JavaScript after 700 ms, a banner
 *                    pushes it down (a layout shift), the hero image arrives 500 ms later still (the
 *                    LCP), a 250 ms task blocks the main thread, and the "Add to basket" button
 *                    appears only after 1.5 s.
 *   /lab/ok          a small page that loads at once.
 *   /lab/hang        a script that never ends: the page never loads (a hung run).
 *   /lab/broken      a console error and a missing script (evidence on failure).
 *   /lab/hero.svg    the slow image (?ms= sets its delay, default 500).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const doc = (title: string, body: string, head = '') =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">${head}
<style>body{font-family:sans-serif;margin:0}header{background:#135;color:#fff;padding:1rem}main{padding:1rem}.banner{background:#fc3;padding:2rem;font-size:1.4rem}</style>
</head><body>${body}</body></html>`;

const LATE = doc(
  'Late offer',
  `<header>Halftime Sports lab</header>
<main><p id="status">Loading the offer…</p><div id="offer"></div><div id="buy-slot"></div></main>
<script>
  const blockFor = (ms) => { const end = performance.now() + ms; while (performance.now() < end) {} };
  setTimeout(() => {
    const b = document.createElement('div'); b.className = 'banner'; b.textContent = 'Half-time sale: 20% off everything';
    document.body.insertBefore(b, document.querySelector('main'));
  }, 400);
  setTimeout(() => {
    document.getElementById('status').textContent = 'Offer ready';
    document.getElementById('offer').innerHTML = '<h1 id="offer-title">Match ball, 31 EUR</h1><img id="hero" src="/lab/hero.svg?ms=500" width="800" height="450" alt="A match ball">';
    blockFor(250);
  }, 700);
  setTimeout(() => {
    const btn = document.createElement('button'); btn.id = 'buy'; btn.textContent = 'Add to basket';
    btn.onclick = () => { blockFor(60); document.getElementById('status').textContent = 'Added to basket'; };
    document.getElementById('buy-slot').appendChild(btn);
  }, 1500);
</script>`,
);

const OK = doc('Lab', '<header>Halftime Sports lab</header><main><h1>All good</h1><p><a id="next" href="/lab/late">The late offer</a></p></main>');

const HANG = doc('Hung page', '<p>This page never finishes loading.</p><script>for (;;) {}</script>');

const BROKEN = doc('Broken page', '<h1>Checkout</h1><p id="total">Total: 0 EUR</p><script>console.error("payment widget failed to start")</script><script src="/lab/missing.js"></script>');

/**
 * The hero: a pitch with a crowd of dots. Detailed enough (about 8 KB) to count as contentful: Chromium
 * leaves images of very few bytes per pixel (placeholders) out of LCP.
 */
const HERO = (w: number, h: number) => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const crowd = Array.from({ length: 160 }, () => `<circle cx="${Math.round(rnd() * w)}" cy="${Math.round(rnd() * h * 0.3)}" r="${3 + Math.round(rnd() * 6)}" fill="#${Math.floor(rnd() * 0xffffff).toString(16).padStart(6, '0')}"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><rect width="100%" height="100%" fill="#2a6"/>${crowd}<circle cx="${w / 2}" cy="${h * 0.65}" r="${h / 4}" fill="#fff" stroke="#000" stroke-width="6"/></svg>`;
};
const HERO_SVG = HERO(800, 450);

/** Serves a lab page; false when the path is not one. */
export function serveLab(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const send = (status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  };
  switch (url.pathname) {
    case '/lab/late':
      send(200, 'text/html; charset=utf-8', LATE);
      return true;
    case '/lab/ok':
      send(200, 'text/html; charset=utf-8', OK);
      return true;
    case '/lab/hang':
      send(200, 'text/html; charset=utf-8', HANG);
      return true;
    case '/lab/broken':
      send(200, 'text/html; charset=utf-8', BROKEN);
      return true;
    case '/lab/hero.svg': {
      const ms = Math.min(10_000, Math.max(0, Number(url.searchParams.get('ms') ?? 500) || 0));
      const t = setTimeout(() => send(200, 'image/svg+xml', HERO_SVG), ms);
      req.once('close', () => clearTimeout(t));
      return true;
    }
  }
  return false;
}
