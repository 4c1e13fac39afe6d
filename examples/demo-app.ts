import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small shop to point halftime at, so a fresh install shows real measurements with no internet.
 * Plain node:http on loopback; latencies vary like a real app (and sometimes spike).
 */
export type DemoApp = { url: string; close(): Promise<void> };

const PRODUCTS = [
  { id: 1, name: 'Match ball', price: 39 },
  { id: 2, name: 'Goalkeeper gloves', price: 54 },
  { id: 3, name: 'Training cones (set of 20)', price: 15 },
  { id: 4, name: 'Whistle', price: 6 },
  { id: 5, name: 'Half-time orange slicer', price: 12 },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (base: number, spread: number) => base + Math.random() * spread + (Math.random() < 0.03 ? 300 + Math.random() * 500 : 0);

const page = (title: string, body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="/static/shop.css"></head><body><header><a href="/">Halftime Sports</a></header><main>${body}</main></body></html>`;

export function startDemoApp(opts: { port?: number; host?: string } = {}): Promise<DemoApp> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    switch (url.pathname) {
      case '/':
        await sleep(jitter(15, 30));
        return send(200, 'text/html; charset=utf-8', page('Halftime Sports', `<h1>Welcome to Halftime Sports</h1><p><a href="/products">All products</a></p>`));
      case '/products':
        await sleep(jitter(40, 60));
        return send(200, 'text/html; charset=utf-8', page('Products', `<h1>Products</h1><ul>${PRODUCTS.map((p) => `<li><a href="/products/${p.id}">${p.name}</a> ${p.price} EUR</li>`).join('')}</ul>`));
      case '/search': {
        const q = (url.searchParams.get('q') ?? '').toLowerCase();
        await sleep(jitter(80, 120));
        const hits = PRODUCTS.filter((p) => p.name.toLowerCase().includes(q));
        return send(200, 'application/json', JSON.stringify({ query: q, results: hits }));
      }
      case '/api/health':
        await sleep(jitter(2, 5));
        return send(200, 'application/json', JSON.stringify({ status: 'ok' }));
      case '/api/checkout':
        await sleep(jitter(120, 150));
        // A checkout service that fails now and then, so the status page has something to say.
        if (Math.random() < 0.04) return send(503, 'application/json', JSON.stringify({ error: 'payment provider unavailable' }));
        return send(200, 'application/json', JSON.stringify({ status: 'ready' }));
      case '/static/shop.css':
        return send(200, 'text/css', 'body{font-family:sans-serif;margin:2rem}header{font-weight:bold}');
      default: {
        const m = /^\/products\/(\d+)$/.exec(url.pathname);
        const product = m ? PRODUCTS.find((p) => p.id === Number(m[1])) : undefined;
        if (product) {
          await sleep(jitter(30, 40));
          return send(200, 'text/html; charset=utf-8', page(product.name, `<h1>${product.name}</h1><p class="price">${product.price} EUR</p>`));
        }
        return send(404, 'text/plain', 'not found');
      }
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 3100, opts.host ?? '127.0.0.1', () => {
      const { address, port } = server.address() as AddressInfo;
      resolve({
        url: `http://${address}:${port}`,
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}
