import type { CheerioAPI } from 'cheerio';

/** cheerio, loaded on first need (it is only used by journeys that read HTML). */
let loading: Promise<typeof import('cheerio')> | undefined;
let mod: typeof import('cheerio') | undefined;

export async function loadHtmlParser(): Promise<void> {
  loading ??= import('cheerio').then((m) => (mod = m));
  await loading;
}

/**
 * Parses HTML with cheerio; `loadHtmlParser()` must have been awaited first. It uses the forgiving
 * htmlparser2 in HTML mode (several times faster than parse5): we only read forms, links and text.
 */
export function parseHtml(html: string): CheerioAPI {
  if (!mod) throw new Error('HTML parser not loaded (call loadHtmlParser first)');
  return mod.load(html, { xml: { xmlMode: false, decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true } });
}

export const looksLikeHtml = (contentType: string | undefined, body: string) =>
  /html/i.test(contentType ?? '') || (!contentType && /^\s*<(!doctype|html)/i.test(body));
