import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJourneyRunner } from '../../src/probes/journey.js';
import type { TestServer } from '../helpers.js';
import { startDjangoLike, startDoubleSubmitSpa, startRailsLike } from '../fixtures/frameworks.js';
import { monitorFrom } from './journey-helpers.js';

let django: TestServer, rails: TestServer, spa: TestServer;
beforeAll(async () => {
  [django, rails, spa] = await Promise.all([startDjangoLike(), startRailsLike(), startDoubleSubmitSpa()]);
});
afterAll(async () => {
  await Promise.all([django.close(), rails.close(), spa.close()]);
});

const run = (yaml: string) => createJourneyRunner(monitorFrom(yaml)).run({ noThink: true });

describe('csrf: auto', () => {
  it('logs in to a Django-style form (masked csrfmiddlewaretoken) and calls its API with X-CSRFToken from the rotated cookie', async () => {
    const r = await run(`- name: django
  baseUrl: ${django.url}
  csrf: auto
  steps:
    - url: /accounts/login/
    - method: POST
      url: /accounts/login/
      form: { username: ada, password: pw }
      expect: { status: 200, bodyContains: Hello ada }
    - method: POST
      url: /api/like/
      json: { post: 1 }
      expect: { json: [{ path: $.liked, equals: true }] }
`);
    expect(r.failure).toBeUndefined();
    expect(r.steps[1].evidence[0]).toMatchObject({ what: 'csrf token', actual: 'from form field csrfmiddlewaretoken, sent as form field csrfmiddlewaretoken', pass: true });
    expect(r.steps[1].redirects).toBe(1);
    expect(r.steps[2].evidence[0].actual).toBe('from cookie csrftoken, sent as header x-csrftoken');
  });

  it('the Django-style server really refuses a POST without the token', async () => {
    const r = await run(`- name: django-no
  baseUrl: ${django.url}
  steps:
    - url: /accounts/login/
    - method: POST
      url: /accounts/login/
      form: { username: ada, password: pw }
`);
    expect(r.ok).toBe(false);
    expect(r.steps[1].status).toBe(403);
  });

  it('logs in to a Rails-style form (authenticity_token) and posts JSON with X-CSRF-Token from the meta tag', async () => {
    const r = await run(`- name: rails
  baseUrl: ${rails.url}
  csrf: auto
  steps:
    - url: /session/new
    - method: POST
      url: /session
      form: { email: ada@example.com, password: x }
      expect: { bodyContains: Orders of ada@example.com }
    - method: POST
      url: /orders.json
      json: { sku: BALL-1 }
      expect: { status: 201, json: [{ path: $.user, equals: ada@example.com }] }
`);
    expect(r.failure).toBeUndefined();
    expect(r.steps[1].evidence[0].actual).toBe('from form field authenticity_token, sent as form field authenticity_token');
    expect(r.steps[2].evidence[0].actual).toBe('from meta csrf-token, sent as header x-csrf-token');
  });

  it('the Rails-style server answers 422 without the token', async () => {
    const r = await run(`- name: rails-no
  baseUrl: ${rails.url}
  steps:
    - url: /session/new
    - { method: POST, url: /orders.json, json: { sku: x } }
`);
    expect(r.steps[1].status).toBe(422);
  });

  it('echoes a double-submit XSRF-TOKEN cookie (URL-decoded) in X-XSRF-TOKEN', async () => {
    const r = await run(`- name: spa
  baseUrl: ${spa.url}
  csrf: auto
  steps:
    - url: /api/csrf
    - method: POST
      url: /api/todos
      json: { title: buy oranges }
      expect: { status: 201, json: [{ path: $.created, equals: buy oranges }] }
`);
    expect(r.failure).toBeUndefined();
    expect(r.steps[1].evidence[0].actual).toBe('from cookie XSRF-TOKEN, sent as header x-xsrf-token');
  });

  it('explicit options: cookie and header by name; a missing token fails the step and says where it looked', async () => {
    const ok = await run(`- name: spa-explicit
  baseUrl: ${spa.url}
  steps:
    - url: /api/csrf
    - method: POST
      url: /api/todos
      json: { title: t }
      csrf: { cookie: XSRF-TOKEN, header: X-XSRF-TOKEN }
      expect: { status: 201 }
`);
    expect(ok.ok).toBe(true);
    const missing = await run(`- name: spa-missing
  baseUrl: ${spa.url}
  steps:
    - method: POST
      url: /api/todos
      json: { title: t }
      csrf: auto
`);
    expect(missing.ok).toBe(false);
    expect(missing.failure).toMatchObject({ code: 'csrf', step: 0 });
    expect(missing.failure!.message).toMatch(/^no CSRF token found: looked for a hidden form field \(csrfmiddlewaretoken/);
  });
});
