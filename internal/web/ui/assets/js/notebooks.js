// notebooks.js: the notebooks list (/ui/).

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

startPage().then(() => {
  $('#new-notebook').addEventListener('submit', create);
  for (const r of document.querySelectorAll('input[name="archived"]')) r.addEventListener('change', load);
  $('#order').addEventListener('change', load);
  return load();
}).catch(reportError);
