/**
 * Escaping and length limits for the chat formats. Values are escaped for their target, so a
 * monitor named `<b>Shop</b> *beta*` or a failure message with `&` and `_` shows as written, and
 * nothing a target returns can inject a link, a mention or markup.
 */

const replaceFrom = (map: Record<string, string>) => (s: string) => s.replace(new RegExp(`[${Object.keys(map).map((c) => '\\' + c).join('')}]`, 'g'), (c) => map[c]!);

/** HTML text and attribute values (Telegram, Pushover, Google Chat card text). */
export const escapeHtml = replaceFrom({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' });

/** Slack mrkdwn: only `&`, `<` and `>` are control characters (they make links and mentions). */
export const escapeSlack = replaceFrom({ '&': '&amp;', '<': '&lt;', '>': '&gt;' });

/** Markdown with backslash escapes (Discord, Mattermost): emphasis, code, spoilers, quotes, links, headings, mentions. */
export const escapeMarkdown = (s: string) => s.replace(/[\\`*_~|<>[\]#]/g, (c) => '\\' + c);

/** Adaptive Card markdown (Teams): bold/italic and links are all it knows. */
export const escapeCardMarkdown = (s: string) => s.replace(/[\\*_[\]]/g, (c) => '\\' + c);

/** A URL inside Slack's `<url|label>`: `|` and `>` would end it early. */
export const slackLinkUrl = (url: string) => escapeSlack(url).replace(/\|/g, '%7C');

/**
 * `raw` escaped with `esc`, at most `max` characters: cut before escaping (so no entity or escape is
 * split) and marked with `…`.
 */
export function fit(raw: string, max: number, esc: (s: string) => string = (s) => s): string {
  let n = raw.length;
  for (let i = 0; i < 10; i++) {
    const out = esc(n < raw.length ? raw.slice(0, n) + '…' : raw);
    if (out.length <= max) return out;
    n = Math.max(0, n - (out.length - max) - 1);
  }
  return '…';
}

/**
 * Renders label/value rows within a total length: values are shortened (longest first) only as
 * much as needed, so short facts such as the step and the numbers always survive.
 */
export function rowsWithin(rows: [string, string][], max: number, render: (label: string, value: string) => string, sep = '\n'): string {
  const draw = (n: number, cap: number) => rows.slice(0, n).map(([k, v]) => render(k, v.length > cap ? v.slice(0, cap) + '…' : v)).join(sep);
  for (const cap of [Infinity, 1000, 400, 200, 100, 50, 20]) {
    const out = draw(rows.length, cap);
    if (out.length <= max) return out;
  }
  // Still too long (a tiny limit): the first rows only.
  for (let n = rows.length - 1; n > 0; n--) {
    const out = draw(n, 20);
    if (out.length <= max) return out;
  }
  return '';
}
