/**
 * Status badges as SVG, drawn like the common flat shields: a grey label and a coloured message,
 * 20 px high, Verdana 11 px with a faint shadow. Widths come from Verdana's advance widths, so a
 * badge fits its text without a font on the server; text is escaped (a monitor may be named `<b>`).
 */

/** Verdana 11 px advance widths (px) of printable ASCII, from space (32) to tilde (126). */
const WIDTHS = [
  3.9, 4.3, 5.0, 9.0, 7.0, 11.8, 8.0, 2.9, 5.0, 5.0, 7.0, 9.0, 4.0, 5.0, 4.0, 5.0, // space ! " # $ % & ' ( ) * + , - . /
  7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 5.0, 5.0, 9.0, 9.0, 9.0, 6.0, // 0-9 : ; < = > ?
  10.9, 7.5, 7.6, 7.7, 8.5, 7.0, 6.3, 8.5, 8.3, 4.6, 5.0, 7.6, 6.1, 9.3, 8.2, 8.7, // @ A-O
  6.6, 8.7, 7.7, 7.5, 6.8, 8.1, 7.5, 10.9, 7.5, 6.8, 7.5, 5.0, 5.0, 5.0, 9.0, 7.0, // P-Z [ \ ] ^ _
  7.0, 6.6, 6.8, 5.7, 6.8, 6.6, 3.9, 6.8, 7.0, 3.0, 3.8, 6.5, 3.0, 10.7, 7.0, 6.6, // ` a-o
  6.8, 6.8, 4.7, 5.7, 4.3, 7.0, 6.5, 9.0, 6.5, 6.5, 5.8, 7.0, 5.0, 7.0, 9.0, // p-z { | } ~
];

/** Width of `text` in Verdana 11 px; characters outside ASCII count as a wide letter. */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += c >= 32 && c <= 126 ? WIDTHS[c - 32] : 9;
  }
  return Math.round(w * 10) / 10;
}

const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** The shields' palette. */
export const COLOURS = {
  green: '#4c1',
  yellowgreen: '#a4a61d',
  yellow: '#dfb317',
  orange: '#fe7d37',
  red: '#e05d44',
  blue: '#007ec6',
  grey: '#9f9f9f',
} as const;
export type BadgeColour = keyof typeof COLOURS;

/** Text longer than this is cut (with …): a badge is a badge. */
const MAX_CHARS = 60;
const cut = (s: string) => ([...s].length > MAX_CHARS ? [...s].slice(0, MAX_CHARS - 1).join('') + '…' : s);

export function renderBadge(label: string, message: string, colour: BadgeColour): string {
  const l = cut(label);
  const m = cut(message);
  // 5 px of padding on each side of each text, as the shields have.
  const lw = Math.round(textWidth(l) + 10);
  const mw = Math.round(textWidth(m) + 10);
  const w = lw + mw;
  const fill = COLOURS[colour];
  const title = escapeXml(`${l}: ${m}`);
  // Text is drawn at 10× and scaled down, as the shields do, for crisp sub-pixel positions.
  const text = (s: string, x: number) => {
    const e = escapeXml(s);
    const len = Math.round(textWidth(s) * 10);
    return `<text aria-hidden="true" x="${x * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="${len}">${e}</text><text x="${x * 10}" y="140" transform="scale(.1)" fill="#fff" textLength="${len}">${e}</text>`;
  };
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${title}">` +
    `<title>${title}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${fill}"/><rect width="${w}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">` +
    text(l, lw / 2) +
    text(m, lw + mw / 2) +
    `</g></svg>`
  );
}
