// search.js: the Ask and Search page (/ui/search). Ask streams an answer
// planned over every notebook's embedded sources and notes: the strategy,
// each search's answer, then the final answer, whose citations open what
// they cite and which can be saved as a note. Search finds sources,
// insights and notes by keyword or by meaning. Results and citations open
// here in a dialog, so an answer on screen is never lost; a source's
// dialog links to its full view in its notebook.

import { api, ApiError, pathID, stream } from './api.js';
import { $, busy, field, h, highlight, openDialog, plural, show, toast } from './dom.js';
import { renderMarkdown } from './md.js';
import { reportError, startPage } from './shell.js';

const TABS = ['ask', 'search'];
const state = { models: [], defaults: {}, notebooks: null, controller: null, canAsk: true, question: '', final: '' };

/** selectTab shows the mode the URL's fragment names (Ask by default, as in the original). */
function selectTab() {
  const want = location.hash.slice(1);
  const tab = TABS.includes(want) ? want : 'ask';
  for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.dataset.panel !== tab;
  for (const link of document.querySelectorAll('[data-tab]')) {
    if (link.dataset.tab === tab) link.setAttribute('aria-current', 'true');
    else link.removeAttribute('aria-current');
  }
}

function kindOf(id) {
  if (id.startsWith('note:')) return 'note';
  if (id.startsWith('source:')) return 'source';
  return 'insight';
}

function modelLabel(m) {
  return `${m.name} (${m.provider})`;
}

// ---- opening what a result or a citation names

async function notebooks() {
  if (!state.notebooks) state.notebooks = await api('GET', '/api/notebooks?archived=false&order_by=' + encodeURIComponent('updated desc'));
  return state.notebooks;
}

/** notebookHref is a notebook's page; item, when given, is opened there. */
function notebookHref(id, item) {
  return '/ui/notebooks/' + pathID(id.replace(/^notebook:/, '')) + (item ? '#' + encodeURIComponent(item) : '');
}

const cite = (id) => h('button', { type: 'button', class: 'cite', title: 'Open ' + id, 'data-cite': id, onclick: () => openItem(id) }, kindOf(id));

/** openItem opens a source, note or insight (a citation may say "insight:" for "source_insight:"). */
async function openItem(id) {
  try {
    if (id.startsWith('note:')) viewNote(await api('GET', '/api/notes/' + pathID(id)));
    else if (id.startsWith('source:')) await viewSource(id);
    else viewInsight(await api('GET', '/api/insights/' + pathID(id.replace(/^insight:/, 'source_insight:'))));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) toast(`That ${kindOf(id)} no longer exists.`, 'error');
    else reportError(err);
  }
}

async function viewSource(id) {
  const s = await api('GET', '/api/sources/' + pathID(id));
  const all = await notebooks().catch(() => []);
  const homes = (s.notebooks || []).map((nb) => all.find((x) => x.id === nb) || { id: nb, name: 'its notebook' });
  openDialog({
    title: s.title || 'Untitled source',
    wide: true,
    body: h('div', { class: 'stack' },
      h('p', { class: 'item-meta' }, homes.length
        ? ['Open in ', homes.map((nb, i) => [i ? ', ' : '', h('a', { href: notebookHref(nb.id, s.id), 'data-notebook': nb.id }, nb.name)]),
          ' for its insights and chat.']
        : 'This source is in no notebook.'),
      s.full_text
        ? h('div', { class: 'source-text', tabindex: '0', 'aria-label': 'Source text' }, s.full_text)
        : h('p', { class: 'muted' }, 'It has no text yet.')),
    actions: [{ label: 'Close' }],
  });
}

function viewNote(n) {
  openDialog({
    title: n.title || 'Untitled note',
    wide: true,
    body: h('div', { class: 'stack' },
      h('p', { class: 'item-meta' }, n.note_type === 'ai' ? [h('span', { class: 'badge badge-accent' }, 'AI'), ' '] : null, 'Note'),
      h('div', { class: 'chat-body note-view' }, renderMarkdown(n.content, cite))),
    actions: [{ label: 'Close' }],
  });
}

function viewInsight(i) {
  openDialog({
    title: i.insight_type,
    wide: true,
    body: h('div', { class: 'stack' },
      h('p', { class: 'item-meta' }, 'Insight of a source · ',
        h('button', { type: 'button', class: 'link-button', onclick: () => openItem(i.source_id) }, 'Open the source')),
      h('div', { class: 'insight-body' }, i.content)),
    actions: [{ label: 'Close' }],
  });
}

// ---- ask

function setupAlert(title, text, href, linkText) {
  return h('div', { class: 'alert alert-warn' }, h('div', { class: 'alert-body' },
    h('strong', null, title), h('p', null, text, ' ', h('a', { href }, linkText))));
}

const MODEL_SELECTS = ['m-strategy', 'm-answer', 'm-final'];

/** describeModels names the chosen models on the folded Models section. */
function describeModels() {
  const names = MODEL_SELECTS.map((id) => {
    const m = state.models.find((x) => x.id === $('#' + id).value);
    return m ? m.name : 'none chosen';
  });
  $('#ask-models summary').textContent = names.every((n) => n === names[0])
    ? `Models · ${names[0]} for every step`
    : `Models · strategy ${names[0]}, answers ${names[1]}, final ${names[2]}`;
}

function renderModels() {
  const chat = state.models.some((m) => m.id === state.defaults.default_chat_model) ? state.defaults.default_chat_model : '';
  for (const id of MODEL_SELECTS) {
    const sel = $('#' + id);
    sel.replaceChildren(h('option', { value: '' }, 'Choose a model'),
      ...state.models.map((m) => h('option', { value: m.id }, modelLabel(m) + (m.id === chat ? ' · default' : ''))));
    sel.value = chat;
  }
  describeModels();
  const hasEmbedding = !!state.defaults.default_embedding_model;
  const setup = $('#ask-setup');
  show(setup,
    hasEmbedding ? null : setupAlert('Ask needs an embedding model',
      'Questions are answered from the sources and notes found by meaning, so a default embedding model must be set (and sources embedded).',
      '/ui/settings#models', 'Set it in Settings → Models'),
    state.models.length ? null : setupAlert('Ask needs a language model',
      'Add a provider’s key and register a language model to plan, answer and write the final answer.',
      '/ui/settings#keys', 'Add one in Settings → API keys'));
  state.canAsk = hasEmbedding && state.models.length > 0;
  $('#ask-go').disabled = !state.canAsk;
  const vector = $('#sq-vector');
  vector.disabled = !hasEmbedding;
  if (!hasEmbedding && vector.checked) document.querySelector('input[name="type"][value="text"]').checked = true;
  const hint = $('#sq-vector-hint');
  hint.hidden = hasEmbedding;
  show(hint, 'Search by meaning needs a default embedding model: ', h('a', { href: '/ui/settings#models' }, 'set one in Settings → Models'), '.');
}

async function loadModels() {
  const [models, defaults] = await Promise.all([api('GET', '/api/models?type=language'), api('GET', '/api/models/defaults')]);
  state.models = models.filter((m) => m.type === 'language');
  state.defaults = defaults || {};
  renderModels();
}

function askError(message, focus) {
  const err = $('#ask-error');
  err.textContent = message;
  err.hidden = false;
  if (focus) focus.focus();
}

async function ask(ev) {
  ev.preventDefault();
  if (state.controller) return;
  $('#ask-error').hidden = true;
  const question = $('#ask-q').value.trim();
  if (!question) {
    askError('Type a question first.', $('#ask-q'));
    return;
  }
  const missing = MODEL_SELECTS.find((id) => !$('#' + id).value);
  if (missing) {
    $('#ask-models').open = true;
    askError('Choose a model for each step, or set a default chat model in Settings → Models.', $('#' + missing));
    return;
  }
  const models = { strategy_model: $('#m-strategy').value, answer_model: $('#m-answer').value, final_answer_model: $('#m-final').value };

  const out = $('#ask-output');
  const progress = h('p', { class: 'loading', id: 'ask-progress' }, 'Planning the searches…');
  show(out, progress);
  state.question = question;
  state.final = '';
  let planned = 0;
  let answered = 0;
  let strategy = null;
  let answers = null;
  let failed = false;
  const controller = new AbortController();
  state.controller = controller;
  const go = $('#ask-go');
  const stop = $('#ask-stop');
  go.disabled = true;
  stop.hidden = false;

  const finish = (text) => {
    if (state.final) return;
    state.final = text;
    if (strategy) strategy.open = false;
    if (answers) answers.open = false;
    out.append(h('section', { class: 'ask-final', id: 'ask-final', tabindex: '-1', 'aria-labelledby': 'ask-final-title' },
      h('div', { class: 'card-head' }, h('h3', { id: 'ask-final-title' }, 'Answer'),
        h('button', { type: 'button', class: 'btn btn-sm', id: 'ask-save', onclick: (e) => saveAsNote(e.currentTarget) }, 'Save as note')),
      h('div', { class: 'chat-body', id: 'ask-final-body' }, renderMarkdown(text, cite)),
      h('p', { class: 'small muted', id: 'ask-saved', 'aria-live': 'polite' })));
  };

  try {
    await stream('/api/search/ask', { question, ...models }, (e) => {
      switch (e.type) {
        case 'strategy':
          planned = (e.searches || []).length;
          strategy = h('details', { class: 'ask-step', id: 'ask-strategy', open: true },
            h('summary', null, 'Strategy · ', plural(planned, 'search', 'searches')),
            e.reasoning ? h('p', null, e.reasoning) : null,
            h('ol', { class: 'ask-searches' }, (e.searches || []).map((s) => h('li', null,
              h('strong', null, s.term), s.instructions ? h('span', { class: 'muted' }, ' — ', s.instructions) : null))));
          progress.before(strategy);
          progress.textContent = `Searching and answering (0 of ${planned})…`;
          break;
        case 'answer':
          answered += 1;
          if (!answers) {
            answers = h('details', { class: 'ask-step', id: 'ask-answers', open: true }, h('summary', null, 'Answers'));
            progress.before(answers);
          }
          answers.firstChild.textContent = `Answers · ${answered} of ${planned}`;
          answers.append(h('div', { class: 'chat-body ask-answer' }, renderMarkdown(e.content || '', cite)));
          progress.textContent = answered < planned ? `Searching and answering (${answered} of ${planned})…` : 'Writing the final answer…';
          break;
        case 'final_answer':
          finish(e.content || '');
          break;
        case 'complete':
          if (e.final_answer) finish(e.final_answer);
          break;
        case 'error':
          failed = true;
          out.append(h('div', { class: 'alert alert-danger', role: 'alert' },
            h('div', { class: 'alert-body' }, h('strong', null, 'The answer failed'), h('p', null, e.message || 'The answer could not be completed.'))));
          break;
        default:
      }
    }, controller.signal);
    if (controller.signal.aborted) out.append(h('p', { class: 'chat-note' }, 'Stopped.'));
  } catch (err) {
    failed = true;
    askError(err.message);
  } finally {
    progress.remove();
    state.controller = null;
    stop.hidden = true;
    go.disabled = !state.canAsk;
    // The button that started it was disabled meanwhile: give the focus
    // to the answer rather than leave it on the page's body.
    const final = $('#ask-final');
    const lost = !document.activeElement || document.activeElement === document.body || document.activeElement === go || document.activeElement === stop;
    if (lost) (final || (failed ? $('#ask-q') : go)).focus();
  }
}

async function saveAsNote(button) {
  let list;
  try {
    list = await notebooks();
  } catch (err) {
    reportError(err);
    return;
  }
  if (list.length === 0) {
    toast('Create a notebook first, on the Notebooks page.', 'error');
    return;
  }
  const select = h('select', { name: 'notebook_id', required: true }, list.map((nb) => h('option', { value: nb.id }, nb.name)));
  const title = h('input', { type: 'text', name: 'title', autocomplete: 'off', value: state.question });
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { id: 'save-note', class: 'form-grid', novalidate: true },
    field({ label: 'Notebook', control: select, required: true }), field({ label: 'Title', control: title }), err);
  const { dialog, close } = openDialog({
    title: 'Save the answer as a note',
    body: form,
    actions: [{ label: 'Cancel' }, { label: 'Save note', kind: 'primary', submit: 'save-note' }],
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.hidden = true;
    await busy(dialog.querySelector('button[type="submit"]'), async () => {
      try {
        await api('POST', '/api/notes', { title: title.value.trim() || null, content: state.final, note_type: 'ai', notebook_id: select.value });
        const nb = list.find((x) => x.id === select.value);
        close();
        show($('#ask-saved'), 'Saved as a note in ', h('a', { href: notebookHref(nb.id) }, nb.name), '.');
        toast('Saved as a note');
        if (button.isConnected) button.focus();
      } catch (e) {
        err.textContent = e.message;
        err.hidden = false;
      }
    });
  });
}

// ---- search

const GROUPS = [['source', 'Sources'], ['insight', 'Insights'], ['note', 'Notes']];

async function search(ev) {
  ev.preventDefault();
  const box = $('#search-results');
  const query = $('#sq').value.trim();
  const fail = (message, focus) => {
    show(box, h('p', { class: 'form-error', role: 'alert' }, message));
    if (focus) focus.focus();
  };
  if (!query) {
    fail('Type something to search for.', $('#sq'));
    return;
  }
  const type = document.querySelector('input[name="type"]:checked').value;
  const sources = $('#sq-sources').checked;
  const notes = $('#sq-notes').checked;
  if (!sources && !notes) {
    fail('Search sources, notes or both.', $('#sq-sources'));
    return;
  }
  await busy(ev.currentTarget.querySelector('button[type="submit"]'), async () => {
    show(box, h('p', { class: 'loading' }, 'Searching…'));
    try {
      const res = await api('POST', '/api/search', { query, type, limit: 100, search_sources: sources, search_notes: notes, minimum_score: 0.2 });
      renderResults(box, res, query);
    } catch (err) {
      fail(err.message);
    }
  });
}

function renderResults(box, res, query) {
  const meaning = res.search_type === 'vector';
  if (res.results.length === 0) {
    show(box, h('p', { class: 'empty' }, `No matches for “${query}”.`,
      meaning ? ' Only embedded sources and notes are found by meaning.' : ''));
    return;
  }
  show(box,
    h('p', { class: 'muted small' }, `${plural(res.total_count, 'result')} for “${query}” · `, meaning ? 'by meaning' : 'by keyword'),
    GROUPS.map(([kind, label]) => {
      const hits = res.results.filter((r) => kindOf(r.id) === kind);
      if (hits.length === 0) return null;
      return h('section', { class: 'result-group', 'data-kind': kind, 'aria-label': label },
        h('h3', null, `${label} (${hits.length})`),
        h('ul', { class: 'list' }, hits.map((r) => {
          const score = meaning ? r.similarity : r.relevance;
          return h('li', { 'data-kind': kind, 'data-id': r.id },
            h('div', { class: 'row' },
              h('button', { type: 'button', class: 'link-button', onclick: () => openItem(r.id) }, r.title || `Untitled ${kind}`),
              typeof score === 'number' ? h('span', { class: 'badge', title: meaning ? 'Similarity' : 'Relevance' }, score.toFixed(2)) : null),
            (r.matches || []).map((m) => h('p', { class: 'result-excerpt' }, highlight(m))));
        })));
    }));
}

// ---- start

async function main() {
  selectTab();
  window.addEventListener('hashchange', selectTab);
  await startPage();
  $('#ask-form').addEventListener('submit', ask);
  $('#ask-q').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      $('#ask-form').requestSubmit();
    }
  });
  for (const id of MODEL_SELECTS) $('#' + id).addEventListener('change', describeModels);
  $('#ask-stop').addEventListener('click', () => state.controller && state.controller.abort());
  $('#search-form').addEventListener('submit', search);
  await loadModels().catch((err) => {
    show($('#ask-setup'), h('p', { class: 'form-error', role: 'alert' }, `Could not load the models: ${err.message}`));
    reportError(err);
  });
}

main().catch(reportError);
