/**
 * One browser step's action on the page, with Playwright's locators (CSS, `text=`, `role=`) and its
 * auto-waiting, bounded by the step's timeout. An action that cannot complete throws StepFailed with
 * a code and a sentence (and the locator it waited for); checks come back as evidence.
 */
import { errors, type Locator, type Page, type Response } from 'playwright-core';
import type { BrowserStepConfig } from '../../config/browser-schema.js';
import type { Evidence, Failure, Timings } from '../types.js';
import { actionOf } from './labels.js';
import { takeScreenshot } from './screenshot.js';

export class StepFailed extends Error {
  override name = 'StepFailed';
  constructor(
    readonly failure: Failure,
    readonly locator?: string,
    readonly evidence: Evidence[] = [],
  ) {
    super(failure.message);
  }
}

export type ActionEnv = {
  page: Page;
  /** Fills in a template (throws TemplateError). */
  render(text: string): string;
  baseUrl?: string;
  timeoutMs: number;
  screenshotMaxBytes: number;
  /** Keeps a screenshot for the run; returns its name. */
  keep(data: Uint8Array, mime: string): string;
};

export type ActionOutcome = {
  evidence: Evidence[];
  status?: number;
  url?: string;
  timings?: Partial<Timings>;
  extracted?: { values: Record<string, string>; secret: string[]; failures: string[] };
  artifacts?: string[];
};

const firstLine = (s: string) => s.split('\n')[0].replace(/^\w+\.\w+: /, '').trim();
const quote = (s: string, n = 120) => JSON.stringify(s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A Playwright error as a failure: a locator that never showed, a page that did not load, a browser that went away. */
export function toFailure(err: unknown, ctx: { timeoutMs: number; locator?: string; what: string }): StepFailed {
  if (err instanceof StepFailed) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof errors.TimeoutError) {
    if (ctx.locator) return new StepFailed({ code: 'locator', message: `${ctx.what}: ${quote(ctx.locator)} not found or not ready within ${ctx.timeoutMs} ms` }, ctx.locator);
    return new StepFailed({ code: 'timeout', message: `${ctx.what}: not done within ${ctx.timeoutMs} ms` });
  }
  const net = /net::(ERR_[A-Z_]+)/.exec(message)?.[1];
  if (net) {
    const code: Failure['code'] =
      net === 'ERR_CONNECTION_REFUSED' ? 'refused' : net === 'ERR_NAME_NOT_RESOLVED' ? 'dns' : /CERT|SSL/.test(net) ? 'tls' : net === 'ERR_TIMED_OUT' ? 'timeout' : net === 'ERR_CONNECTION_RESET' ? 'reset' : 'network';
    return new StepFailed({ code, message: `${ctx.what}: ${net}` });
  }
  if (/has been closed|Target closed|Browser closed|crashed/i.test(message)) return new StepFailed({ code: 'browser', message: `${ctx.what}: the page or browser went away (${firstLine(message)})` });
  if (/strict mode violation/.test(message)) return new StepFailed({ code: 'locator', message: `${ctx.what}: ${quote(ctx.locator ?? '')} matches more than one element; make it specific (or add >> nth=0)` }, ctx.locator);
  if (/Unexpected token|Unknown engine|selector/i.test(message) && ctx.locator) return new StepFailed({ code: 'config', message: `${ctx.what}: not a valid locator ${quote(ctx.locator)}: ${firstLine(message)}` }, ctx.locator);
  return new StepFailed({ code: 'internal', message: `${ctx.what}: ${firstLine(message)}` }, ctx.locator);
}

function joinUrl(url: string, baseUrl: string | undefined): string {
  if (/^https?:\/\//i.test(url)) return url;
  if (!baseUrl) throw new StepFailed({ code: 'config', message: `goto ${quote(url)}: a path needs the monitor's baseUrl` });
  return baseUrl.replace(/\/+$/, '') + (url.startsWith('/') ? url : `/${url}`);
}

/** Phases of the document request, from the browser's own resource timing (0 for a phase that did not happen). */
function navigationTimings(res: Response | null): Partial<Timings> | undefined {
  if (!res) return undefined;
  const t = res.request().timing();
  const span = (a: number, b: number) => (a >= 0 && b >= a ? b - a : 0);
  const tls = span(t.secureConnectionStart, t.connectEnd);
  return {
    dns: span(t.domainLookupStart, t.domainLookupEnd),
    connect: Math.max(0, span(t.connectStart, t.connectEnd) - tls),
    tls,
    ttfb: span(t.requestStart, t.responseStart),
    download: span(t.responseStart, t.responseEnd),
  };
}

/** Polls `probe` until `ok` or the deadline; returns the last value seen. Bounded by time, one look every 100 ms. */
async function poll<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<{ value: T; pass: boolean }> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return { value, pass: true };
    if (Date.now() >= end) return { value, pass: false };
    await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, end - Date.now()))));
  }
}

async function expectOn(step: NonNullable<BrowserStepConfig['expect']>, env: ActionEnv): Promise<Evidence[]> {
  const { page, timeoutMs } = env;
  const evidence: Evidence[] = [];
  const selector = step.selector !== undefined ? env.render(step.selector) : undefined;
  const loc: Locator | undefined = selector !== undefined ? page.locator(selector) : undefined;
  const text = async (l: Locator | undefined) => (l ? ((await l.first().innerText({ timeout: 1_000 }).catch(() => null)) ?? null) : await page.evaluate(() => document.body?.innerText ?? ''));
  const fail = (code: Failure['code'], message: string) => {
    throw new StepFailed({ code, message }, selector, evidence);
  };
  if (loc && (step.visible !== undefined || (step.count === undefined && step.text === undefined && step.textMatches === undefined))) {
    const want = step.visible ?? true;
    const r = await poll(() => loc.first().isVisible(), (v) => v === want, timeoutMs);
    evidence.push({ what: `${selector} visible`, expected: String(want), actual: String(r.value), pass: r.pass });
    if (!r.pass) fail('locator', `${quote(selector!)} ${want ? 'not visible' : 'still visible'} within ${timeoutMs} ms`);
  }
  if (loc && step.count !== undefined) {
    const r = await poll(() => loc.count(), (n) => n === step.count, timeoutMs);
    evidence.push({ what: `count of ${selector}`, expected: String(step.count), actual: String(r.value), pass: r.pass });
    if (!r.pass) fail(r.value === 0 ? 'locator' : 'assertion', `${quote(selector!)} matched ${r.value} element${r.value === 1 ? '' : 's'}, expected ${step.count}`);
  }
  if (step.text !== undefined || step.textMatches !== undefined) {
    const wanted = step.text !== undefined ? env.render(step.text) : undefined;
    const re = step.textMatches !== undefined ? new RegExp(step.textMatches) : undefined;
    const r = await poll(() => text(loc), (t) => t !== null && (wanted === undefined || t.includes(wanted)) && (!re || re.test(t)), timeoutMs);
    const what = selector ? `text of ${selector}` : 'page text';
    evidence.push({ what, expected: wanted !== undefined ? `contains ${quote(wanted)}` : `matches /${step.textMatches}/`, actual: r.value === null ? '(no such element)' : quote(r.value), pass: r.pass });
    if (!r.pass) fail(r.value === null ? 'locator' : 'assertion', r.value === null ? `${quote(selector!)} not found within ${timeoutMs} ms` : `${what} ${wanted !== undefined ? `does not contain ${quote(wanted)}` : `does not match /${step.textMatches}/`}: ${quote(r.value)}`);
  }
  if (step.url !== undefined) {
    const wanted = env.render(step.url);
    const r = await poll(async () => page.url(), (u) => u.includes(wanted), timeoutMs);
    evidence.push({ what: 'url', expected: `contains ${quote(wanted)}`, actual: r.value, pass: r.pass });
    if (!r.pass) fail('assertion', `the URL ${r.value} does not contain ${quote(wanted)}`);
  }
  if (step.title !== undefined) {
    const wanted = env.render(step.title);
    const r = await poll(() => page.title(), (t) => t.includes(wanted), timeoutMs);
    evidence.push({ what: 'title', expected: `contains ${quote(wanted)}`, actual: quote(r.value), pass: r.pass });
    if (!r.pass) fail('assertion', `the title ${quote(r.value)} does not contain ${quote(wanted)}`);
  }
  return evidence;
}

/** Runs the step's action; throws StepFailed when it cannot. */
export async function runAction(step: BrowserStepConfig, env: ActionEnv): Promise<ActionOutcome> {
  const { page, timeoutMs } = env;
  const action = actionOf(step)!;
  let locator: string | undefined;
  const at = (sel: string) => page.locator((locator = env.render(sel)));
  try {
    switch (action) {
      case 'goto': {
        const url = joinUrl(env.render(step.goto!), env.baseUrl);
        const res = await page.goto(url, { timeout: timeoutMs, waitUntil: 'load' });
        const status = res?.status();
        const pass = status === undefined || status < 400;
        const evidence: Evidence[] = [{ what: 'status', expected: '2xx or 3xx', actual: status === undefined ? '(same document)' : String(status), pass }];
        if (!pass) throw new StepFailed({ code: 'status', message: `goto ${url}: the server answered ${status}` }, undefined, evidence);
        return { evidence, status, url: page.url(), timings: navigationTimings(res) };
      }
      case 'click':
        await at(step.click!).click({ timeout: timeoutMs });
        return { evidence: [] };
      case 'fill':
        await at(step.fill!.selector).fill(env.render(step.fill!.value), { timeout: timeoutMs });
        return { evidence: [] };
      case 'select': {
        const v = step.select!.value;
        const values = (Array.isArray(v) ? v : [v]).map((x) => env.render(x));
        const chosen = await at(step.select!.selector).selectOption(values.map((x) => [{ value: x }, { label: x }]).flat(), { timeout: timeoutMs });
        return { evidence: [{ what: `options of ${locator}`, expected: values.join(', '), actual: chosen.join(', ') || '(none)', pass: chosen.length > 0 }] };
      }
      case 'press': {
        const p = step.press!;
        if (typeof p === 'string') await page.keyboard.press(p);
        else if (p.selector !== undefined) await at(p.selector).press(p.key, { timeout: timeoutMs });
        else await page.keyboard.press(p.key);
        return { evidence: [] };
      }
      case 'check':
        await at(step.check!).check({ timeout: timeoutMs });
        return { evidence: [] };
      case 'uncheck':
        await at(step.uncheck!).uncheck({ timeout: timeoutMs });
        return { evidence: [] };
      case 'waitFor': {
        const w = step.waitFor!;
        if (typeof w === 'string') await at(w).first().waitFor({ state: 'visible', timeout: timeoutMs });
        else if (w.selector !== undefined) await at(w.selector).first().waitFor({ state: w.state ?? 'visible', timeout: timeoutMs });
        else if (w.text !== undefined) {
          locator = `text=${env.render(w.text)}`;
          await page.getByText(env.render(w.text)).first().waitFor({ state: 'visible', timeout: timeoutMs });
        } else if (w.url !== undefined) {
          const part = env.render(w.url);
          await page.waitForURL((u) => u.href.includes(part), { timeout: timeoutMs, waitUntil: 'commit' });
        } else await page.waitForLoadState('networkidle', { timeout: timeoutMs });
        return { evidence: [] };
      }
      case 'expect':
        return { evidence: await expectOn(step.expect!, env) };
      case 'screenshot': {
        const fullPage = typeof step.screenshot === 'object' && step.screenshot.fullPage;
        const shot = await takeScreenshot(page, { fullPage, maxBytes: env.screenshotMaxBytes, timeoutMs });
        if (!shot) throw new StepFailed({ code: 'internal', message: `screenshot: no image under ${env.screenshotMaxBytes} bytes could be taken` });
        return { evidence: [], artifacts: [env.keep(shot.data, shot.mime)] };
      }
      case 'extract': {
        const values: Record<string, string> = {};
        const secret: string[] = [];
        const failures: string[] = [];
        for (const [name, e] of Object.entries(step.extract!)) {
          const spec = typeof e === 'string' ? { selector: e, attr: undefined, optional: false, secret: false } : e;
          const loc = at(spec.selector).first();
          const got = await loc
            .waitFor({ state: 'attached', timeout: timeoutMs })
            .then(() => (spec.attr ? loc.getAttribute(spec.attr, { timeout: timeoutMs }) : loc.innerText({ timeout: timeoutMs })))
            .catch((err: unknown) => {
              if (err instanceof errors.TimeoutError) return null;
              throw err;
            });
          if (spec.secret) secret.push(name);
          if (got === null || got === undefined) {
            if (!spec.optional) failures.push(`${name}: ${spec.attr ? `no attribute ${spec.attr} on` : 'no element'} ${quote(locator!)}`);
            continue;
          }
          values[name] = spec.attr ? got : got.trim();
        }
        return { evidence: [], extracted: { values, secret, failures } };
      }
    }
  } catch (err) {
    throw toFailure(err, { timeoutMs, locator, what: action });
  }
}
