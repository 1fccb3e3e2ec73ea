// dom.js: small helpers to build the page. Everything from the API goes
// into text nodes and attributes, never through an HTML parser (the
// Content-Security-Policy turns such sinks off anyway).

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'required', 'multiple', 'indeterminate', 'open']);

/**
 * h builds an element: h('button', {class: 'btn', onclick: fn}, 'Save').
 * Keys starting with "on" add listeners; null, undefined and false skip
 * an attribute; children may be nodes, strings, numbers or arrays.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** $ finds one element by selector. */
export function $(sel, root = document) {
  return root.querySelector(sel);
}

/** show replaces the children of el. */
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** safeHref keeps http(s) and same-origin links, and drops anything else. */
export function safeHref(url) {
  try {
    const u = new URL(url, location.origin);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** highlight renders an excerpt whose matches are wrapped in **, as the search API marks them. */
export function highlight(text) {
  const parts = String(text).split('**');
  return parts.map((p, i) => (i % 2 === 1 ? h('mark', null, p) : p));
}

let uid = 0;
/** nextID returns a fresh element id for label and aria wiring. */
export function nextID(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** field builds a labelled form control; opts.control is the input itself. */
export function field({ label, control, hint, required }) {
  if (!control.id) control.id = nextID();
  const hintEl = hint ? h('p', { class: 'hint', id: control.id + '-hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, '*') : null),
    control, hintEl);
}

/**
 * markInvalid ties a form's error message to the control it is about
 * (aria-invalid, aria-describedby) until the control is edited; marks left
 * on other controls of the form are cleared.
 */
export function markInvalid(control, errorEl) {
  if (!errorEl.id) errorEl.id = nextID('err');
  const form = control.form || control.closest('form');
  if (form) {
    for (const el of form.querySelectorAll('[aria-invalid="true"]')) unmark(el, errorEl.id);
  }
  control.setAttribute('aria-invalid', 'true');
  const ids = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  if (!ids.includes(errorEl.id)) control.setAttribute('aria-describedby', [...ids, errorEl.id].join(' '));
  const clear = () => unmark(control, errorEl.id);
  control.addEventListener('input', clear, { once: true });
  control.addEventListener('change', clear, { once: true });
}

function unmark(control, errorID) {
  control.removeAttribute('aria-invalid');
  const ids = (control.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && id !== errorID);
  if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
  else control.removeAttribute('aria-describedby');
}

/** sentence ends a message with a full stop unless it already ends a sentence, so another can follow it. */
export function sentence(message) {
  const m = String(message || '').trim();
  return !m || /[.!?…]["')\]]?$/.test(m) ? m : m + '.';
}

/** busy disables a button while fn runs and marks it busy for assistive tech. */
export async function busy(button, fn, label) {
  if (!button) return fn();
  const was = button.disabled;
  const text = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  // A long wait says what is happening, not only that something is.
  if (label) button.textContent = label;
  try {
    return await fn();
  } finally {
    button.removeAttribute('aria-busy');
    if (label) button.textContent = text;
    if (button.isConnected) button.disabled = was;
  }
}

/** toast shows a short message in the page's live region. */
export function toast(message, kind = 'info') {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const close = h('button', { type: 'button', 'aria-label': 'Dismiss' }, '×');
  const el = h('div', { class: 'toast' + (kind === 'error' ? ' error' : '') }, h('span', { class: 'toast-msg' }, message), close);
  const remove = () => el.remove();
  close.addEventListener('click', remove);
  // A few at a time: older messages make way for newer ones.
  while (box.children.length >= 3) box.firstElementChild.remove();
  box.append(el);
  setTimeout(remove, kind === 'error' ? 10000 : 5000);
}

/**
 * openDialog shows a modal dialog. actions are footer buttons: {label,
 * kind, onclick, submit}; a submit action submits the form in the body.
 * It returns {dialog, close}.
 */
export function openDialog({ title, body, actions = [], wide = false, onclose, returnTo }) {
  const titleID = nextID('dlg');
  const opener = document.activeElement;
  const dialog = h('dialog', { class: wide ? 'wide' : null, 'aria-labelledby': titleID });
  const close = () => dialog.close();
  const foot = h('div', { class: 'dialog-foot' });
  for (const a of actions) {
    const btn = h('button', {
      type: a.submit ? 'submit' : 'button',
      form: a.submit || null,
      class: 'btn ' + (a.kind ? 'btn-' + a.kind : ''),
      'data-action': a.id || null,
    }, a.label);
    if (a.onclick) btn.addEventListener('click', (ev) => a.onclick(ev, btn));
    else if (!a.submit) btn.addEventListener('click', close);
    foot.append(btn);
  }
  dialog.append(h('div', { class: 'dialog-inner' },
    h('div', { class: 'dialog-head' },
      h('h2', { id: titleID }, title),
      h('button', { type: 'button', class: 'btn btn-quiet btn-sm', 'aria-label': 'Close', onclick: close }, '✕')),
    h('div', { class: 'dialog-body' }, body),
    actions.length ? foot : null));
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (onclose) onclose();
    // Focus goes back where it came from or, when that is gone (the page
    // re-rendered meanwhile), where the caller says, never to <body>.
    const back = opener && opener !== document.body && opener.isConnected ? opener : returnTo && returnTo();
    if (back && typeof back.focus === 'function') back.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  // Start in the first field rather than on the close button.
  const first = dialog.querySelector('.dialog-body input:not([type="hidden"]):not(:disabled), .dialog-body select, .dialog-body textarea');
  if (first) first.focus();
  return { dialog, close };
}

/** confirmDialog asks a yes/no question and resolves to the answer. */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const { close } = openDialog({
      title,
      body: Array.isArray(message) ? message : h('p', null, message),
      actions: [
        { label: 'Cancel' },
        { label: confirmLabel, kind: danger ? 'danger-solid' : 'primary', id: 'confirm', onclick: () => { answer = true; close(); } },
      ],
      onclose: () => resolve(answer),
    });
  });
}

/** parseTime reads the API's "2026-01-02 03:04:05.123456+00:00" times. */
export function parseTime(s) {
  if (!s) return null;
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$/.exec(s);
  if (!m) return null;
  const frac = m[3] ? m[3].slice(0, 4) : '';
  const d = new Date(`${m[1]}T${m[2]}${frac}${m[4] || 'Z'}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** ago renders a time relative to now ("5 minutes ago"), with the exact time as a tooltip. */
export function ago(s) {
  const d = parseTime(s);
  if (!d) return h('span', null, '—');
  const secs = Math.round((d.getTime() - Date.now()) / 1000);
  const abs = Math.abs(secs);
  let text;
  if (abs < 45) text = secs <= 0 ? 'just now' : 'in a moment';
  else if (abs < 3600) text = rtf.format(Math.round(secs / 60), 'minute');
  else if (abs < 86400) text = rtf.format(Math.round(secs / 3600), 'hour');
  else if (abs < 45 * 86400) text = rtf.format(Math.round(secs / 86400), 'day');
  else if (abs < 365 * 86400) text = rtf.format(Math.round(secs / (30 * 86400)), 'month');
  else text = rtf.format(Math.round(secs / (365 * 86400)), 'year');
  return h('time', { datetime: d.toISOString(), title: d.toLocaleString() }, text);
}

/** plural renders "1 note" / "3 notes". */
export function plural(n, one, many = one + 's') {
  return `${n} ${n === 1 ? one : many}`;
}
