import type { ApiTokenInfo } from '../../store/auth-store.js';
import { fmtAgo } from '../format.js';
import { AdminLayout, CsrfField } from './admin-layout.js';

export function TokensPage(props: { title: string; username: string; csrfToken: string; tokens: ApiTokenInfo[]; now: number; created?: { name: string; token: string }; error?: string }) {
  return (
    <AdminLayout title={`API tokens · ${props.title}`} username={props.username} csrfToken={props.csrfToken} head={<script src="/static/copy.js" defer></script>}>
      <h1>API tokens</h1>
      <p class="muted">
        Scripts and CI call the JSON API under <code>/api/v1</code> with <code>Authorization: Bearer &lt;token&gt;</code>. Only a hash of each token is stored.
      </p>
      {props.created ? (
        <section class="card created-token" role="status">
          <p>
            New token <strong>{props.created.name}</strong>. Copy it now: it is shown only once.
          </p>
          <div class="token-row">
            <input id="new-token" class="token-value" readonly value={props.created.token} aria-label="New API token" />
            <button type="button" class="secondary copy" data-copy="new-token" aria-describedby="copy-note">
              Copy
            </button>
          </div>
          <p id="copy-note" class="copy-note muted small" aria-live="polite"></p>
        </section>
      ) : null}
      {props.error ? <p class="error">{props.error}</p> : null}
      <form method="post" action="/admin/tokens" class="card inline-form">
        <CsrfField token={props.csrfToken} />
        <label>
          Name
          <input name="name" required maxlength={100} placeholder="e.g. deploy pipeline" />
        </label>
        <button type="submit">Create token</button>
      </form>
      <table class="tokens stack">
        <thead>
          <tr>
            <th>Name</th>
            <th>Token</th>
            <th>Created</th>
            <th>Last used</th>
            <th>
              <span class="sr">Revoke</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.tokens.length === 0 ? (
            <tr>
              <td colspan={5} class="muted">
                No tokens yet.
              </td>
            </tr>
          ) : (
            props.tokens.map((t) => (
              <tr class={t.revokedAt ? 'revoked' : ''}>
                <td data-label="Name">{t.name}</td>
                <td data-label="Token">
                  <code>{t.prefix}…</code>
                </td>
                <td data-label="Created">{fmtAgo(t.createdAt, props.now)}</td>
                <td data-label="Last used">{fmtAgo(t.lastUsedAt, props.now)}</td>
                <td>
                  {t.revokedAt ? (
                    <span class="muted">revoked {fmtAgo(t.revokedAt, props.now)}</span>
                  ) : (
                    <form method="post" action={`/admin/tokens/${t.id}/revoke`}>
                      <CsrfField token={props.csrfToken} />
                      <button type="submit" class="danger">
                        Revoke
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </AdminLayout>
  );
}
