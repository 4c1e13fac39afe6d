import type { CheerioAPI } from 'cheerio';

/** cheerio, loaded on first need (it is only used by journeys that read HTML). */
let loading: Promise<typeof import('cheerio')> | undefined;
let mod: typeof import('cheerio') | undefined;

export async function loadHtmlParser(): Promise<void> {
  loading ??= import('cheerio').then((m) => (mod = m));
  await loading;
}

/** Parses HTML with cheerio; `loadHtmlParser()` must have been awaited first. */
export function parseHtml(html: string): CheerioAPI {
  if (!mod) throw new Error('HTML parser not loaded (call loadHtmlParser first)');
  return mod.load(html);
}

export const looksLikeHtml = (contentType: string | undefined, body: string) =>
  /html/i.test(contentType ?? '') || (!contentType && /^\s*<(!doctype|html)/i.test(body));
