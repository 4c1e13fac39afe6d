import type { Child } from 'hono/jsx';

/** `head` adds page-specific stylesheets and scripts (our own files only: the CSP forbids inline scripts). */
export function Layout(props: { title: string; children: Child; head?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* htmx would otherwise inject an inline <style>, which our CSP refuses. */}
        <meta name="htmx-config" content='{"includeIndicatorStyles":false}' />
        <link rel="icon" href="data:," />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/static/palette.css" />
        <link rel="stylesheet" href="/static/style.css" />
        <script src="/static/htmx.min.js" defer></script>
        {props.head}
      </head>
      <body>{props.children}</body>
    </html>
  );
}
