// settings-security.js: Settings → Security. Sign-in and sessions, API
// tokens (a new token's secret is shown once, in a dialog, and kept
// nowhere), the audit log with chain verification, and the encryption of
// stored keys with online rotation. A part whose API the server does not
// have says so instead of failing.

import { api, ApiError, pathID } from './api.js';
import { $, ago, busy, confirmDialog, field, h, markInvalid, nextID, openDialog, parseTime, plural, show, toast } from './dom.js';
import { reportError } from './shell.js';

// audited tells the audit card that an action on this page wrote to the
// log, so the table shows it without a reload.
const AUDITED = 'onb:audited';
function audited() {
  document.dispatchEvent(new Event(AUDITED));
}

function card(key, title, ...body) {
  const id = nextID('sec');
  return h('section', { class: 'card', 'data-card': key, 'aria-labelledby': id }, h('div', { class: 'card-head' }, h('h3', { id }, title)), ...body);
}

function unavailable(err) {
  if (err instanceof ApiError && err.missingRoute) return h('p', { class: 'muted' }, 'This server does not offer this yet.');
  if (err instanceof ApiError && err.status === 403) return h('p', { class: 'muted' }, 'Your sign-in does not have the admin scope needed to see this.');
  return h('p', { class: 'form-error' }, err.message);
}

function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(Boolean).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

// ---- sign-in

const KIND_LABELS = { session: 'Browser session', password: 'Password (Bearer)', token: 'API token', anonymous: 'No sign-in needed' };

async function signInCard(ctx) {
  if (!ctx.auth.authEnabled) {
    return card('sign-in', 'Sign-in', h('div', { class: 'alert alert-warn', 'data-banner': 'no-password' }, h('div', { class: 'alert-body' },
      h('strong', null, 'No password is set'),
      h('p', null, 'Anyone who can reach this server can use it and its keys. Set OPEN_NOTEBOOK_PASSWORD (or an Argon2id hash from “open-notebook hash-password”) and restart to require sign-in.'))));
  }
  const who = ctx.auth.session;
  const s = who && who.session;
  const out = h('button', { type: 'button', class: 'btn', 'data-action': 'sign-out' }, 'Sign out');
  const all = h('button', { type: 'button', class: 'btn btn-danger', 'data-action': 'sign-out-everywhere' }, 'Sign out everywhere');
  out.addEventListener('click', () => busy(out, async () => {
    try {
      await api('POST', '/api/auth/logout');
      location.assign('/ui/login');
    } catch (err) {
      reportError(err);
    }
  }));
  all.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Sign out everywhere?',
      message: 'Every browser session ends, this one included. API tokens keep working.',
      confirmLabel: 'Sign out everywhere',
      danger: true,
    });
    if (!ok) return;
    try {
      const res = await api('DELETE', '/api/auth/sessions');
      toast(`${plural(res.revoked, 'session')} ended`);
      location.assign('/ui/login');
    } catch (err) {
      reportError(err);
    }
  });
  return card('sign-in', 'Sign-in',
    h('div', { class: 'stack' },
      h('p', null, 'Password protection is on.'),
      who ? kv([
        ['Signed in with', KIND_LABELS[who.kind] || who.kind],
        ['Scope', who.scope],
        s && ['Since', ago(s.created)],
        s && ['Ends', ago(s.expires_at)],
        s && ['Ends if unused', ago(s.idle_expires_at)],
      ]) : null,
      h('div', { class: 'row' }, s ? out : null, all)));
}

// ---- API tokens

function tokenState(t) {
  if (t.revoked_at) return h('span', { class: 'badge' }, 'Revoked');
  const expires = parseTime(t.expires_at);
  if (expires && expires < new Date()) return h('span', { class: 'badge badge-warn' }, 'Expired');
  return h('span', { class: 'badge badge-ok' }, 'Active');
}

function showSecretOnce(secret, t) {
  // The form that opened this is re-rendered meanwhile: focus goes to the
  // new token's row.
  const returnTo = () => document.querySelector(`[data-token-id="${CSS.escape(t.id)}"] button`) || document.querySelector('[data-card="tokens"] summary');
  const copy = h('button', { type: 'button', class: 'btn btn-sm' }, 'Copy');
  const box = h('p', { class: 'secret-once', 'data-secret-once': '' }, secret);
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      copy.textContent = 'Copied';
    } catch {
      getSelection().selectAllChildren(box);
      copy.textContent = 'Press Ctrl+C to copy';
    }
  });
  openDialog({
    title: 'Your new API token',
    body: h('div', { class: 'stack' },
      h('p', null, `Copy the token for “${t.name || t.id}” now: it is not stored and will not be shown again.`),
      box,
      h('div', { class: 'row' }, copy),
      h('p', { class: 'muted small' }, 'Send it as “Authorization: Bearer <token>”.')),
    actions: [{ label: 'Done', kind: 'primary' }],
    returnTo,
  });
}

async function tokensCard(ctx) {
  const body = h('div', { class: 'stack' });
  const section = card('tokens', 'API tokens', h('p', { class: 'section-lede' },
    'For scripts and other programs. read: only reads; write: also changes notebooks, keys and models; admin: everything.'), body);
  const reload = async () => {
    let tokens;
    try {
      tokens = await api('GET', '/api/auth/tokens');
    } catch (err) {
      show(body, unavailable(err));
      return;
    }
    show(body,
      ctx.auth.authEnabled ? null : h('p', { class: 'muted small' }, 'Tokens take effect once a password is set.'),
      tokens.length === 0 ? h('p', { class: 'empty' }, 'No API tokens.') : h('div', { class: 'table-wrap' }, h('table', { class: 'responsive' },
        h('thead', null, h('tr', null, ['Name', 'Scope', 'Created', 'Expires', 'Last used', 'State', ''].map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'visually-hidden' }, 'Actions'))))),
        h('tbody', null, tokens.map((t) => h('tr', { 'data-token-id': t.id },
          h('td', null, h('span', { class: 'item-title' }, t.name || 'unnamed')),
          h('td', { 'data-label': 'Scope' }, h('span', { class: 'badge' }, t.scope)),
          h('td', { 'data-label': 'Created' }, ago(t.created)),
          h('td', { 'data-label': 'Expires' }, t.expires_at ? ago(t.expires_at) : 'never'),
          h('td', { 'data-label': 'Last used' }, t.last_used_at ? [ago(t.last_used_at), t.last_used_ip ? h('span', { class: 'muted small' }, ' from ' + t.last_used_ip) : null] : h('span', { class: 'muted' }, 'never')),
          h('td', { 'data-label': 'State' }, tokenState(t)),
          h('td', null, t.revoked_at ? null : h('button', {
            type: 'button', class: 'btn btn-sm btn-danger', 'aria-label': `Revoke ${t.name || t.id}`,
            onclick: async () => {
              const ok = await confirmDialog({ title: 'Revoke token?', message: `Programs using “${t.name || t.id}” will be refused from now on.`, confirmLabel: 'Revoke', danger: true });
              if (!ok) return;
              try {
                await api('DELETE', '/api/auth/tokens/' + pathID(t.id));
                toast('Token revoked');
                audited();
                await reload();
              } catch (err) {
                reportError(err);
              }
            },
          }, 'Revoke'))))))),
      createForm());
  };
  const createForm = () => {
    const formID = nextID('tok');
    const name = h('input', { type: 'text', name: 'name', maxlength: '100', autocomplete: 'off', placeholder: 'e.g. backup script' });
    const scope = h('select', { name: 'scope' }, ['read', 'write', 'admin'].map((s) => h('option', { value: s }, s)));
    const expires = h('select', { name: 'expires' },
      [['7d', '7 days'], ['30d', '30 days'], ['90d', '90 days'], ['365d', '1 year'], ['', 'Never']].map(([v, l]) => h('option', { value: v, selected: v === '30d' }, l)));
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h('form', { id: formID, class: 'form-grid', novalidate: true },
      h('div', { class: 'form-grid-2' }, field({ label: 'Name', control: name }), field({ label: 'Scope', control: scope }), field({ label: 'Expires after', control: expires })),
      error,
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create token')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      await busy(form.querySelector('button[type="submit"]'), async () => {
        try {
          const res = await api('POST', '/api/auth/tokens', { name: name.value.trim(), scope: scope.value, expires_in: expires.value || null });
          // The list shows the new token first, so that closing the dialog
          // can put focus on its row.
          await reload();
          showSecretOnce(res.token, res);
          audited();
        } catch (err) {
          error.textContent = err.message;
          error.hidden = false;
          if (err.body && Array.isArray(err.body.detail)) {
            const f = (err.body.detail[0].loc || []).at(-1);
            const control = f && form.elements[f === 'expires_in' ? 'expires' : f];
            if (control) markInvalid(control, error);
          }
        }
      });
    });
    return h('details', { class: 'more' }, h('summary', null, 'Create a token'), form);
  };
  await reload();
  return section;
}

// ---- audit log

function detailsText(d) {
  if (!d || typeof d !== 'object') return '';
  return Object.entries(d).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`).join(' · ');
}

async function auditCard() {
  const rows = h('tbody');
  const more = h('button', { type: 'button', class: 'btn btn-sm', hidden: true }, 'Older entries');
  const result = h('div', { 'aria-live': 'polite' });
  const action = h('input', { type: 'search', name: 'action', id: nextID('act'), placeholder: 'e.g. credential.update', autocomplete: 'off' });
  const verify = h('button', { type: 'button', class: 'btn', 'data-action': 'verify-audit' }, 'Verify the chain');
  const body = h('div', { class: 'stack' });
  let before = null;

  const load = async (append) => {
    const q = new URLSearchParams({ limit: '25' });
    if (action.value.trim()) q.set('action', action.value.trim());
    if (append && before) q.set('before', String(before));
    const page = await api('GET', '/api/audit?' + q);
    if (!append) rows.replaceChildren();
    for (const e of page.entries) {
      rows.append(h('tr', null,
        h('td', { class: 'nowrap', 'data-label': 'When' }, ago(e.time)),
        h('td', { 'data-label': 'Action' }, h('code', null, e.action)),
        h('td', { 'data-label': 'Outcome' }, h('span', { class: 'badge ' + (e.outcome === 'success' ? 'badge-ok' : 'badge-danger') }, e.outcome)),
        h('td', { 'data-label': 'Who' }, h('span', { class: 'mono small' }, e.actor), e.client_ip ? h('span', { class: 'muted small' }, ' · ' + e.client_ip) : null),
        h('td', { class: 'small' }, e.target ? h('div', { class: 'mono' }, e.target) : null, h('div', { class: 'muted' }, detailsText(e.details)))));
    }
    if (!rows.children.length) rows.append(h('tr', null, h('td', { colspan: '5', class: 'muted' }, 'No entries.')));
    before = page.next_before;
    more.hidden = !before;
  };

  try {
    await load(false);
  } catch (err) {
    return card('audit', 'Audit log', unavailable(err));
  }
  more.addEventListener('click', () => busy(more, () => load(true).catch(reportError)));
  const onAudited = () => {
    // A re-rendered tab has its own card; this one stops listening.
    if (!body.isConnected) {
      document.removeEventListener(AUDITED, onAudited);
      return;
    }
    load(false).catch(reportError);
  };
  document.addEventListener(AUDITED, onAudited);
  const filter = h('form', { class: 'search-form audit-filter', role: 'search' },
    h('label', { class: 'visually-hidden', for: action.id }, 'Filter by action'), action,
    h('button', { type: 'submit', class: 'btn btn-sm' }, 'Filter'));
  filter.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load(false).catch(reportError);
  });
  verify.addEventListener('click', () => busy(verify, async () => {
    try {
      const rep = await api('GET', '/api/audit/verify');
      show(result, rep.ok
        ? h('div', { class: 'alert alert-ok', 'data-audit-verify': 'ok' }, h('div', { class: 'alert-body' }, h('strong', null, 'The chain is intact'), h('p', null, `${plural(rep.entries, 'entry', 'entries')} checked. Head: `, h('code', null, rep.head || '—'))))
        : h('div', { class: 'alert alert-danger', role: 'alert', 'data-audit-verify': 'broken' }, h('div', { class: 'alert-body' }, h('strong', null, `The chain is broken at entry ${rep.broken_at}`), h('p', null, rep.problem || ''))));
    } catch (err) {
      show(result, unavailable(err));
    }
  }));
  show(body,
    h('div', { class: 'row-between' }, filter, verify),
    result,
    h('div', { class: 'table-wrap' }, h('table', { class: 'responsive' },
      h('thead', null, h('tr', null, ['When', 'Action', 'Outcome', 'Who', 'What'].map((c) => h('th', { scope: 'col' }, c)))),
      rows)),
    more);
  return card('audit', 'Audit log', h('p', { class: 'section-lede' }, 'Every security-relevant action, hash-chained so that changes to past entries are detected.'), body);
}

// ---- encryption

async function encryptionCard() {
  let st;
  try {
    st = await api('GET', '/api/admin/encryption/status');
  } catch (err) {
    return card('encryption', 'Encryption of stored keys', unavailable(err));
  }
  const body = h('div', { class: 'stack' });
  const render = (s) => {
    const rotate = h('button', { type: 'button', class: 'btn', 'data-action': 'rotate', disabled: !s.rotation_available || s.rows_needing_rotation === 0 || null }, 'Re-encrypt with the current key');
    rotate.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: 'Re-encrypt every stored key?', message: 'Each stored key is opened and sealed again with the current encryption key. It is safe while the server runs and can be repeated.', confirmLabel: 'Re-encrypt' });
      if (!ok) return;
      await busy(rotate, async () => {
        try {
          const res = await api('POST', '/api/admin/encryption/rotate');
          toast(`Re-encrypted ${plural(res.resealed, 'key')}${res.undecryptable ? `; ${res.undecryptable} could not be opened` : ''}`, res.undecryptable ? 'error' : 'info');
          audited();
          render(await api('GET', '/api/admin/encryption/status'));
        } catch (err) {
          reportError(err);
        }
      });
    });
    const byKey = Object.entries(s.rows_by_key_id || {});
    show(body,
      !s.configured ? h('div', { class: 'alert alert-danger' }, h('div', { class: 'alert-body' }, h('strong', null, 'No encryption key'), h('p', null, 'Set OPEN_NOTEBOOK_ENCRYPTION_KEY, or restore the key file, to store API keys.'))) : null,
      s.key_source === 'file' ? h('p', { class: 'muted', 'data-key-file': '' },
        'The key was generated on first start and is kept in ', h('code', null, s.key_file),
        ', apart from the database: a copy of the database alone does not reveal your provider keys. Back this file up with the database (without it the stored keys cannot be opened), or set OPEN_NOTEBOOK_ENCRYPTION_KEY to use a key of your own.') : null,
      s.configured && !s.key_matches ? h('div', { class: 'alert alert-danger' }, h('div', { class: 'alert-body' }, h('strong', null, 'The key does not match the stored data'), h('p', null, 'Set the previous key in OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS, restart, then re-encrypt.'))) : null,
      kv([
        ['Key from', { environment: 'OPEN_NOTEBOOK_ENCRYPTION_KEY', file: 'Key file in the data directory', none: 'Not set' }[s.key_source] || '—'],
        ['Current key id', s.current_key_id ? h('code', null, s.current_key_id) : '—'],
        ['Stored keys', String(s.total)],
        byKey.length ? ['By key id', byKey.map(([k, n]) => `${k}: ${n}`).join(' · ')] : null,
        s.fernet_rows ? ['From the original (Fernet)', String(s.fernet_rows)] : null,
        s.plaintext_rows ? ['Unencrypted (legacy)', String(s.plaintext_rows)] : null,
        ['Cannot be opened', String(s.undecryptable_rows)],
        ['Need re-encryption', String(s.rows_needing_rotation)],
      ]),
      h('div', { class: 'row' }, rotate));
  };
  render(st);
  return card('encryption', 'Encryption of stored keys', body);
}

/** renderSecurity draws the Security section; each card loads on its own. */
export async function renderSecurity(ctx) {
  const box = $('#security-body');
  const cards = await Promise.all([signInCard(ctx), tokensCard(ctx), auditCard(), encryptionCard()]);
  show(box, cards);
}
