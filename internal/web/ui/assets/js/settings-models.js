// settings-models.js: Settings → Models. The default model per role (with
// auto-assign when a required one is missing) and every registered model,
// per provider, with test and delete, plus adding a model by name.

import { api, pathID } from './api.js';
import { $, busy, confirmDialog, field, h, nextID, plural, show, toast } from './dom.js';
import { SLOTS, TYPE_LABELS, TYPES } from './providers.js';
import { reportError } from './shell.js';

function providerName(ctx, name) {
  const p = ctx.state.providers.find((x) => x.name === name.toLowerCase());
  return p ? p.display_name : name;
}

function credentialName(ctx, id) {
  const c = ctx.state.credentials.find((x) => x.id === id);
  return c ? c.name : null;
}

// ---- defaults

function missingSlots(ctx) {
  return SLOTS.filter((s) => s.required).filter((s) => {
    const id = ctx.state.defaults[s.field];
    return !id || !ctx.state.models.some((m) => m.id === id && m.type === s.type);
  });
}

function slotSelect(ctx, slot) {
  const current = ctx.state.defaults[slot.field] || '';
  const candidates = ctx.state.models.filter((m) => m.type === slot.type);
  const byProvider = new Map();
  for (const m of candidates) {
    const key = providerName(ctx, m.provider);
    if (!byProvider.has(key)) byProvider.set(key, []);
    byProvider.get(key).push(m);
  }
  const options = [];
  if (slot.required) {
    if (!current) options.push(h('option', { value: '', disabled: true, selected: true }, candidates.length ? 'Choose a model' : `No ${TYPE_LABELS[slot.type].toLowerCase()} models yet`));
  } else {
    options.push(h('option', { value: '', selected: !current }, slot.advanced ? 'None (uses the chat model)' : 'None'));
  }
  if (current && !candidates.some((m) => m.id === current)) {
    options.push(h('option', { value: current, selected: true }, 'A model that no longer exists'));
  }
  for (const [prov, ms] of byProvider) {
    options.push(h('optgroup', { label: prov }, ms.map((m) => {
      const cred = credentialName(ctx, m.credential);
      return h('option', { value: m.id, selected: m.id === current }, cred ? `${m.name} (${cred})` : m.name);
    })));
  }
  const select = h('select', { name: slot.field, 'data-slot': slot.field, 'data-key': 'slot:' + slot.field, disabled: candidates.length === 0 && !current }, options);
  select.addEventListener('change', () => setDefault(ctx, slot, select, current));
  // "Required." is a reminder for an empty choice, not a label for a made one.
  const hint = !slot.advanced && slot.required && !current ? 'Required.' : null;
  return field({ label: slot.label, control: select, required: slot.required, hint });
}

async function setDefault(ctx, slot, select, previous) {
  const value = select.value;
  if (slot.field === 'default_embedding_model' && previous && value !== previous) {
    const ok = await confirmDialog({
      title: 'Change the embedding model?',
      message: 'Embeddings made with the old model do not mix with the new one: anything already embedded needs to be embedded again.',
      confirmLabel: 'Change it',
    });
    if (!ok) {
      select.value = previous;
      return;
    }
  }
  select.disabled = true;
  try {
    await api('PUT', '/api/models/defaults', { [slot.field]: value || null });
    toast(value ? `Default ${slot.label.toLowerCase()} model saved` : `Default ${slot.label.toLowerCase()} model cleared`);
    ctx.focusKey = 'slot:' + slot.field;
    await ctx.refresh();
  } catch (err) {
    select.value = previous;
    select.disabled = false;
    reportError(err);
  }
}

async function autoAssign(ctx, button) {
  await busy(button, async () => {
    try {
      const res = await api('POST', '/api/models/auto-assign');
      const assigned = Object.keys(res.assigned || {});
      const label = (f) => (SLOTS.find((s) => s.field === f) || { label: f }).label.toLowerCase();
      if (assigned.length) toast(`Assigned the ${assigned.map(label).join(' and ')} model${assigned.length > 1 ? 's' : ''}`);
      if ((res.missing || []).length) toast(`No ${res.missing.map(label).join(' or ')} model is registered yet`, 'error');
      await ctx.refresh();
    } catch (err) {
      reportError(err);
    }
  });
}

function renderDefaults(ctx) {
  const card = $('#defaults-card');
  const missing = missingSlots(ctx);
  const alert = missing.length
    ? h('div', { class: 'alert alert-warn', 'data-banner': 'missing-defaults' },
      h('div', { class: 'alert-body' },
        h('strong', null, `Missing required models: ${missing.map((s) => s.label).join(', ')}`),
        h('p', null, 'Notebooks need a chat and an embedding model. Pick them below, or let the server choose from the registered models.')),
      h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'auto-assign', onclick: (ev) => autoAssign(ctx, ev.currentTarget) }, 'Auto-assign'))
    : null;
  const primary = SLOTS.filter((s) => !s.advanced).map((s) => slotSelect(ctx, s));
  const advanced = SLOTS.filter((s) => s.advanced).map((s) => slotSelect(ctx, s));
  show(card,
    h('div', { class: 'card-head' }, h('h3', null, 'Default models')),
    h('div', { class: 'stack' },
      alert,
      h('div', { class: 'defaults-grid' }, primary),
      h('details', { class: 'more', open: SLOTS.some((s) => s.advanced && ctx.state.defaults[s.field]) || null },
        h('summary', null, 'More roles'),
        h('div', { class: 'defaults-grid' }, advanced))));
}

// ---- the model list

function slotsOf(ctx, id) {
  return SLOTS.filter((s) => ctx.state.defaults[s.field] === id).map((s) => s.short);
}

async function testModel(ctx, m, button) {
  await busy(button, async () => {
    let result;
    try {
      result = await api('POST', `/api/models/${pathID(m.id)}/test`);
    } catch (err) {
      if (err.status === 401) return;
      result = { success: false, message: err.missingRoute ? 'This server cannot test models yet.' : err.message };
    }
    ctx.modelTests.set(m.id, result);
    toast(`${m.name}: ${result.message}`, result.success ? 'info' : 'error');
    ctx.focusKey = 'model-test:' + m.id;
    renderModelList(ctx);
  });
}

async function deleteModel(ctx, m) {
  const slots = slotsOf(ctx, m.id);
  const ok = await confirmDialog({
    title: 'Delete model?',
    message: `“${m.name}” will be removed from the registry${slots.length ? ` and stop being the default for: ${slots.join(', ')}` : ''}.`,
    confirmLabel: 'Delete model',
    danger: true,
  });
  if (!ok) return;
  try {
    await api('DELETE', '/api/models/' + pathID(m.id));
    ctx.modelTests.delete(m.id);
    toast(`Deleted “${m.name}”`);
    await ctx.refresh();
  } catch (err) {
    reportError(err);
  }
}

function modelRow(ctx, m) {
  const result = ctx.modelTests.get(m.id);
  const slots = slotsOf(ctx, m.id);
  return h('tr', { 'data-model-id': m.id },
    h('td', null, h('div', { class: 'item-title' }, m.name),
      result ? h('div', { class: 'test-result', 'data-test-result': result.success ? 'success' : 'failure' },
        h('div', { class: 'row' },
          h('span', { class: 'badge ' + (result.success ? 'badge-ok' : 'badge-danger') }, result.success ? '✓ Works' : '✕ Failed'),
          typeof result.latency_ms === 'number' ? h('span', { class: 'muted small' }, `${result.latency_ms} ms`) : null),
        h('p', { class: 'msg' }, result.message)) : null),
    h('td', { 'data-label': 'Type' }, TYPE_LABELS[m.type] || m.type),
    h('td', { 'data-label': 'Key' }, credentialName(ctx, m.credential) || h('span', { class: 'muted' }, m.credential ? 'unknown' : 'any')),
    h('td', { 'data-label': 'Default for' }, slots.length ? slots.map((s) => h('span', { class: 'badge badge-accent' }, s)) : h('span', { class: 'muted' }, '—')),
    h('td', null, h('div', { class: 'item-actions' },
      h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'test-model', 'data-key': 'model-test:' + m.id, 'aria-label': `Test ${m.name}`, onclick: (ev) => testModel(ctx, m, ev.currentTarget) }, 'Test'),
      h('button', { type: 'button', class: 'btn btn-sm btn-danger', 'data-action': 'delete-model', 'aria-label': `Delete ${m.name}`, onclick: () => deleteModel(ctx, m) }, 'Delete'))));
}

function modelTable(ctx, provider, models) {
  return h('div', { class: 'table-wrap', 'data-models-of': provider },
    h('table', { class: 'responsive' },
      h('caption', null, `${providerName(ctx, provider)} · ${plural(models.length, 'model')}`),
      h('thead', null, h('tr', null, ['Model', 'Type', 'Key', 'Default for', ''].map((t) => h('th', { scope: 'col' }, t || h('span', { class: 'visually-hidden' }, 'Actions'))))),
      h('tbody', null, models.map((m) => modelRow(ctx, m)))));
}

function addModelForm(ctx, open) {
  const formID = nextID('addm');
  const provider = h('select', { name: 'provider' }, ctx.state.providers.map((p) => h('option', { value: p.name }, p.display_name)));
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. gpt-4o-mini' });
  const type = h('select', { name: 'type' }, TYPES.map((t) => h('option', { value: t }, TYPE_LABELS[t])));
  const cred = h('select', { name: 'credential' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const syncCreds = () => {
    const creds = ctx.state.credentials.filter((c) => c.provider === provider.value);
    show(cred, h('option', { value: '' }, 'Any key of this provider'), creds.map((c) => h('option', { value: c.id }, c.name)));
  };
  provider.addEventListener('change', syncCreds);
  syncCreds();
  const form = h('form', { id: formID, class: 'form-grid', novalidate: true },
    h('div', { class: 'form-grid-2' },
      field({ label: 'Provider', control: provider }),
      field({ label: 'Model name', control: name, required: true }),
      field({ label: 'Type', control: type }),
      field({ label: 'Key', control: cred })),
    error,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add model')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!name.value.trim()) {
      error.textContent = 'Enter the model’s name as the provider spells it.';
      error.hidden = false;
      name.focus();
      return;
    }
    await busy(form.querySelector('button[type="submit"]'), async () => {
      try {
        const m = await api('POST', '/api/models', { name: name.value.trim(), provider: provider.value, type: type.value, credential: cred.value || null });
        toast(`Added “${m.name}”`);
        await ctx.refresh();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
      }
    });
  });
  return h('details', { class: 'more', 'data-add-model': '', open: open || null }, h('summary', null, 'Add a model by name'), form);
}

function renderModelList(ctx) {
  const card = $('#models-card');
  const typeFilter = card.querySelector('select[name="type-filter"]');
  const want = typeFilter ? typeFilter.value : '';
  const addOpen = !!card.querySelector('details[data-add-model][open]');
  const filterSelect = h('select', { name: 'type-filter', class: 'select-inline', 'aria-label': 'Show models of type' },
    h('option', { value: '' }, 'All types'), TYPES.map((t) => h('option', { value: t, selected: t === want }, TYPE_LABELS[t])));
  filterSelect.addEventListener('change', () => renderModelList(ctx));
  const models = ctx.state.models.filter((m) => !want || m.type === want);
  const order = ctx.state.providers.map((p) => p.name);
  const groups = new Map();
  for (const m of [...models].sort((a, b) => a.name.localeCompare(b.name))) {
    const key = m.provider.toLowerCase();
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(m);
  }
  const keys = [...groups.keys()].sort((a, b) => (order.indexOf(a) >>> 0) - (order.indexOf(b) >>> 0));
  show(card,
    h('div', { class: 'card-head' }, h('h3', null, `Registered models (${ctx.state.models.length})`), filterSelect),
    h('div', { class: 'stack' },
      keys.length
        ? keys.map((k) => modelTable(ctx, k, groups.get(k)))
        : h('p', { class: 'empty' }, ctx.state.models.length ? 'No models of this type.' : 'No models yet. Use a key’s “Models” button to register some, or add one by name.'),
      addModelForm(ctx, addOpen)));
}

/** renderModels draws the Models section from ctx.state. */
export function renderModels(ctx) {
  renderDefaults(ctx);
  renderModelList(ctx);
}
