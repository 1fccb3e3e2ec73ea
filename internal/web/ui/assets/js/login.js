// login.js: the sign-in page (/ui/login). The password goes to the server
// once, in the login request; the server answers with an HttpOnly session
// cookie that scripts cannot read. Nothing is kept in browser storage.

import { api, ApiError } from './api.js';
import { $ } from './dom.js';
import { signedIn } from './shell.js';

/** nextPath is where to go after signing in: a UI page of this server only. */
function nextPath() {
  const next = new URLSearchParams(location.search).get('next') || '';
  // Only same-origin UI paths: "/ui/..." and never "//host" or "/\host".
  if (/^\/ui(\/|$|\?|#)/.test(next) && !next.startsWith('//') && !next.includes('\\')) return next;
  return '/ui/';
}

function fail(message) {
  const el = $('#login-error');
  el.textContent = message;
  el.hidden = false;
}

async function submit(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const password = form.elements.password.value;
  $('#login-error').hidden = true;
  if (!password) {
    fail('Enter the password.');
    form.elements.password.focus();
    return;
  }
  const button = $('#login-submit');
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await api('POST', '/api/auth/login', { password });
    form.reset();
    location.replace(nextPath());
  } catch (err) {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (err instanceof ApiError && err.status === 401) fail('Wrong password. Try again.');
    else if (err instanceof ApiError && err.missingRoute) fail('This server does not offer browser sign-in.');
    else fail(err.message);
    form.elements.password.select();
  }
}

async function start() {
  $('#login').addEventListener('submit', submit);
  $('#login-submit').disabled = false;
  try {
    const status = await api('GET', '/api/auth/status');
    if (!status.auth_enabled) {
      location.replace(nextPath());
      return;
    }
  } catch (err) {
    fail(err.message);
    return;
  }
  if (!signedIn()) return; // no session cookie: ask for the password
  try {
    // Already signed in (a valid cookie): nothing to do here.
    await api('GET', '/api/auth/session');
    location.replace(nextPath());
  } catch {
    // The session ended: stay and ask for the password.
  }
}

start();
