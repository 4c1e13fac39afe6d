import type { BrowserStepConfig } from '../../config/browser-schema.js';
import { BROWSER_ACTIONS, type BrowserAction } from '../../config/browser-schema.js';

/** The action a browser step takes (the schema lets it take exactly one). */
export function actionOf(step: Partial<Record<BrowserAction, unknown>>): BrowserAction | undefined {
  return BROWSER_ACTIONS.find((a) => step[a] !== undefined);
}

const short = (s: string, n = 80) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** What the action works on, as written (templates and all), so the label stays the same from run to run. */
function target(step: Record<string, unknown>, action: BrowserAction): string {
  const v = step[action];
  if (typeof v === 'string') return action === 'goto' ? v.replace(/^https?:\/\/[^/]+/i, '').split('?')[0] || '/' : v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (action === 'waitFor') return o.networkidle ? 'networkidle' : String(o.selector ?? (o.text !== undefined ? `text ${o.text}` : `url ${o.url}`));
    if (action === 'expect') return String(o.selector ?? (o.url !== undefined ? `url ${o.url}` : o.title !== undefined ? `title ${o.title}` : `text ${o.text ?? o.textMatches}`));
    if (action === 'extract') return Object.keys(o).join(', ');
    if (action === 'press') return [o.selector, o.key].filter(Boolean).join(' ');
    if (typeof o.selector === 'string') return o.selector;
  }
  return '';
}

/** The name history and alert rules know a browser step by: its `name`, else its action and target (`click text=Buy`). */
export function browserStepLabel(step: Partial<BrowserStepConfig> & Record<string, unknown>, index: number): string {
  if (typeof step.name === 'string' && step.name) return step.name;
  const action = actionOf(step as Partial<Record<BrowserAction, unknown>>);
  if (!action) return `step ${index + 1}`;
  const t = target(step, action);
  return short(t ? `${action} ${t}` : action);
}
