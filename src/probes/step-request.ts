import type { ExpectConfig, StepConfig } from '../config/schema.js';
import type { Cookies } from './cookies.js';
import { planCsrf, csrfLookedFor, type CsrfPage } from './csrf.js';
import type { CsrfConfig } from '../config/step-schema.js';
import { render, renderDeep, stringify, TemplateError, type TemplateContext } from '../lang/template.js';
import type { Evidence, Failure } from './types.js';

/** A step with every template filled in, ready for runHttpStep. */
export type RenderedRequest = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  expect: ExpectConfig;
  evidence: Evidence[];
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A label that stays the same from run to run (the URL as written, templates and all). */
export function journeyStepLabel(step: { name?: string; method: string; url: string }, index: number): string {
  if (step.name) return step.name;
  if (!/^(https?:\/\/|\/|\{\{)/i.test(step.url)) return `step ${index + 1}`;
  const path = step.url.replace(/^(https?:\/\/[^/]+|\{\{[^}]*\}\}(?=\/))/i, '').split('?')[0] || '/';
  return `${step.method} ${path}`;
}

function joinUrl(url: string, baseUrl: string | undefined, query: Record<string, string> | undefined): string {
  const absolute = /^https?:\/\//i.test(url) ? url : baseUrl ? baseUrl.replace(/\/+$/, '') + (url.startsWith('/') ? url : `/${url}`) : url;
  let u: URL;
  try {
    u = new URL(absolute);
  } catch {
    throw new TemplateError(`not a valid URL after filling in templates: ${JSON.stringify(absolute)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TemplateError(`not an http(s) URL: ${JSON.stringify(absolute)}`);
  for (const [k, v] of Object.entries(query ?? {})) u.searchParams.append(k, v);
  return u.toString();
}

function renderExpect(e: ExpectConfig, ctx: TemplateContext): ExpectConfig {
  const r = (s: string) => render(s, ctx);
  return {
    ...e,
    bodyContains: e.bodyContains?.map(r),
    bodyNotContains: e.bodyNotContains?.map(r),
    json: e.json?.map((c) => ({ ...c, equals: c.equals === undefined ? undefined : renderDeep(c.equals, ctx), contains: c.contains === undefined ? undefined : r(c.contains) })),
    headers: e.headers
      ? Object.fromEntries(
          Object.entries(e.headers).map(([k, v]) => [k, typeof v === 'string' ? r(v) : { ...v, equals: v.equals && r(v.equals), contains: v.contains && r(v.contains) }]),
        )
      : undefined,
  };
}

export type RenderInput = {
  step: StepConfig;
  ctx: TemplateContext;
  baseUrl?: string;
  /** The monitor's csrf default (applies to unsafe methods only). */
  csrfDefault?: CsrfConfig;
  lastPage?: CsrfPage;
  cookies: Cookies;
};

/** Fills in a step's templates and CSRF token. A problem comes back as a failure, never thrown. */
export function renderRequest(input: RenderInput): { request: RenderedRequest } | { failure: Failure } {
  const { step, ctx } = input;
  try {
    const query = step.query ? Object.fromEntries(Object.entries(step.query).map(([k, v]) => [k, render(stringify(v), ctx)])) : undefined;
    const url = joinUrl(render(step.url, ctx), input.baseUrl, query);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.headers)) headers[k.toLowerCase()] = render(v, ctx);
    let form: URLSearchParams | undefined;
    let body: string | undefined;
    if (step.form) {
      form = new URLSearchParams();
      for (const [k, v] of Object.entries(step.form)) form.append(k, render(stringify(v), ctx));
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (step.json !== undefined) {
      body = JSON.stringify(renderDeep(step.json, ctx));
      headers['content-type'] ??= 'application/json';
    } else if (step.body !== undefined) body = render(step.body, ctx);

    const evidence: Evidence[] = [];
    const csrf = step.csrf ?? (UNSAFE.has(step.method) ? input.csrfDefault : undefined);
    if (csrf !== undefined && csrf !== false) {
      const plan = planCsrf(csrf, { url, hasForm: !!form }, input.lastPage, input.cookies);
      if (!plan) {
        if (step.csrf !== undefined) return { failure: { code: 'csrf', message: `no CSRF token found: looked for ${csrfLookedFor(csrf)}` } };
      } else if (plan.field && form) {
        if (!form.has(plan.field)) form.append(plan.field, plan.token);
        evidence.push({ what: 'csrf token', expected: 'found', actual: `from ${plan.from}, sent as form field ${plan.field}`, pass: true });
      } else if (plan.header) {
        headers[plan.header] ??= plan.token;
        evidence.push({ what: 'csrf token', expected: 'found', actual: `from ${plan.from}, sent as header ${plan.header}`, pass: true });
      }
    }
    if (form) body = form.toString();
    return { request: { method: step.method, url, headers, body, expect: renderExpect(step.expect, ctx), evidence } };
  } catch (err) {
    // TemplateError names the variable or helper; anything else is still this step's problem, not a crash.
    return { failure: { code: 'template', message: `template: ${err instanceof TemplateError ? err.message : String((err as Error)?.message ?? err)}` } };
  }
}
