// notebooks.js: the notebooks list (/ui/), under a first-run checklist
// until the server is ready to answer.

import { api, pathID } from './api.js';
import { $, ago, h, plural, show } from './dom.js';
import { reportError, startPage } from './shell.js';

const list = $('#notebooks');

function archivedFilter() {
  return document.querySelector('input[name="archived"]:checked').value;
}

/** notebookHref is a notebook's page; its URL carries the id without the "notebook:" table prefix. */
function notebookHref(id) {
  return '/ui/notebooks/' + pathID(id.replace(/^notebook:/, ''));
}

function card(nb) {
  return h('a', { class: 'card nb-card', href: notebookHref(nb.id) },
    h('h2', null, nb.name),
    nb.description ? h('p', { class: 'desc' }, nb.description) : null,
    h('p', { class: 'meta' }, `${plural(nb.source_count, 'source')} · ${plural(nb.note_count, 'note')} · updated `, ago(nb.updated)));
}

async function load() {
  const archived = archivedFilter();
  const q = new URLSearchParams({ archived, order_by: $('#order').value });
  try {
    const nbs = await api('GET', '/api/notebooks?' + q);
    if (nbs.length === 0) {
      show(list, h('p', { class: 'empty' }, archived === 'true'
        ? 'No archived notebooks.'
        : 'No notebooks yet. Create your first one above.'));
      return;
    }
    show(list, h('div', { class: 'grid-cards' }, nbs.map(card)));
  } catch (err) {
    show(list, h('p', { class: 'form-error' }, err.message));
    reportError(err);
  }
}

async function create(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const errEl = $('#new-error');
  const name = form.elements.name.value.trim();
  errEl.hidden = true;
  if (!name) {
    errEl.textContent = 'Give the notebook a name.';
    errEl.hidden = false;
    form.elements.name.focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const nb = await api('POST', '/api/notebooks', { name, description: form.elements.description.value.trim() });
    location.assign(notebookHref(nb.id));
  } catch (err) {
    errEl.textContent = err.message;
    errEl.hidden = false;
    button.disabled = false;
  }
}

// ---- first run

let checklistHidden = false;

/**
 * checklist shows what stands between a new server and a first answer, each
 * step ticked from the API's state and linked to where it is done. It is
 * gone once every step is done, or when hidden for this visit (the UI
 * keeps nothing in browser storage). It is a helper, not the page: when
 * the state cannot be read it stays away rather than show an error.
 */
async function checklist() {
  const box = $('#first-run');
  if (checklistHidden) return;
  let creds;
  let models;
  let defaults;
  try {
    [creds, models, defaults] = await Promise.all([
      api('GET', '/api/credentials'), api('GET', '/api/models'), api('GET', '/api/models/defaults')]);
  } catch {
    box.hidden = true;
    return;
  }
  const chat = !!(defaults && defaults.default_chat_model);
  const embedding = !!(defaults && defaults.default_embedding_model);
  const steps = [
    { id: 'key', done: creds.length > 0, title: 'Add a provider’s API key',
      text: 'OpenAI, Anthropic, a local Ollama or any OpenAI-compatible server.', href: '/ui/settings#keys', action: 'Add a key' },
    { id: 'test', done: creds.some((c) => c.last_test_status === 'ok' && !c.decryption_error), title: 'Test the key',
      text: 'One click on the key’s Test button checks that the provider accepts it.', href: '/ui/settings#keys', action: 'Test it' },
    { id: 'models', done: models.length > 0, title: 'Register models',
      text: 'Pick the models you want from the key’s Models list, or add one by name.', href: '/ui/settings#keys', action: 'Register models' },
    { id: 'defaults', done: chat && embedding, title: 'Set the default chat and embedding models',
      text: `Chat answers questions; embedding makes sources searchable by meaning and Ask possible. Chat: ${chat ? 'set' : 'not set'} · embedding: ${embedding ? 'set' : 'not set'}.`,
      href: '/ui/settings#models', action: 'Set defaults' },
  ];
  const done = steps.filter((s) => s.done).length;
  box.dataset.done = `${done}/${steps.length}`;
  if (done === steps.length) {
    box.hidden = true;
    return;
  }
  show(box,
    h('div', { class: 'card-head' },
      h('h2', { id: 'first-run-title' }, 'Get ready for a first answer'),
      h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'data-action': 'hide-checklist', onclick: hideChecklist }, 'Hide')),
    h('p', { class: 'muted small' }, `${done} of ${steps.length} done. Each step is ticked from the server’s state.`),
    h('ol', { class: 'checklist-steps' }, steps.map((s, i) => h('li', { 'data-step': s.id, 'data-done': String(s.done) },
      h('span', { class: 'tick', 'aria-hidden': 'true' }, s.done ? '✓' : String(i + 1)),
      h('div', { class: 'checklist-text' },
        h('strong', null, h('span', { class: 'visually-hidden' }, s.done ? 'Done: ' : 'To do: '), s.title),
        h('p', { class: 'muted small' }, s.text)),
      s.done ? null : h('a', { class: 'btn btn-sm', href: s.href }, s.action)))));
  box.hidden = false;
}

function hideChecklist() {
  checklistHidden = true;
  $('#first-run').hidden = true;
  $('#nb-name').focus();
}

startPage().then(() => {
  checklist();
  // Keys and models are set on the Settings page, often in another tab.
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) checklist();
  });
  $('#new-notebook').addEventListener('submit', create);
  for (const r of document.querySelectorAll('input[name="archived"]')) r.addEventListener('change', load);
  $('#order').addEventListener('change', load);
  return load();
}).catch(reportError);
