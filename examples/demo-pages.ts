/** Pages and static files of the demo shop (examples/demo-app.ts). Every value put into HTML is escaped. */

export type Product = { id: number; name: string; price: number };

export const PRODUCTS: Product[] = [
  { id: 1, name: 'Match ball', price: 39 },
  { id: 2, name: 'Goalkeeper gloves', price: 54 },
  { id: 3, name: 'Training cones (set of 20)', price: 15 },
  { id: 4, name: 'Whistle', price: 6 },
  { id: 5, name: 'Half-time orange slicer', price: 12 },
  { id: 6, name: 'Shin guards', price: 19 },
  { id: 7, name: 'Football boots', price: 89 },
  { id: 8, name: 'Training ball (size 4)', price: 24 },
  { id: 9, name: 'Water bottle', price: 9 },
];

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(title: string, body: string, opts: { csrf: string; user?: string }): string {
  const nav = opts.user
    ? `<a href="/account">${esc(opts.user)}</a> <form class="inline" method="post" action="/logout"><input type="hidden" name="authenticity_token" value="${esc(opts.csrf)}"><button>Log out</button></form>`
    : `<a href="/login">Log in</a>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="csrf-param" content="authenticity_token"><meta name="csrf-token" content="${esc(opts.csrf)}">
<link rel="stylesheet" href="/static/shop.css"><script src="/static/shop.js" defer></script></head>
<body><header><a href="/"><img src="/static/logo.svg" alt="" width="24" height="24"> Halftime Sports</a>
<form method="get" action="/results"><input name="q" placeholder="Search"></form> <nav>${nav}</nav></header>
<main>${body}</main></body></html>`;
}

export const homeBody = () =>
  `<h1>Welcome to Halftime Sports</h1><p><a href="/products">All products</a></p><img src="/static/pitch.svg" alt="A pitch" width="120">`;

export const productList = (items: Product[]) =>
  `<ul class="products">${items.map((p) => `<li><a class="product" href="/products/${p.id}">${esc(p.name)}</a> <span class="price">${p.price} EUR</span></li>`).join('')}</ul>`;

export const resultsBody = (q: string, hits: Product[]) =>
  `<h1>Results for “${esc(q)}”</h1>${hits.length ? `<p class="count">${hits.length} found</p>${productList(hits)}` : '<p class="count">No products match.</p>'}`;

export const productBody = (p: Product) =>
  `<h1>${esc(p.name)}</h1><p class="price">${p.price} EUR</p><button id="add-to-cart" data-product-id="${p.id}">Add to cart</button>`;

export const loginBody = (csrf: string, error?: string) =>
  `<h1>Log in</h1>${error ? `<p class="error">${esc(error)}</p>` : ''}<form method="post" action="/login">
<input type="hidden" name="authenticity_token" value="${esc(csrf)}">
<label>Email <input name="email" type="email"></label><label>Password <input name="password" type="password"></label><button>Log in</button></form>`;

export const accountBody = (user: string, cart: { product: Product; qty: number }[]) =>
  `<h1>Your account</h1><p>Signed in as <strong class="user">${esc(user)}</strong></p><h2>Cart</h2>${
    cart.length
      ? `<ul class="cart">${cart.map((c) => `<li data-product-id="${c.product.id}">${esc(c.product.name)} × ${c.qty}</li>`).join('')}</ul><p class="total">Total ${cart.reduce((s, c) => s + c.qty * c.product.price, 0)} EUR</p>`
      : '<p class="cart-empty">Your cart is empty.</p>'
  }`;

export const STATIC: Record<string, { type: string; body: string | Buffer }> = {
  '/static/shop.css': {
    type: 'text/css',
    body: `@font-face{font-family:Pitch;src:url(/static/pitch.woff2) format("woff2")}
body{font-family:Pitch,sans-serif;margin:2rem}header{font-weight:bold;display:flex;gap:1rem;align-items:center}
main{background:url(/static/grass.svg) repeat-x bottom}form.inline{display:inline}.error{color:#b00}`,
  },
  '/static/shop.js': {
    type: 'text/javascript',
    body: `document.getElementById('add-to-cart')?.addEventListener('click', async (e) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  await fetch('/api/cart', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token },
    body: JSON.stringify({ productId: Number(e.target.dataset.productId), qty: 1 }) });
});`,
  },
  '/static/logo.svg': { type: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10" fill="#2a7"/></svg>' },
  '/static/pitch.svg': { type: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 80"><rect width="120" height="80" fill="#3a5"/><circle cx="60" cy="40" r="12" fill="none" stroke="#fff"/></svg>' },
  '/static/grass.svg': { type: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><path d="M0 8L4 0L8 8" fill="#3a5"/></svg>' },
  // Not a real font: bytes of a plausible size, served as one, so asset costs show up.
  '/static/pitch.woff2': { type: 'font/woff2', body: Buffer.alloc(18_000, 7) },
};
