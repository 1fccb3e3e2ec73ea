// transformations.js: the transformations page (/ui/transformations):
// list, create, edit and delete them, their shared default instructions,
// and a playground that runs one on any text.

import { api, pathID } from './api.js';
import { $, ago, busy, confirmDialog, field, h, openDialog, show, toast } from './dom.js';
import { reportError, startPage } from './shell.js';

const state = { list: [], models: [] };

async function load() {
  state.list = await api('GET', '/api/transformations');
  render();
}

function render() {
  const box = $('#transformations');
  $('#tr-count').textContent = String(state.list.length);
  const select = $('#play-tr');
  const chosen = select.value;
  select.replaceChildren(...state.list.map((t) => h('option', { value: t.id }, t.name)));
  if (chosen && state.list.some((t) => t.id === chosen)) select.value = chosen;
  if (state.list.length === 0) {
    show(box, h('p', { class: 'empty' }, 'No transformations. Create one to turn sources into insights.'));
    return;
  }
  show(box, h('ul', { class: 'list', 'aria-label': 'Transformations' }, state.list.map((t) => h('li', { 'data-id': t.id },
    h('div', { class: 'item-head' },
      h('h3', { class: 'item-title' }, t.name),
      h('div', { class: 'item-actions' },
        h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'aria-label': `Edit ${t.name}`, onclick: () => edit(t) }, 'Edit'),
        h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'aria-label': `Delete ${t.name}`, onclick: () => remove(t) }, 'Delete'))),
    h('p', { class: 'item-meta' },
      t.apply_default ? [h('span', { class: 'badge badge-accent' }, 'Default'), ' '] : null,
      'Makes “', t.title, '”', t.description ? ' · ' + t.description : '',
      t.model_id ? [' · ', modelName(t.model_id)] : null,
      ' · updated ', ago(t.updated))))));
}

function modelName(id) {
  const m = state.models.find((x) => x.id === id);
  return m ? `${m.name} (${m.provider})` : id;
}

function modelSelect(current) {
  const sel = h('select', { name: 'model_id' }, h('option', { value: '' }, 'The default transformation model'),
    state.models.map((m) => h('option', { value: m.id }, `${m.name} (${m.provider})`)));
  sel.value = current || '';
  return sel;
}

// edit opens the form for a transformation, or a new one when t is null.
function edit(t) {
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: '200', autocomplete: 'off', value: t ? t.name : '' });
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: '200', autocomplete: 'off', value: t ? t.title : '' });
  const desc = h('input', { type: 'text', name: 'description', autocomplete: 'off', value: t ? t.description : '' });
  const prompt = h('textarea', { name: 'prompt', rows: '10', required: true });
  prompt.value = t ? t.prompt : '';
  const model = modelSelect(t && t.model_id);
  const apply = h('input', { type: 'checkbox', name: 'apply_default' });
  apply.checked = !!(t && t.apply_default);
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { id: 'edit-transformation', class: 'form-grid', novalidate: true },
    field({ label: 'Name', control: name, required: true }),
    field({ label: 'Insight title', control: title, required: true, hint: 'What the insights it makes are called, e.g. “Summary”.' }),
    field({ label: 'Description', control: desc }),
    field({ label: 'Prompt', control: prompt, required: true, hint: 'What the model should write, given the source’s text.' }),
    field({ label: 'Model', control: model }),
    h('label', { class: 'check' }, apply, 'Pre-select it when adding a source'),
    err);
  const { close } = openDialog({
    title: t ? 'Edit transformation' : 'New transformation',
    wide: true,
    body: form,
    actions: [{ label: 'Cancel' }, { label: t ? 'Save' : 'Create', kind: 'primary', submit: 'edit-transformation' }],
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.hidden = true;
    for (const [el, what] of [[name, 'a name'], [title, 'an insight title'], [prompt, 'a prompt']]) {
      if (!el.value.trim()) {
        err.textContent = `Give it ${what}.`;
        err.hidden = false;
        el.focus();
        return;
      }
    }
    const body = { name: name.value.trim(), title: title.value.trim(), description: desc.value.trim(), prompt: prompt.value,
      apply_default: apply.checked, model_id: model.value || null };
    try {
      if (t) await api('PUT', '/api/transformations/' + pathID(t.id), body);
      else await api('POST', '/api/transformations', body);
      close();
      toast(t ? 'Transformation saved' : 'Transformation created');
      await load();
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  });
}

async function remove(t) {
  if (!(await confirmDialog({ title: 'Delete transformation?', message: `“${t.name}” will be deleted. Insights it already made stay.`, confirmLabel: 'Delete', danger: true }))) return;
  try {
    await api('DELETE', '/api/transformations/' + pathID(t.id));
    toast('Transformation deleted');
    await load();
  } catch (err) {
    reportError(err);
  }
}

async function run(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const err = $('#play-error');
  err.hidden = true;
  const input = form.elements.input.value;
  if (!form.elements.transformation.value) {
    err.textContent = 'Create a transformation first.';
    err.hidden = false;
    return;
  }
  if (!input.trim()) {
    err.textContent = 'Type or paste some text to transform.';
    err.hidden = false;
    form.elements.input.focus();
    return;
  }
  const out = $('#play-output');
  await busy(form.querySelector('button[type="submit"]'), async () => {
    show(out, h('p', { class: 'loading' }, 'Running…'));
    try {
      const res = await api('POST', '/api/transformations/execute', {
        transformation_id: form.elements.transformation.value, input_text: input, model_id: form.elements.model.value || null,
      });
      show(out, h('div', { class: 'stack-sm' },
        h('p', { class: 'muted small' }, 'Output', res.model_id ? ` from ${modelName(res.model_id)}` : ''),
        h('div', { class: 'source-text', id: 'play-result', tabindex: '0' }, res.output)));
    } catch (e) {
      show(out);
      err.textContent = e.message;
      err.hidden = false;
    }
  });
}

async function loadPrompt() {
  const res = await api('GET', '/api/transformations/default-prompt');
  $('#dp-text').value = res.transformation_instructions;
}

async function savePrompt(ev) {
  ev.preventDefault();
  await busy(ev.currentTarget.querySelector('button[type="submit"]'), async () => {
    try {
      await api('PUT', '/api/transformations/default-prompt', { transformation_instructions: $('#dp-text').value });
      toast('Default instructions saved');
    } catch (err) {
      reportError(err);
    }
  });
}

async function loadModels() {
  state.models = (await api('GET', '/api/models?type=language')).filter((m) => m.type === 'language');
  const sel = $('#play-model');
  sel.replaceChildren(h('option', { value: '' }, 'The default transformation model'),
    ...state.models.map((m) => h('option', { value: m.id }, `${m.name} (${m.provider})`)));
}

async function main() {
  await startPage();
  $('#tr-new').addEventListener('click', () => edit(null));
  $('#playground').addEventListener('submit', run);
  $('#default-prompt').addEventListener('submit', savePrompt);
  await loadModels().catch(reportError);
  await Promise.all([
    load().catch((err) => show($('#transformations'), h('p', { class: 'form-error' }, err.message))),
    loadPrompt().catch(reportError),
  ]);
}

main().catch(reportError);
