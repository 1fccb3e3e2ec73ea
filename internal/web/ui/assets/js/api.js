// api.js: the one way the UI talks to the server. Requests go to this
// origin with the session cookie; the UI never keeps a password or token
// in storage. A 401 is the app's own "sign in again" and goes to the login
// page; a provider's rejected key arrives as a 502 and is only shown.

/** ApiError is a failed API call with a message fit to show a person. */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }

  /** missingRoute is true when the server does not have the endpoint at all. */
  get missingRoute() {
    const d = this.body && this.body.detail;
    return (this.status === 404 && d === 'Not Found') || (this.status === 405 && d === 'Method Not Allowed');
  }
}

/** loginURL is the login page, asked to come back to where the user was. */
function loginURL() {
  const here = location.pathname + location.search + location.hash;
  return '/ui/login?next=' + encodeURIComponent(here);
}

let leaving = false;

export function toLogin() {
  if (leaving || location.pathname === '/ui/login') return;
  leaving = true;
  location.assign(loginURL());
}

function fieldName(loc) {
  return (loc || []).filter((p) => p !== 'body' && p !== 'query' && p !== 'path').join('.');
}

/** messageOf turns an error response into one readable sentence. */
function messageOf(status, body, retryAfter) {
  const d = body && body.detail;
  if (Array.isArray(d)) {
    return d.map((e) => {
      const f = fieldName(e.loc);
      const msg = String(e.msg || 'is invalid').replace(/^Value error, /, '');
      return f ? `${f}: ${msg}` : msg;
    }).join('; ');
  }
  if (status === 429) {
    if (typeof d === 'string' && /try again/i.test(d)) return d;
    const wait = retryAfter ? ` Try again in ${retryAfter} seconds.` : ' Try again in a moment.';
    return (typeof d === 'string' && d ? d.replace(/\.?$/, '.') : 'Too many requests.') + wait;
  }
  if (status >= 500 && status !== 502 && status !== 503 && status !== 504) {
    const id = body && body.request_id ? ` (request id ${body.request_id})` : '';
    return `The server hit an unexpected error${id}.`;
  }
  if (typeof d === 'string' && d) return d;
  return `The server answered ${status}.`;
}

/**
 * api calls the JSON API. body is sent as JSON, or as multipart when it is
 * a FormData. It resolves to the parsed response and rejects with an
 * ApiError.
 */
export async function api(method, path, body) {
  // Answers are data of this moment: never from the browser's cache.
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'Cannot reach the server. Check that it is running and try again.', null);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return data;
  const retryAfter = res.headers.get('Retry-After');
  if (res.status === 401 && path !== '/api/auth/login') {
    toLogin();
    throw new ApiError(401, 'Your session has ended. Sign in again.', data);
  }
  throw new ApiError(res.status, messageOf(res.status, data, retryAfter), data);
}

/** pathID encodes a record id ("credential:abc") for a URL path. */
export function pathID(id) {
  return encodeURIComponent(id);
}

/**
 * stream posts body and reads the answer's server-sent events, calling
 * onEvent with each one's JSON as it arrives. signal (an AbortSignal)
 * stops it: the server then cancels the model's answer. It rejects with an
 * ApiError when the request is refused before the stream starts.
 */
export async function stream(path, body, onEvent, signal) {
  let res;
  try {
    res = await fetch(path, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store', signal,
      headers: { Accept: 'text/event-stream', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    if (err.name === 'AbortError') return;
    throw new ApiError(0, 'Cannot reach the server. Check that it is running and try again.', null);
  }
  if (!res.ok) {
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (res.status === 401) {
      toLogin();
      throw new ApiError(401, 'Your session has ended. Sign in again.', data);
    }
    throw new ApiError(res.status, messageOf(res.status, data, res.headers.get('Retry-After')), data);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const chunk = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        for (const line of chunk.split('\n')) {
          if (!line.startsWith('data:')) continue;
          try {
            onEvent(JSON.parse(line.slice(5)));
          } catch {
            // A malformed event is skipped; the stream goes on.
          }
        }
      }
    }
  } catch (err) {
    if (err.name !== 'AbortError') throw new ApiError(0, 'The answer was cut off.', null);
  }
}

/**
 * upload posts a FormData like api, reporting how much of the body has
 * been sent: onProgress(sent, total) is called as the browser sends it
 * (fetch cannot tell). It resolves and rejects as api does.
 */
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable && onProgress) onProgress(ev.loaded, ev.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'Cannot reach the server. Check that it is running and try again.', null));
    xhr.onload = () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      if (xhr.status === 401) {
        toLogin();
        return reject(new ApiError(401, 'Your session has ended. Sign in again.', data));
      }
      reject(new ApiError(xhr.status, messageOf(xhr.status, data, xhr.getResponseHeader('Retry-After')), data));
    };
    xhr.send(form);
  });
}
