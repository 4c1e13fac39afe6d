/**
 * halftime's overhead on a six-step journey with page assets, against the demo shop (no simulated
 * delays, in its own process): home (assets) → login page → log in (CSRF form, redirect) → search →
 * product page (assets) → add to cart (JSON, CSRF header).
 *
 * The same requests are also made by a bare undici client (fresh connections, cookies and the token
 * handled by hand, the same assets fetched in parallel). Overhead = halftime's run time − the bare
 * client's, per journey and per step. Runs alternate; figures are medians of each round.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { parseConfigText } from '../src/configure.js';
import { createJourneyRunner } from '../src/probes/journey.js';

const ROUNDS = 3;
const RUNS = 150;
const WARMUP = 50;

const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./demo-server.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
const base: string = await new Promise((resolve, reject) => {
  child.stdout!.once('data', (d) => resolve(String(d).trim()));
  child.once('exit', (code) => reject(new Error(`demo exited ${code}`)));
});

const monitor = parseConfigText(
  `monitors:
  - name: bench journey
    baseUrl: ${base}
    csrf: auto
    steps:
      - { name: home, url: /, assets: true, expect: { status: 200, bodyContains: Welcome } }
      - { name: login page, url: /login }
      - { name: log in, method: POST, url: /login, form: { email: bench@halftime.test, password: kickoff }, expect: { bodyContains: Signed in as } }
      - { name: search, url: /results, query: { q: ball }, extract: { product: { css: a.product, attr: href } } }
      - { name: product, url: "{{ product }}", assets: true, extract: { productId: { css: "#add-to-cart", attr: data-product-id } } }
      - { name: add to cart, method: POST, url: /api/cart, json: { productId: "{{ productId }}", qty: 1 }, expect: { status: 201 } }
`,
  'bench',
  {},
).config.monitors[0];
const runner = createJourneyRunner(monitor, { seed: 1 });

const HOME_ASSETS = ['/static/shop.css', '/static/shop.js', '/static/logo.svg', '/static/pitch.svg'];
const CSS_ASSETS = ['/static/pitch.woff2', '/static/grass.svg'];

/** The same journey with bare undici: what the requests alone cost. */
async function raw(): Promise<number> {
  const t0 = performance.now();
  const agent = new Agent({ connections: 6, keepAliveTimeout: 30_000 });
  let cookie = '';
  const go = async (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) => {
    const res = await request(base + path, { method: (init.method ?? 'GET') as 'GET', body: init.body, headers: { ...init.headers, ...(cookie ? { cookie } : {}) }, dispatcher: agent });
    const set = res.headers['set-cookie'];
    if (set) cookie = (Array.isArray(set) ? set : [set]).map((c) => c.split(';')[0]).join('; ');
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };
  const assets = async (list: string[]) => Promise.all(list.map((p) => go(p)));
  await go('/');
  await assets(HOME_ASSETS);
  await assets(CSS_ASSETS);
  const login = await go('/login');
  const token = /name="authenticity_token" value="([^"]+)"/.exec(login.text)![1];
  const posted = await go('/login', { method: 'POST', body: new URLSearchParams({ email: 'bench@halftime.test', password: 'kickoff', authenticity_token: token }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  await go(String(posted.headers.location));
  const results = await go('/results?q=ball');
  const product = await go(/class="product" href="([^"]+)"/.exec(results.text)![1]);
  // A visitor has the home page's assets cached by now: none are fetched for the product page.
  const meta = /name="csrf-token" content="([^"]+)"/.exec(product.text)![1];
  const id = /data-product-id="(\d+)"/.exec(product.text)![1];
  const added = await go('/api/cart', { method: 'POST', body: JSON.stringify({ productId: Number(id), qty: 1 }), headers: { 'content-type': 'application/json', 'x-csrf-token': meta } });
  if (added.status !== 201) throw new Error(`raw journey failed: ${added.status}`);
  await agent.destroy();
  return performance.now() - t0;
}

async function halftime(): Promise<{ wall: number; reported: number; requests: number }> {
  const t0 = performance.now();
  const r = await runner.run({ noThink: true });
  const wall = performance.now() - t0;
  if (!r.ok) throw new Error(`journey failed: ${r.failure?.message}`);
  const requests = r.steps.reduce((s, x) => s + x.timings.total + (x.assets?.totalMs ?? 0), 0);
  return { wall, reported: r.durationMs, requests };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (n: number) => n.toFixed(2);

for (let i = 0; i < WARMUP; i++) {
  await raw();
  await halftime();
}
const rounds: { raw: number; ht: number; inside: number }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const rawT: number[] = [];
  const htT: number[] = [];
  const inside: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate which goes first, so neither always gets the warmer process.
    if (i % 2) {
      rawT.push(await raw());
      const h = await halftime();
      htT.push(h.wall);
      inside.push(h.reported - h.requests);
    } else {
      const h = await halftime();
      htT.push(h.wall);
      inside.push(h.reported - h.requests);
      rawT.push(await raw());
    }
  }
  const r = { raw: median(rawT), ht: median(htT), inside: median(inside) };
  rounds.push(r);
  console.log(
    `round ${round}: bare undici ${f(r.raw)} ms, halftime ${f(r.ht)} ms, overhead ${f(r.ht - r.raw)} ms (${f(((r.ht - r.raw) / r.raw) * 100)} %, ${f((r.ht - r.raw) / 6)} ms/step); ` +
      `time between requests inside the run ${f(r.inside)} ms`,
  );
}
const m = { raw: median(rounds.map((r) => r.raw)), ht: median(rounds.map((r) => r.ht)), inside: median(rounds.map((r) => r.inside)) };
const perStep = (m.ht - m.raw) / 6;
console.log(`\nmedian of rounds: bare ${f(m.raw)} ms, halftime ${f(m.ht)} ms, overhead ${f(m.ht - m.raw)} ms = ${f(((m.ht - m.raw) / m.raw) * 100)} % = ${f(perStep)} ms per step`);
console.log(perStep < 2 || (m.ht - m.raw) / m.raw < 0.05 ? 'target met (< 5 % or < 2 ms per step)' : 'TARGET MISSED (< 5 % or < 2 ms per step)');
child.stdin!.end();
child.kill('SIGTERM');
