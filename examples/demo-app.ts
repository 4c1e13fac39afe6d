import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveLab } from './demo-lab.js';
import { accountBody, homeBody, loginBody, page, productBody, productList, PRODUCTS, resultsBody, STATIC, type Product } from './demo-pages.js';

/**
 * A small shop to point halftime at, so a fresh install shows real measurements with no internet.
 * Plain node:http on loopback; latencies vary like a real app (and sometimes spike).
 * It guards its forms and its cart API like a Rails app: a session cookie, a per-session CSRF token
 * in a hidden `authenticity_token` field and a `<meta name="csrf-token">`, which the JSON API wants
 * back in an `X-CSRF-Token` header. Log in as any `…@halftime.test` address with password `kickoff`.
 */
export type DemoApp = { url: string; close(): Promise<void> };

export type DemoOptions = { port?: number; host?: string; /** Simulated server time (default true). */ delays?: boolean };

type Session = { csrf: string; user?: string; cart: Map<number, number> };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (base: number, spread: number) => base + Math.random() * spread + (Math.random() < 0.03 ? 300 + Math.random() * 500 : 0);
export const DEMO_PASSWORD = 'kickoff';
const MAX_SESSIONS = 10_000;

async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) break;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export function startDemoApp(opts: DemoOptions = {}): Promise<DemoApp> {
  const delays = opts.delays ?? true;
  const wait = (base: number, spread: number) => (delays ? sleep(jitter(base, spread)) : Promise.resolve());
  const sessions = new Map<string, Session>();
  const newSession = (): [string, Session] => {
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    const id = randomBytes(16).toString('hex');
    const s: Session = { csrf: randomBytes(24).toString('base64url'), cart: new Map() };
    sessions.set(id, s);
    return [id, s];
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    const method = req.method ?? 'GET';
    let sid = cookie(req, 'shop_session');
    let session = sid ? sessions.get(sid) : undefined;
    const setCookies: string[] = [];
    const startSession = () => {
      [sid, session] = newSession();
      setCookies.push(`shop_session=${sid}; Path=/; HttpOnly; SameSite=Lax`);
      return session;
    };
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      const headers: Record<string, string | string[] | number> = { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra };
      if (setCookies.length) headers['set-cookie'] = setCookies;
      res.writeHead(status, headers);
      res.end(body);
    };
    const html = (title: string, body: string, status = 200) => {
      const s = session ?? startSession();
      send(status, 'text/html; charset=utf-8', page(title, body, { csrf: s.csrf, user: s.user }));
    };
    const json = (status: number, value: unknown) => send(status, 'application/json', JSON.stringify(value));
    const redirect = (to: string, status = 303) => send(status, 'text/plain', '', { location: to });
    const cartView = (s: Session) => [...s.cart].map(([id, qty]) => ({ product: PRODUCTS.find((p) => p.id === id)!, qty }));

    const form = method === 'POST' && /form-urlencoded/.test(String(req.headers['content-type'] ?? '')) ? new URLSearchParams(await readBody(req)) : undefined;
    const csrfOk = () => !!session && (form?.get('authenticity_token') ?? req.headers['x-csrf-token']) === session.csrf;

    if (url.pathname.startsWith('/lab/') && serveLab(req, res, url)) return;
    const asset = STATIC[url.pathname];
    if (asset) return send(200, asset.type, asset.body, { 'cache-control': 'public, max-age=3600' });

    switch (`${method} ${url.pathname}`) {
      case 'GET /':
        await wait(15, 30);
        return html('Halftime Sports', homeBody());
      case 'GET /products':
        await wait(40, 60);
        return html('Products', `<h1>Products</h1>${productList(PRODUCTS)}`);
      case 'GET /results': {
        const q = (url.searchParams.get('q') ?? '').trim().toLowerCase();
        await wait(60, 100);
        return html(`Search: ${q}`, resultsBody(q, q ? PRODUCTS.filter((p) => p.name.toLowerCase().includes(q)) : []));
      }
      case 'GET /search': {
        const q = (url.searchParams.get('q') ?? '').toLowerCase();
        await wait(80, 120);
        return json(200, { query: q, results: PRODUCTS.filter((p) => p.name.toLowerCase().includes(q)) });
      }
      case 'GET /login':
        await wait(10, 20);
        return html('Log in', loginBody((session ?? startSession()).csrf));
      case 'POST /login': {
        await wait(40, 40);
        if (!csrfOk()) return html('Forbidden', '<h1>Invalid authenticity token</h1>', 403);
        const email = (form?.get('email') ?? '').trim();
        if (!/^[^@\s]+@halftime\.test$/i.test(email) || form?.get('password') !== DEMO_PASSWORD) return html('Log in', loginBody(session!.csrf, 'Wrong email or password'), 200);
        const cart = session!.cart;
        sessions.delete(sid!);
        startSession().user = email;
        session!.cart = cart;
        return redirect('/account');
      }
      case 'POST /logout':
        if (!csrfOk()) return html('Forbidden', '<h1>Invalid authenticity token</h1>', 403);
        sessions.delete(sid!);
        setCookies.push('shop_session=; Path=/; Max-Age=0');
        return redirect('/');
      case 'GET /account':
        await wait(20, 30);
        if (!session?.user) return redirect('/login', 302);
        return html('Your account', accountBody(session.user, cartView(session)));
      case 'GET /api/cart':
        if (!session?.user) return json(401, { error: 'log in first' });
        return json(200, { items: cartView(session).map((c) => ({ id: c.product.id, name: c.product.name, qty: c.qty })) });
      case 'POST /api/cart': {
        await wait(30, 40);
        if (!session?.user) return json(401, { error: 'log in first' });
        if (req.headers['x-csrf-token'] !== session.csrf) return json(403, { error: 'CSRF token missing or wrong' });
        let body: { productId?: unknown; qty?: unknown };
        try {
          body = JSON.parse(await readBody(req));
        } catch {
          return json(400, { error: 'body must be JSON' });
        }
        const product: Product | undefined = PRODUCTS.find((p) => p.id === Number(body.productId));
        const qty = Number(body.qty ?? 1);
        if (!product || !Number.isInteger(qty) || qty < 1 || qty > 99) return json(422, { error: 'unknown product or bad quantity' });
        session.cart.set(product.id, (session.cart.get(product.id) ?? 0) + qty);
        return json(201, { added: { id: product.id, name: product.name, qty }, count: [...session.cart.values()].reduce((a, b) => a + b, 0) });
      }
      case 'GET /api/health':
        await wait(2, 5);
        return json(200, { status: 'ok' });
      case 'GET /api/checkout':
        await wait(120, 150);
        // A checkout service that fails now and then, so the status page has something to say.
        if (delays && Math.random() < 0.04) return json(503, { error: 'payment provider unavailable' });
        return json(200, { status: 'ready' });
    }
    const m = /^\/products\/(\d+)$/.exec(url.pathname);
    const product = m && method === 'GET' ? PRODUCTS.find((p) => p.id === Number(m[1])) : undefined;
    if (product) {
      await wait(30, 40);
      return html(product.name, productBody(product));
    }
    return send(404, 'text/plain', 'not found');
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
