// settings-keys.js: Settings → API keys. One card per provider with its
// credentials: add, test, discover and register models, edit, delete
// (moving models to another key of the same provider), and the banners
// about encryption and keys found in the environment.

import { api, pathID } from './api.js';
import { $, ago, busy, field, h, markInvalid, nextID, openDialog, plural, safeHref, sentence, show, toast } from './dom.js';
import { fieldsFor, keyOptional, SLOTS, TYPE_LABELS, TYPES } from './providers.js';
import { reportError } from './shell.js';

const STATUS_LABELS = {
  ok: 'Connected',
  auth_failed: 'Key rejected',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  rate_limited: 'Rate limited',
  unreachable: 'Unreachable',
  timeout: 'Timed out',
  tls_error: 'TLS error',
  blocked: 'Blocked',
  error: 'Error',
};

/** encryptionState reads the banners' inputs from /api/credentials/status. */
function encryptionState(ctx) {
  const st = ctx.state.status || {};
  return { configured: st.encryption_configured !== false, matches: st.encryption_key_matches !== false, keyFile: st.encryption_key_file };
}

// ---- banners

function renderBanners(ctx) {
  const box = $('#keys-banners');
  const enc = encryptionState(ctx);
  const out = [];
  if (!enc.configured) {
    out.push(h('div', { class: 'alert alert-danger', 'data-banner': 'no-encryption-key' },
      h('div', { class: 'alert-body' },
        h('strong', null, 'Encryption key not configured'),
        h('p', null, enc.keyFile
          ? `Keys are stored encrypted, but the key file ${enc.keyFile} is missing. Restore it from your backup (or set OPEN_NOTEBOOK_ENCRYPTION_KEY to the key) and restart the server. Until then keys cannot be added.`
          : 'Set the OPEN_NOTEBOOK_ENCRYPTION_KEY environment variable and restart the server to store API keys. Until then keys cannot be added.'))));
  } else if (!enc.matches) {
    out.push(h('div', { class: 'alert alert-danger', 'data-banner': 'key-mismatch' },
      h('div', { class: 'alert-body' },
        h('strong', null, 'The encryption key does not match the stored keys'),
        h('p', null, 'Stored keys were sealed with a different OPEN_NOTEBOOK_ENCRYPTION_KEY and cannot be opened. Restore that key, or set it in OPEN_NOTEBOOK_ENCRYPTION_KEY_PREVIOUS and run “open-notebook rotate-key”. New keys are not stored until then.'))));
  }
  const env = ctx.state.envStatus || {};
  const st = ctx.state.status || { source: {} };
  const toMigrate = ctx.state.providers.filter((p) => env[p.name] && st.source && st.source[p.name] === 'environment');
  if (enc.configured && enc.matches && toMigrate.length > 0) {
    const button = h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'migrate-env' }, 'Move to the database');
    button.addEventListener('click', () => migrateFromEnv(ctx, button));
    out.push(h('div', { class: 'alert alert-warn', 'data-banner': 'env-migration' },
      h('div', { class: 'alert-body' },
        h('strong', null, 'Keys found in the environment'),
        h('p', null, `${toMigrate.map((p) => p.display_name).join(', ')} ${toMigrate.length === 1 ? 'is' : 'are'} configured by environment variables. Store ${toMigrate.length === 1 ? 'it' : 'them'} in the database, encrypted, to test and manage ${toMigrate.length === 1 ? 'it' : 'them'} here.`)),
      button));
  }
  show(box, out);
}

async function migrateFromEnv(ctx, button) {
  await busy(button, async () => {
    try {
      const res = await api('POST', '/api/credentials/migrate-from-env');
      const n = res.migrated.length;
      if (res.errors.length > 0) toast(`${plural(res.errors.length, 'key')} could not be moved: ${res.errors.join('; ')}`, 'error');
      if (n > 0) toast(`${plural(n, 'key')} moved to the database`);
      else if (res.errors.length === 0) toast('All keys are already in the database');
      await ctx.refresh();
    } catch (err) {
      reportError(err);
    }
  });
}

// ---- provider cards

function statusBadge(ctx, p) {
  const source = (ctx.state.status && ctx.state.status.source && ctx.state.status.source[p.name]) || 'none';
  if (source === 'database') return h('span', { class: 'badge badge-ok' }, 'Configured');
  if (source === 'environment') return h('span', { class: 'badge badge-accent' }, 'From environment');
  return h('span', { class: 'badge' }, 'Not configured');
}

function testBadge(result) {
  const label = STATUS_LABELS[result.status] || (result.success ? 'Connected' : 'Failed');
  let kind = result.success ? 'badge-ok' : 'badge-danger';
  if (result.success && result.status && result.status !== 'ok') kind = 'badge-warn';
  return h('span', { class: 'badge ' + kind }, result.success ? '✓ ' + label : '✕ ' + label);
}

function testLine(ctx, c) {
  const fresh = ctx.tests.get(c.id);
  if (fresh) {
    return h('div', { class: 'test-result', 'data-test-result': fresh.success ? 'success' : 'failure' },
      h('div', { class: 'row' }, testBadge(fresh),
        typeof fresh.latency_ms === 'number' ? h('span', { class: 'muted small' }, `${Math.round(fresh.latency_ms)} ms`) : null),
      fresh.message ? h('p', { class: 'msg' }, fresh.message) : null);
  }
  // A key that cannot be opened is not connected, whatever an earlier
  // test found; its decryption error says why.
  if (c.last_test_status && !c.decryption_error) {
    const ok = c.last_test_status === 'ok' || c.last_test_status === 'rate_limited';
    return h('div', { class: 'test-result muted' }, h('div', { class: 'row' },
      testBadge({ success: ok, status: c.last_test_status }), h('span', { class: 'small' }, 'last tested ', ago(c.last_tested_at))));
  }
  return null;
}

function modelChips(ctx, c) {
  const models = ctx.state.models.filter((m) => m.credential === c.id);
  if (models.length === 0) return null;
  const slotsOf = (id) => SLOTS.filter((s) => ctx.state.defaults[s.field] === id).map((s) => s.short);
  const shown = models.slice(0, 8);
  return h('ul', { class: 'model-chips list-plain', 'aria-label': `Models of ${c.name}` },
    shown.map((m) => {
      const slots = slotsOf(m.id);
      return h('li', { class: 'chip', title: TYPE_LABELS[m.type] || m.type }, m.name,
        slots.length ? h('span', { class: 'badge badge-accent' }, slots.join(', ')) : null);
    }),
    models.length > shown.length ? h('li', { class: 'chip muted' }, `and ${models.length - shown.length} more`) : null);
}

function credentialItem(ctx, p, c) {
  const broken = !!c.decryption_error;
  const keyText = c.has_api_key ? (c.api_key_hint ? `Key ends in …${c.api_key_hint}` : 'Key stored') : 'No key';
  const where = c.base_url || c.endpoint || (c.project ? `${c.project}${c.location ? ' · ' + c.location : ''}` : null);
  const action = (label, act, fn, disabled) => h('button', {
    type: 'button', class: 'btn btn-sm' + (act === 'delete' ? ' btn-danger' : ''), 'data-action': act,
    'data-key': `${act}:${c.id}`, disabled: disabled || null, 'aria-label': `${label} ${c.name}`,
    title: disabled ? 'The key cannot be decrypted' : null, onclick: (ev) => fn(ctx, p, c, ev.currentTarget),
  }, label);
  return h('div', { class: 'cred', 'data-credential': c.id },
    h('div', { class: 'row-between' },
      h('div', null,
        h('div', { class: 'cred-name' }, c.name),
        h('div', { class: 'item-meta' }, [keyText, where, plural(c.model_count, 'model')].filter(Boolean).join(' · '))),
      h('div', { class: 'item-actions' },
        action('Test', 'test', testCredential, broken),
        action('Models', 'discover', discoverModels, broken),
        action('Edit', 'edit', editCredential, broken),
        action('Delete', 'delete', deleteCredential, false))),
    broken ? h('div', { class: 'alert alert-warn', role: 'note' }, h('div', { class: 'alert-body' },
      h('strong', null, 'Decryption error'),
      h('p', null, `${c.decryption_error} Delete this key and add it again, or restore the encryption key it was saved with.`))) : null,
    testLine(ctx, c),
    modelChips(ctx, c));
}

function providerCard(ctx, p) {
  const enc = encryptionState(ctx);
  const creds = ctx.state.credentials.filter((c) => c.provider === p.name);
  const typesWithModels = new Set(ctx.state.models.filter((m) => m.provider.toLowerCase() === p.name).map((m) => m.type));
  const titleID = nextID('prov');
  const docs = p.docs_url ? safeHref(p.docs_url) : null;
  const add = h('button', {
    type: 'button', class: 'btn btn-sm', 'data-action': 'add', 'data-key': 'add:' + p.name,
    disabled: !enc.configured || null, title: enc.configured ? null : 'Set OPEN_NOTEBOOK_ENCRYPTION_KEY first',
    'aria-label': `Add a key for ${p.display_name}`,
  }, creds.length ? 'Add another key' : 'Add key');
  add.addEventListener('click', () => addCredential(ctx, p));
  return h('article', { class: 'card provider-card', 'data-provider': p.name, 'aria-labelledby': titleID },
    h('div', { class: 'row-between' }, h('h3', { id: titleID }, p.display_name), statusBadge(ctx, p)),
    h('div', { class: 'badges', 'aria-label': 'Model types' }, p.modalities.map((m) =>
      h('span', { class: 'badge' + (typesWithModels.has(m) ? ' badge-accent' : ''), title: typesWithModels.has(m) ? 'Models registered' : null }, TYPE_LABELS[m] || m))),
    creds.length ? h('div', null, creds.map((c) => credentialItem(ctx, p, c))) : null,
    h('div', { class: 'row' }, add, h('span', { class: 'spacer' }),
      docs ? h('a', { href: docs, target: '_blank', rel: 'noopener noreferrer', class: 'small' },
        docs.startsWith('https://github.com/') ? 'Setup guide ↗' : 'Get a key ↗') : null));
}

function renderProviders(ctx) {
  const box = $('#providers');
  const filter = $('#provider-filter');
  $('#provider-tools').hidden = false;
  const q = filter.value.trim().toLowerCase();
  const has = new Set(ctx.state.credentials.map((c) => c.provider));
  // Providers with keys first; otherwise the registry's order.
  const ordered = [...ctx.state.providers].sort((a, b) => Number(has.has(b.name)) - Number(has.has(a.name)));
  const shown = ordered.filter((p) => !q || p.display_name.toLowerCase().includes(q) || p.name.includes(q));
  if (shown.length === 0) {
    show(box, h('p', { class: 'empty' }, 'No provider matches.'));
    return;
  }
  show(box, shown.map((p) => providerCard(ctx, p)));
}

/** renderKeys draws the API keys section from ctx.state. */
export function renderKeys(ctx) {
  renderBanners(ctx);
  renderProviders(ctx);
}

/** wireKeys sets up the section's static controls once. */
export function wireKeys(ctx) {
  $('#provider-filter').addEventListener('input', () => renderProviders(ctx));
}

// ---- test

async function testCredential(ctx, p, c, button) {
  await busy(button, async () => {
    let result;
    try {
      result = await api('POST', `/api/credentials/${pathID(c.id)}/test`);
    } catch (err) {
      if (err.status === 401) return;
      result = { success: false, status: err.status === 429 ? 'rate_limited' : 'error',
        message: err.missingRoute ? 'This server cannot test keys yet.' : err.message };
    }
    ctx.tests.set(c.id, result);
    toast(`${c.name}: ${result.message || (result.success ? 'connected' : 'failed')}`, result.success ? 'info' : 'error');
    ctx.focusKey = `test:${c.id}`;
    await ctx.refresh();
  });
}

// ---- add and edit

function urlOK(v) {
  return /^https?:\/\/[^\s]+$/i.test(v);
}

/**
 * credentialForm builds the add/edit form of provider p. existing is the
 * credential being edited, or null. It returns {form, error, read}: error
 * is where messages go, and read() validates the form and returns the
 * request body, or throws an Error to show (naming the control at fault).
 */
function credentialForm(ctx, p, existing, formID) {
  const inputs = {};
  const count = ctx.state.credentials.filter((c) => c.provider === p.name).length;
  const name = h('input', {
    type: 'text', name: 'name', required: true, maxlength: '200', autocomplete: 'off',
    value: existing ? existing.name : (count ? `${p.display_name} ${count + 1}` : p.display_name),
  });
  const modalities = [...new Set([...p.modalities, ...(existing ? existing.modalities : [])])]
    .sort((a, b) => TYPES.indexOf(a) - TYPES.indexOf(b));
  const boxes = modalities.map((m) => h('input', {
    type: 'checkbox', name: 'modalities', value: m, checked: existing ? existing.modalities.includes(m) : true,
  }));
  const top = [
    field({ label: 'Name', control: name, required: true, hint: 'To tell several keys of one provider apart.' }),
    h('fieldset', null, h('legend', null, 'Model types'),
      h('div', { class: 'row' }, boxes.map((b, i) => h('label', { class: 'check' }, b, TYPE_LABELS[modalities[i]] || modalities[i])))),
  ];
  const groups = new Map();
  let removeKey = null;
  for (const f of fieldsFor(p)) {
    let control;
    if (f.kind === 'number') {
      control = h('input', { type: 'number', name: f.name, min: '1', max: '10000000', step: '1', inputmode: 'numeric', placeholder: f.placeholder || null });
    } else {
      control = h('input', {
        type: f.kind === 'secret' ? 'password' : f.kind === 'url' ? 'url' : 'text', name: f.name,
        autocomplete: f.kind === 'secret' ? 'new-password' : 'off', spellcheck: 'false', placeholder: f.placeholder || null,
      });
    }
    let hint = f.hint;
    let required = !!f.required;
    if (existing) {
      if (f.kind === 'secret') {
        control.placeholder = existing.has_api_key ? 'Leave empty to keep the stored key' : 'No key stored';
        hint = existing.has_api_key ? (existing.api_key_hint ? `The stored key ends in …${existing.api_key_hint}.` : 'A key is stored.') : f.hint;
        required = required && !existing.has_api_key;
      } else {
        const v = existing[f.name];
        control.value = v === null || v === undefined ? '' : String(v);
      }
    } else if (f.initial) {
      control.value = f.initial;
    }
    if (required) control.required = true;
    inputs[f.name] = { spec: f, control, required, initial: control.value };
    const el = field({ label: f.label, control, hint, required });
    if (f.kind === 'secret' && existing && existing.has_api_key && keyOptional(p)) {
      removeKey = h('input', { type: 'checkbox', name: 'remove_key' });
      el.append(h('label', { class: 'check small' }, removeKey, 'Remove the stored key'));
    }
    if (f.group) {
      if (!groups.has(f.group)) groups.set(f.group, []);
      groups.get(f.group).push(el);
    } else {
      top.push(el);
    }
  }
  for (const [label, els] of groups) {
    const open = els.some((el) => el.querySelector('input').value !== '');
    top.push(h('details', { class: 'more', open: open || null }, h('summary', null, label), h('div', { class: 'form-grid' }, els)));
  }
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { id: formID, class: 'form-grid', novalidate: true }, top, error);

  function read() {
    const nameValue = name.value.trim();
    if (!nameValue) throw fieldError(name, 'Give the key a name.');
    const mods = boxes.filter((b) => b.checked).map((b) => b.value);
    if (mods.length === 0) throw fieldError(boxes[0], 'Choose at least one model type.');
    const values = {};
    for (const [k, { spec, control, required }] of Object.entries(inputs)) {
      const v = control.value.trim();
      if (required && !v) throw fieldError(control, `${spec.label} is required.`);
      if (v && spec.kind === 'url' && !urlOK(v)) throw fieldError(control, `${spec.label} must start with http:// or https://.`);
      if (v && spec.kind === 'number') {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 10000000) throw fieldError(control, `${spec.label} must be a whole number from 1 to 10,000,000.`);
      }
      values[k] = v;
    }
    if (!existing) {
      const body = { name: nameValue, provider: p.name, modalities: mods };
      for (const [k, v] of Object.entries(values)) {
        if (v === '') continue;
        body[k] = inputs[k].spec.kind === 'number' ? Number(v) : v;
      }
      return body;
    }
    // An edit sends only what changed: an emptied field as null (clear),
    // and the key only when one was typed.
    const body = {};
    if (nameValue !== existing.name) body.name = nameValue;
    const sameMods = mods.length === existing.modalities.length && mods.every((m) => existing.modalities.includes(m));
    if (!sameMods) body.modalities = mods;
    for (const [k, v] of Object.entries(values)) {
      const { spec, initial } = inputs[k];
      if (spec.kind === 'secret') {
        if (v) body.api_key = v;
        continue;
      }
      if (v === initial.trim()) continue;
      if (v === '') body[k] = null;
      else body[k] = spec.kind === 'number' ? Number(v) : v;
    }
    if (removeKey && removeKey.checked && !body.api_key) body.api_key = '';
    return body;
  }

  function fieldError(control, message) {
    const e = new Error(message);
    e.control = control;
    return e;
  }

  return { form, error, read };
}

function showFormError(error, err) {
  error.textContent = err.message;
  error.hidden = false;
  if (err.control) {
    markInvalid(err.control, error);
    err.control.focus();
  }
}

function addCredential(ctx, p) {
  const formID = nextID('cred');
  const { form, error, read } = credentialForm(ctx, p, null, formID);
  const { close } = openDialog({
    title: `Add a key for ${p.display_name}`,
    body: form,
    actions: [{ label: 'Cancel' }, { label: 'Save key', kind: 'primary', submit: formID, id: 'save' }],
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    let body;
    try {
      body = read();
    } catch (err) {
      showFormError(error, err);
      return;
    }
    await busy(document.querySelector(`button[form="${formID}"]`), async () => {
      try {
        const c = await api('POST', '/api/credentials', body);
        close();
        toast(`Saved “${c.name}”. Test it, then pick its models.`);
        ctx.focusKey = `test:${c.id}`;
        await ctx.refresh();
      } catch (err) {
        showFormError(error, err);
      }
    });
  });
}

async function editCredential(ctx, p, c) {
  let current;
  try {
    current = await api('GET', '/api/credentials/' + pathID(c.id));
  } catch (err) {
    reportError(err);
    return;
  }
  const formID = nextID('cred');
  const { form, error, read } = credentialForm(ctx, p, current, formID);
  const { close } = openDialog({
    title: `Edit “${current.name}”`,
    body: form,
    actions: [{ label: 'Cancel' }, { label: 'Save changes', kind: 'primary', submit: formID, id: 'save' }],
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    let body;
    try {
      body = read();
    } catch (err) {
      showFormError(error, err);
      return;
    }
    if (Object.keys(body).length === 0) {
      close();
      return;
    }
    await busy(document.querySelector(`button[form="${formID}"]`), async () => {
      try {
        await api('PUT', '/api/credentials/' + pathID(c.id), body);
        ctx.tests.delete(c.id);
        close();
        toast(`Saved “${body.name || current.name}”`);
        await ctx.refresh();
      } catch (err) {
        showFormError(error, err);
      }
    });
  });
}

// ---- delete

function deleteCredential(ctx, p, c) {
  const others = ctx.state.credentials.filter((x) => x.provider === c.provider && x.id !== c.id && !x.decryption_error);
  const target = h('select', { name: 'migrate_to', 'aria-label': 'Key to move the models to' },
    others.map((o) => h('option', { value: o.id }, o.name)));
  const move = h('input', { type: 'radio', name: 'fate', value: 'move', checked: others.length > 0 });
  const drop = h('input', { type: 'radio', name: 'fate', value: 'delete', checked: others.length === 0 });
  let body;
  if (c.model_count > 0) {
    body = h('div', { class: 'form-grid' },
      h('p', null, `“${c.name}” has ${plural(c.model_count, 'model')}. What should happen to ${c.model_count === 1 ? 'it' : 'them'}?`),
      h('fieldset', { class: 'stack-sm' }, h('legend', { class: 'visually-hidden' }, 'Its models'),
        others.length > 0
          ? h('div', { class: 'stack-sm' }, h('label', { class: 'check' }, move, `Move ${c.model_count === 1 ? 'it' : 'them'} to another ${p.display_name} key`), target)
          : h('p', { class: 'muted small' }, `There is no other ${p.display_name} key to move ${c.model_count === 1 ? 'it' : 'them'} to.`),
        h('label', { class: 'check' }, drop, `Delete ${c.model_count === 1 ? 'it' : 'them'} too (default models that use ${c.model_count === 1 ? 'it' : 'them'} are cleared)`)));
  } else {
    body = h('p', null, `“${c.name}” will be deleted. It has no models.`);
  }
  const sync = () => { target.disabled = !move.checked; };
  move.addEventListener('change', sync);
  drop.addEventListener('change', sync);
  sync();
  const { close } = openDialog({
    title: 'Delete key?',
    body,
    actions: [{ label: 'Cancel' }, { label: 'Delete key', kind: 'danger-solid', id: 'confirm', onclick: (_, btn) => run(btn) }],
  });
  async function run(btn) {
    const migrateTo = c.model_count > 0 && move.checked && others.length > 0 ? target.value : '';
    await busy(btn, async () => {
      try {
        const res = await api('DELETE', `/api/credentials/${pathID(c.id)}${migrateTo ? '?migrate_to=' + encodeURIComponent(migrateTo) : ''}`);
        close();
        ctx.tests.delete(c.id);
        if (migrateTo) toast(`Deleted “${c.name}”; its models now use “${others.find((o) => o.id === migrateTo).name}”`);
        else toast(`Deleted “${c.name}”${res.deleted_models ? ` and ${plural(res.deleted_models, 'model')}` : ''}`);
        await ctx.refresh();
      } catch (err) {
        reportError(err);
      }
    });
  }
}

// ---- discover and register

function discoverModels(ctx, p, c) {
  const formID = nextID('disc');
  const list = h('ul', { class: 'list', 'aria-label': 'Models' });
  const status = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, `Asking ${p.display_name} for its models…`));
  const filter = h('input', { type: 'search', placeholder: 'Filter', 'aria-label': 'Filter models', autocomplete: 'off' });
  const all = h('input', { type: 'checkbox', 'aria-label': 'Select all shown' });
  const custom = h('input', { type: 'text', placeholder: 'Model name', 'aria-label': 'Add a model by name', autocomplete: 'off', spellcheck: 'false' });
  const addCustom = h('button', { type: 'button', class: 'btn' }, 'Add to list');
  const types = [...new Set([...c.modalities, ...p.modalities])].sort((a, b) => TYPES.indexOf(a) - TYPES.indexOf(b));
  const fallbackType = types[0] || 'language';
  const registered = new Set(ctx.state.models.filter((m) => m.provider.toLowerCase() === p.name)
    .map((m) => `${m.name.toLowerCase()}\u0000${m.type}`));
  const rows = [];

  function row(name, description, type, checked) {
    const t = type && TYPES.includes(type) ? type : fallbackType;
    const box = h('input', { type: 'checkbox', checked });
    const select = h('select', { 'aria-label': `Type of ${name}` },
      [...new Set([...types, t])].map((x) => h('option', { value: x, selected: x === t }, TYPE_LABELS[x] || x)));
    const done = h('span', { class: 'badge badge-ok', hidden: true }, 'Registered');
    const li = h('li', { 'data-model': name },
      h('label', { class: 'check name' }, box, h('span', null, name, description && description !== name ? h('span', { class: 'muted small' }, ' — ' + description) : null)),
      done, select);
    const r = { name, box, select, li, done };
    const sync = () => {
      const isRegistered = registered.has(`${name.toLowerCase()}\u0000${select.value}`);
      done.hidden = !isRegistered;
      box.disabled = isRegistered;
      if (isRegistered) box.checked = false;
      updateCount();
    };
    box.addEventListener('change', updateCount);
    select.addEventListener('change', sync);
    r.sync = sync;
    rows.push(r);
    list.append(li);
    sync();
    return r;
  }

  function visible() {
    return rows.filter((r) => !r.li.hidden);
  }

  function updateCount() {
    const n = rows.filter((r) => r.box.checked).length;
    const btn = document.querySelector(`button[form="${formID}"]`);
    if (btn) {
      btn.textContent = n ? `Register ${plural(n, 'model')}` : 'Register models';
      btn.disabled = n === 0;
    }
    const v = visible().filter((r) => !r.box.disabled);
    all.checked = v.length > 0 && v.every((r) => r.box.checked);
  }

  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const r of rows) r.li.hidden = q !== '' && !r.name.toLowerCase().includes(q);
    updateCount();
  });
  all.addEventListener('change', () => {
    for (const r of visible()) if (!r.box.disabled) r.box.checked = all.checked;
    updateCount();
  });
  addCustom.addEventListener('click', () => {
    const name = custom.value.trim();
    if (!name) return;
    const existing = rows.find((r) => r.name.toLowerCase() === name.toLowerCase());
    if (existing) {
      if (!existing.box.disabled) existing.box.checked = true;
      existing.box.focus();
    } else {
      row(name, 'added by hand', null, true).box.focus();
    }
    custom.value = '';
    updateCount();
  });
  custom.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      addCustom.click();
    }
  });
  // Enter in the filter filters; it must not register what is ticked.
  filter.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') ev.preventDefault();
  });

  const form = h('form', { id: formID, class: 'stack', novalidate: true },
    status,
    h('div', { class: 'row' }, h('label', { class: 'check small' }, all, 'Select all'), h('span', { class: 'spacer' }), filter),
    h('div', { class: 'discover-list' }, list),
    h('div', { class: 'row' }, custom, addCustom));
  custom.classList.add('select-inline');
  filter.classList.add('select-inline');

  const { close } = openDialog({
    title: `Models for “${c.name}”`,
    wide: true,
    body: form,
    actions: [{ label: 'Close' }, { label: 'Register models', kind: 'primary', submit: formID, id: 'register' }],
  });
  updateCount();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const picked = rows.filter((r) => r.box.checked);
    if (picked.length === 0) return;
    const models = picked.map((r) => ({ name: r.name, provider: p.name, model_type: r.select.value }));
    await busy(document.querySelector(`button[form="${formID}"]`), async () => {
      try {
        const res = await api('POST', `/api/credentials/${pathID(c.id)}/register-models`, { models });
        close();
        const parts = [`Registered ${plural(res.created, 'new model')}`];
        if (res.linked) parts.push(`linked ${plural(res.linked, 'existing model')} to this key`);
        if (res.existing) parts.push(`${res.existing} ${res.existing === 1 ? 'was' : 'were'} already registered`);
        toast(parts.join('; '));
        await ctx.refresh();
      } catch (err) {
        show(status, h('p', { class: 'form-error', role: 'alert' }, err.missingRoute ? 'This server cannot register models from a key yet; add them in the Models tab.' : err.message));
      }
    });
  });

  api('POST', `/api/credentials/${pathID(c.id)}/discover`).then((res) => {
    const seen = new Set();
    const found = (res.discovered || []).filter((m) => !seen.has(m.name) && seen.add(m.name));
    found.sort((a, b) => a.name.localeCompare(b.name));
    for (const m of found) row(m.name, m.description, m.model_type, false);
    show(status, h('p', { class: 'muted' }, found.length
      ? `${p.display_name} offers ${plural(found.length, 'model')}. Pick the ones to use, and check their types.`
      : `${p.display_name} listed no models. Add them by name below.`),
    res.message ? h('p', { class: 'muted small' }, res.message) : null);
    updateCount();
    filter.focus();
  }).catch((err) => {
    if (err.status === 401) return;
    show(status, h('div', { class: 'alert alert-warn', role: 'alert' }, h('div', { class: 'alert-body' },
      h('strong', null, err.missingRoute ? 'Discovery is not available on this server' : 'Could not list the models'),
      h('p', null, err.missingRoute ? 'Add models by name below.' : `${sentence(err.message)} You can still add models by name below.`))));
    custom.focus();
  });
}
