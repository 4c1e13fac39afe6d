/**
 * Safe redirects after login: `next` is judged on the parsed URL (resolved against a dummy origin,
 * kept only when the origin stays the same); control characters are refused with 400; no request
 * ends in a stack trace.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseNext } from '../../src/web/auth/auth.js';
import { adminFixture, ORIGIN, PASSWORD, type AdminFixture } from './admin-helpers.js';

let f: AdminFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** Logs in through the form with this `next`; the response as it comes (no redirects followed). */
async function loginWith(fx: AdminFixture, next: string) {
  const form = await fx.loginForm();
  return fx.request('/login', {
    method: 'POST',
    headers: { origin: ORIGIN, cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: form.token, username: 'admin', password: PASSWORD, next }),
  });
}

/** Where a browser would go from this Location on http://localhost (it drops tabs and newlines first, as the URL parser does). */
const landsOn = (location: string) => new URL(location, ORIGIN).origin;

describe('next after login', () => {
  it('keeps same-origin paths (query and fragment too) and sends everything else to /admin', () => {
    const ok = (n: string) => parseNext(n);
    expect(ok('/admin/monitors/shop?range=7d#chart')).toEqual({ ok: true, path: '/admin/monitors/shop?range=7d#chart' });
    expect(ok('/admin/../admin/tokens')).toEqual({ ok: true, path: '/admin/tokens' });
    for (const offSite of ['//evil.example/x', '/\\evil.example/x', '\\\\evil.example', 'https://evil.example/', 'http:evil.example', 'javascript:alert(1)', 'admin', '/\\\\evil.example']) {
      expect(ok(offSite), offSite).toEqual({ ok: true, path: '/admin' });
    }
    // Percent-encoded tabs stay encoded in the path: no browser turns them into `//`.
    expect(ok('/%09/evil.example/x')).toEqual({ ok: true, path: '/%09/evil.example/x' });
    for (const control of ['/\t/evil.example/x', '/\n/x', '/\r\n/x', '/x\u0000', '/x\u007f', '/x\u0085']) expect(ok(control).ok, JSON.stringify(control)).toBe(false);
  });

  it('next=/%09/evil.example/x is refused with 400 instead of ending off-site', async () => {
    f = await adminFixture();
    const res = await loginWith(f, '/\t/evil.example/x');
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toBe('Bad request: the next parameter holds control characters.');
    // The login page itself (GET /login?next=/%09/…) refuses it too, before and after login.
    expect((await f.request('/login?next=/%09/evil.example/x')).status).toBe(400);
    const { cookie } = await f.login();
    const loggedIn = await f.request('/login?next=/%09/evil.example/x', { headers: { cookie } });
    expect(loggedIn.status).toBe(400);
  });

  it('next=/%0a/x answers 400 with a sentence, not 500 with a stack trace', async () => {
    f = await adminFixture();
    const { cookie } = await f.login();
    const res = await f.request('/login?next=/%0a/x', { headers: { cookie } });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).not.toMatch(/\bat \S+ \(|TypeError|Error:/);
    const posted = await loginWith(f, '/\n/x');
    expect(posted.status).toBe(400);
  });

  it('off-site targets land on /admin; on-site ones are kept', async () => {
    f = await adminFixture();
    for (const next of ['//evil.example/x', '/\\evil.example/x', 'https://evil.example/']) {
      const res = await loginWith(f, next);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/admin');
    }
    const kept = await loginWith(f, '/admin/monitors/shop?range=7d');
    expect(kept.headers.get('location')).toBe('/admin/monitors/shop?range=7d');
    expect(landsOn(kept.headers.get('location')!)).toBe(ORIGIN);
  });
});
