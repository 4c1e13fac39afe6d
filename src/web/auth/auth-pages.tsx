import { AdminLayout } from '../admin/admin-layout.js';
import { CSRF_FIELD } from './auth.js';
import { MIN_PASSWORD_LENGTH } from './password.js';

export function LoginPage(props: { title: string; formToken: string; next: string; error?: string }) {
  return (
    <AdminLayout title={`Log in · ${props.title}`}>
      <section class="card narrow">
        <h1>Log in</h1>
        {props.error ? <p class="error" role="alert">{props.error}</p> : null}
        <form method="post" action="/login">
          <input type="hidden" name={CSRF_FIELD} value={props.formToken} />
          <input type="hidden" name="next" value={props.next} />
          <label>
            Username
            <input name="username" autocomplete="username" required value="admin" />
          </label>
          <label>
            Password
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button type="submit">Log in</button>
        </form>
      </section>
    </AdminLayout>
  );
}

export function SetupPage(props: { title: string; formToken: string; error?: string }) {
  return (
    <AdminLayout title={`Set up · ${props.title}`}>
      <section class="card narrow">
        <h1>Create the admin account</h1>
        <p class="muted">
          No account exists yet. This page answers only on this machine (loopback) and only until an account exists. You can also start halftime
          with HALFTIME_ADMIN_PASSWORD set.
        </p>
        {props.error ? <p class="error" role="alert">{props.error}</p> : null}
        <form method="post" action="/setup">
          <input type="hidden" name={CSRF_FIELD} value={props.formToken} />
          <label>
            Username
            <input name="username" autocomplete="username" required value="admin" pattern="[A-Za-z0-9_.@-]{1,64}" />
          </label>
          <label>
            Password (at least {MIN_PASSWORD_LENGTH} characters)
            <input name="password" type="password" autocomplete="new-password" required minlength={MIN_PASSWORD_LENGTH} />
          </label>
          <button type="submit">Create account</button>
        </form>
      </section>
    </AdminLayout>
  );
}
