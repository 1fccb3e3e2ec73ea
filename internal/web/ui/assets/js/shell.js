// shell.js: what every signed-in page does first: learn whether the
// server wants a password, make sure there is a session when it does, and
// wire the top bar.

import { api, ApiError, toLogin } from './api.js';
import { $, h, toast } from './dom.js';

/** banner shows a page-wide alert above the content. */
export function banner(kind, title, text) {
  const area = $('#banner-area');
  if (!area) return;
  area.append(h('div', { class: `alert alert-${kind}`, role: kind === 'danger' ? 'alert' : null },
    h('div', { class: 'alert-body' }, h('strong', null, title), text ? h('p', null, text) : null)));
}

async function signOut(button) {
  button.disabled = true;
  try {
    await api('POST', '/api/auth/logout');
  } catch (err) {
    // A session that already ended is as good as signed out.
    if (!(err instanceof ApiError) || (err.status !== 401 && !err.missingRoute)) {
      button.disabled = false;
      toast(err.message, 'error');
      return;
    }
  }
  location.assign('/ui/login');
}

/** signedIn reports whether the server set a session cookie (its HttpOnly value is not readable; a hint beside it is). */
export function signedIn() {
  return document.cookie.split(';').some((c) => c.trim() === 'onb_signed_in=1');
}

/**
 * startPage checks the server and the session. It resolves to
 * {authEnabled, session} and, when a session is needed but missing, sends
 * the browser to the login page (and never resolves).
 */
export async function startPage() {
  let status;
  try {
    status = await api('GET', '/api/auth/status');
  } catch (err) {
    banner('danger', 'Cannot reach the server', err.message);
    throw err;
  }
  const authEnabled = !!status.auth_enabled;
  let session = null;
  if (authEnabled) {
    // Without the sign-in hint cookie there is no session to ask about.
    if (!signedIn()) {
      toLogin();
      return new Promise(() => {});
    }
    try {
      session = await api('GET', '/api/auth/session');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return new Promise(() => {});
      if (!(err instanceof ApiError && err.missingRoute)) throw err;
    }
    const box = $('#session');
    const out = $('#logout');
    if (box && out) {
      box.hidden = false;
      out.addEventListener('click', () => signOut(out));
    }
  }
  api('GET', '/api/config').then((cfg) => {
    if (cfg && cfg.dbStatus === 'offline') {
      banner('danger', 'The database is offline', 'Changes cannot be saved until the server can reach its database again.');
    }
  }).catch(() => {});
  return { authEnabled, session };
}

/** reportError shows an error without losing the page. */
export function reportError(err) {
  if (err instanceof ApiError && err.status === 401) return; // already on the way to the login page
  toast(err && err.message ? err.message : String(err), 'error');
}
