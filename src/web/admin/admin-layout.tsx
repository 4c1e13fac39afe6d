import type { Child } from 'hono/jsx';
import { CSRF_FIELD } from '../auth/auth.js';

/** Full document for the operator's pages. With a session, htmx sends its CSRF token on every request. */
export function AdminLayout(props: { title: string; csrfToken?: string; username?: string; sse?: boolean; head?: Child; children: Child }) {
  const hxHeaders = props.csrfToken ? JSON.stringify({ 'X-CSRF-Token': props.csrfToken }) : undefined;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content='{"includeIndicatorStyles":false}' />
        <link rel="icon" href="data:," />
        <title>{props.title}</title>
        <link rel="stylesheet" href="/static/palette.css" />
        <link rel="stylesheet" href="/static/style.css" />
        <link rel="stylesheet" href="/static/admin.css" />
        <script src="/static/htmx.min.js" defer></script>
        {props.sse ? <script src="/static/htmx-ext-sse.min.js" defer></script> : null}
        {props.head ?? null}
      </head>
      <body class="admin" hx-headers={hxHeaders}>
        <header class="admin-top">
          <a class="brand" href="/admin">halftime</a>
          {props.username ? (
            <nav aria-label="Operator pages">
              <a href="/admin">Dashboard</a>
              <a href="/admin/load-runs">Load runs</a>
              <a href="/admin/health">Health</a>
              <a href="/admin/tokens">API tokens</a>
              <a href="/">Status page</a>
              <form method="post" action="/logout" class="inline">
                <input type="hidden" name={CSRF_FIELD} value={props.csrfToken} />
                <button type="submit" class="link">Log out {props.username}</button>
              </form>
            </nav>
          ) : null}
        </header>
        <main class="admin-main">{props.children}</main>
      </body>
    </html>
  );
}

/** A POST form that carries the session's CSRF token. */
export function CsrfField(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}
