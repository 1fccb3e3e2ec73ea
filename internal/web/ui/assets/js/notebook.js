// notebook.js: one notebook (/ui/notebooks/{id}): its sources and notes,
// adding both, and keyword search.

import { api, ApiError, pathID, upload } from './api.js';
import { $, ago, busy, confirmDialog, field, h, highlight, openDialog, plural, safeHref, show, toast } from './dom.js';
import { reportError, startPage } from './shell.js';
import { chatPanel } from './chat.js';

// The page's URL carries the notebook's key; the API's ids are "notebook:key".
const notebookKey = decodeURIComponent(location.pathname.replace(/^\/ui\/notebooks\//, ''));
const notebookID = notebookKey.includes(':') ? notebookKey : 'notebook:' + notebookKey;
const state = { notebook: null, sources: [], notes: [], transformations: [], models: [] };

async function loadModels() {
  state.models = (await api('GET', '/api/models?type=language')).filter((m) => m.type === 'language');
}
// Insights a source added here is to receive, by source id: they are made
// by their own jobs after the source is read, so the list keeps refreshing
// until they are in (or for two minutes).
const awaited = new Map();

// ---- what the chat is given: a level per source and note, as the
// original's context toggles

const LEVELS = {
  source: [['insights', 'Insights'], ['full content', 'Full text'], ['not in context', 'Not in chat']],
  note: [['full content', 'In chat'], ['not in context', 'Not in chat']],
};
const levels = new Map(); // id -> level; sources start with insights, notes in full
let chatContext = null;

function levelOf(kind, id) {
  return levels.get(id) || LEVELS[kind][0][0];
}

function levelSelect(kind, item, label) {
  const sel = h('select', { class: 'level', 'aria-label': `What the chat is given of ${label}`, 'data-level': item.id },
    LEVELS[kind].map(([v, text]) => h('option', { value: v }, text)));
  sel.value = levelOf(kind, item.id);
  sel.addEventListener('change', () => {
    levels.set(item.id, sel.value);
    refreshContext();
  });
  return sel;
}

// refreshContext rebuilds the chat's context on the server and shows its
// size; the latest one goes with the next message.
let contextTimer = null;
function refreshContext() {
  clearTimeout(contextTimer);
  contextTimer = setTimeout(async () => {
    const config = { sources: {}, notes: {} };
    for (const s of state.sources) config.sources[s.id] = levelOf('source', s.id);
    for (const n of state.notes) config.notes[n.id] = levelOf('note', n.id);
    try {
      const res = await api('POST', '/api/chat/context', { notebook_id: notebookID, context_config: config });
      chatContext = res.context;
      $('#chat-context').textContent = `Context: ${plural(res.context.sources.length, 'source')}, ${plural(res.context.notes.length, 'note')} · ` +
        `${res.token_count.toLocaleString()} tokens`;
    } catch (err) {
      $('#chat-context').textContent = 'Context: ' + err.message;
    }
  }, 150);
}

// openCited opens what an answer cites.
function openCited(id) {
  if (id.startsWith('note:')) {
    const n = state.notes.find((x) => x.id === id);
    if (n) editNote(n);
    else toast('That note is not in this notebook.', 'error');
  } else if (id.startsWith('source:')) {
    viewSource(id);
  } else {
    api('GET', '/api/insights/' + pathID(id.replace(/^insight:/, 'source_insight:')))
      .then((i) => viewSource(i.source_id)).catch(reportError);
  }
}

// ---- the notebook itself

function renderHead() {
  const nb = state.notebook;
  document.title = `${nb.name} · Open Notebook`;
  $('#nb-title').textContent = nb.name;
  $('#nb-desc').textContent = nb.description || '';
  show($('#nb-meta'), nb.archived ? h('span', { class: 'badge badge-warn' }, 'Archived') : null,
    nb.archived ? ' ' : null, 'Created ', ago(nb.created), ' · updated ', ago(nb.updated));
  $('#nb-archive').textContent = nb.archived ? 'Unarchive' : 'Archive';
  $('#nb-actions').hidden = false;
}

async function loadNotebook() {
  state.notebook = await api('GET', '/api/notebooks/' + pathID(notebookID));
  renderHead();
}

function editNotebook() {
  const nb = state.notebook;
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: '200', value: nb.name, autocomplete: 'off' });
  const desc = h('textarea', { name: 'description', rows: '3' });
  desc.value = nb.description || '';
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { id: 'edit-notebook', class: 'form-grid', novalidate: true },
    field({ label: 'Name', control: name, required: true }), field({ label: 'Description', control: desc }), err);
  const { close } = openDialog({
    title: 'Edit notebook',
    body: form,
    actions: [{ label: 'Cancel' }, { label: 'Save', kind: 'primary', submit: 'edit-notebook' }],
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!name.value.trim()) {
      err.textContent = 'Give the notebook a name.';
      err.hidden = false;
      name.focus();
      return;
    }
    try {
      state.notebook = await api('PUT', '/api/notebooks/' + pathID(notebookID),
        { name: name.value.trim(), description: desc.value.trim() });
      renderHead();
      close();
      toast('Notebook saved');
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  });
}

async function toggleArchive(ev) {
  await busy(ev.currentTarget, async () => {
    try {
      state.notebook = await api('PUT', '/api/notebooks/' + pathID(notebookID), { archived: !state.notebook.archived });
      renderHead();
      toast(state.notebook.archived ? 'Notebook archived' : 'Notebook restored');
    } catch (err) {
      reportError(err);
    }
  });
}

async function deleteNotebook() {
  let preview;
  try {
    preview = await api('GET', `/api/notebooks/${pathID(notebookID)}/delete-preview`);
  } catch (err) {
    reportError(err);
    return;
  }
  const exclusive = h('input', { type: 'checkbox', name: 'exclusive' });
  const body = [
    h('p', null, `“${state.notebook.name}” and its ${plural(preview.note_count, 'note')} will be deleted.`),
    preview.exclusive_source_count > 0
      ? h('p', { class: 'stack-sm' }, h('label', { class: 'check' }, exclusive,
        `Also delete the ${plural(preview.exclusive_source_count, 'source')} no other notebook uses`))
      : null,
    preview.shared_source_count > 0
      ? h('p', { class: 'muted small' }, `${plural(preview.shared_source_count, 'source')} shared with other notebooks will stay.`)
      : null,
  ];
  if (!(await confirmDialog({ title: 'Delete notebook?', message: body, confirmLabel: 'Delete notebook', danger: true }))) return;
  try {
    await api('DELETE', `/api/notebooks/${pathID(notebookID)}?delete_exclusive_sources=${exclusive.checked}`);
    location.assign('/ui/');
  } catch (err) {
    reportError(err);
  }
}

// ---- sources

function sourceKind(s) {
  if (s.asset && s.asset.url) return 'Link';
  if (s.asset && s.asset.file_path) return 'File';
  return 'Text';
}

function sourceTitle(s) {
  return s.title || (s.asset && (s.asset.url || s.asset.file_path)) || 'Untitled source';
}

async function loadSources() {
  const all = [];
  for (let offset = 0; ; offset += 100) {
    const q = new URLSearchParams({ notebook_id: notebookID, limit: '100', offset: String(offset), sort_by: 'created', sort_order: 'desc' });
    const page = await api('GET', '/api/sources?' + q);
    all.push(...page);
    if (page.length < 100) break;
  }
  state.sources = all;
  renderSources();
}

// A source is being processed while its job waits or runs.
const processing = (s) => ['new', 'queued', 'running'].includes(s.status);

function failure(s) {
  const p = s.processing_info;
  return (p && p.error) || 'Its text could not be read.';
}

// sourceState shows where a source's processing stands.
function sourceState(s) {
  const p = s.processing_info || {};
  if (s.status === 'running') {
    return [h('span', { class: 'badge badge-accent' }, 'Processing'), ' ',
      typeof p.progress === 'number' ? h('progress', { class: 'progress', max: '100', value: String(p.progress), 'aria-label': 'Progress' }) : null];
  }
  if (processing(s)) return [h('span', { class: 'badge' }, p.retry ? 'Queued again' : 'Queued')];
  const out = [];
  out.push(s.embedded ? h('span', { class: 'badge badge-ok' }, 'Embedded') : h('span', { class: 'badge', title: 'Vector search and ask do not see this source until it is embedded' }, 'Not embedded'), ' ');
  if (s.insights_count > 0) out.push(h('span', { class: 'badge badge-accent' }, plural(s.insights_count, 'insight')), ' ');
  return out;
}

function renderSources() {
  const box = $('#sources');
  $('#sources-count').textContent = String(state.sources.length);
  if (state.sources.length === 0) {
    show(box, h('p', { class: 'empty' }, 'No sources yet. Add text, a link or a file.'));
    return;
  }
  show(box, h('ul', { class: 'list', 'aria-label': 'Sources' }, state.sources.map((s) => h('li', { 'data-id': s.id, 'data-status': s.status || 'completed' },
    h('div', { class: 'item-head' },
      h('button', { type: 'button', class: 'link-button', onclick: () => viewSource(s.id) }, sourceTitle(s)),
      h('div', { class: 'item-actions' },
        s.status === 'failed' ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Retry ${sourceTitle(s)}`, onclick: (ev) => retrySource(s, ev.currentTarget) }, 'Retry') : null,
        !s.embedded && !processing(s) && s.status !== 'failed' && s.status !== 'running'
          ? h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'embed', 'aria-label': `Embed ${sourceTitle(s)}`, onclick: (ev) => embedSource(s, ev.currentTarget) }, 'Embed') : null,
        h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'aria-label': `Remove ${sourceTitle(s)}`, onclick: () => removeSource(s) }, 'Remove'))),
    h('p', { class: 'item-meta' }, h('span', { class: 'badge' }, sourceKind(s)), ' ', sourceState(s), 'added ', ago(s.created),
      ' ', levelSelect('source', s, sourceTitle(s))),
    s.status === 'failed'
      ? h('p', { class: 'item-meta source-error' }, h('span', { class: 'badge badge-danger' }, 'Failed'), ' ', failure(s))
      : null))));
  watchSources();
  refreshContext();
}

// watchSources refreshes the list while any source is being processed.
let watching = null;
function watchSources() {
  for (const [id, want] of awaited) {
    const s = state.sources.find((x) => x.id === id);
    if (!s || s.status === 'failed' || s.insights_count >= want.count || Date.now() > want.until) awaited.delete(id);
  }
  if (watching || (!state.sources.some(processing) && awaited.size === 0)) return;
  watching = setTimeout(async () => {
    watching = null;
    try {
      await loadSources();
    } catch (err) {
      reportError(err);
    }
  }, 1500);
}

async function retrySource(s, btn) {
  await busy(btn, async () => {
    try {
      await api('POST', `/api/sources/${pathID(s.id)}/retry`);
      toast('Processing the source again');
      await loadSources();
    } catch (err) {
      reportError(err);
    }
  });
}

// applyEmbeddingSetting follows Settings' default_embedding_option: with
// always or never the server decides, and the checkbox says so.
async function applyEmbeddingSetting() {
  const settings = await api('GET', '/api/settings');
  const box = $('#src-embed');
  const opt = settings.default_embedding_option || 'ask';
  if (opt === 'always' || opt === 'never') {
    box.checked = opt === 'always';
    box.disabled = true;
    box.parentElement.title = opt === 'always' ? 'Settings embed every new source.' : 'Settings embed no new source; embed one from its row.';
  }
}

// embedSource embeds a source for vector search in the background and
// shows it embedded once the job ends.
async function embedSource(s, btn) {
  await busy(btn, async () => {
    try {
      const res = await api('POST', '/api/embed', { item_id: s.id, item_type: 'source', async_processing: true });
      if (res.command_id) {
        const job = await waitForJob(res.command_id);
        if (job.status !== 'completed') throw new Error(job.error_message || 'Embedding failed.');
      }
      toast(`${sourceTitle(s)} is embedded`);
      await loadSources();
    } catch (err) {
      reportError(err);
    }
  }, 'Embedding…');
}

// ---- insights

// waitForJob polls a background job until it ends and returns it.
async function waitForJob(id) {
  for (let i = 0; i < 300; i++) {
    const job = await api('GET', '/api/commands/jobs/' + encodeURIComponent(id));
    if (['completed', 'failed', 'canceled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('The job is still running; its result will appear later.');
}

function insightsSection(s) {
  const list = h('div', { class: 'stack-sm', id: 'insights', 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading insights…'));
  const select = h('select', { id: 'insight-tr', 'aria-label': 'Transformation' },
    state.transformations.map((t) => h('option', { value: t.id }, t.name)));
  const go = h('button', { type: 'button', class: 'btn btn-sm', id: 'insight-run' }, 'Generate');
  const load = async () => {
    const items = await api('GET', `/api/sources/${pathID(s.id)}/insights`);
    if (items.length === 0) {
      show(list, h('p', { class: 'empty' }, 'No insights yet.'));
      return;
    }
    show(list, items.map((i) => h('article', { class: 'insight', 'data-id': i.id },
      h('div', { class: 'item-head' },
        h('h3', { class: 'item-title' }, i.insight_type),
        h('div', { class: 'item-actions' },
          h('button', { type: 'button', class: 'btn btn-sm btn-quiet', onclick: (ev) => saveInsight(i, ev.currentTarget) }, 'Save as note'),
          h('button', { type: 'button', class: 'btn btn-sm btn-quiet', onclick: async (ev) => {
            await busy(ev.currentTarget, async () => {
              try {
                await api('DELETE', '/api/insights/' + pathID(i.id));
                toast('Insight deleted');
                await load();
                await loadSources();
              } catch (err) {
                reportError(err);
              }
            });
          } }, 'Delete'))),
      h('p', { class: 'item-meta' }, ago(i.created)),
      h('div', { class: 'insight-body' }, i.content))));
  };
  go.addEventListener('click', () => busy(go, async () => {
    if (!select.value) return;
    try {
      const res = await api('POST', `/api/sources/${pathID(s.id)}/insights`, { transformation_id: select.value });
      toast('Generating the insight…');
      const job = await waitForJob(res.command_id);
      if (job.status !== 'completed') throw new Error(job.error_message || 'The insight could not be generated.');
      await load();
      await loadSources();
    } catch (err) {
      reportError(err);
    }
  }));
  load().catch((err) => show(list, h('p', { class: 'form-error' }, err.message)));
  return h('section', { class: 'stack-sm', 'aria-labelledby': 'insights-title' },
    h('h3', { id: 'insights-title' }, 'Insights'),
    s.full_text && state.transformations.length
      ? h('div', { class: 'row' }, select, go)
      : null,
    list);
}

// sourceChatSection is a chat about this one source.
function sourceChatSection(s) {
  const box = h('div', { class: 'source-chat', id: 'source-chat' });
  chatPanel(box, { kind: 'source', ownerID: s.id, models: state.models, onCite: (id) => {
    if (id.startsWith('note:')) openCited(id);
  } });
  return h('section', { class: 'stack-sm', 'aria-labelledby': 'source-chat-title' },
    h('h3', { id: 'source-chat-title' }, 'Chat about this source'), box);
}

async function saveInsight(i, btn) {
  await busy(btn, async () => {
    try {
      await api('POST', `/api/insights/${pathID(i.id)}/save-as-note`, { notebook_id: notebookID });
      toast('Saved as a note');
      await Promise.all([loadNotes(), loadNotebook()]);
    } catch (err) {
      reportError(err);
    }
  });
}

async function viewSource(id) {
  let s;
  try {
    s = await api('GET', '/api/sources/' + pathID(id));
  } catch (err) {
    reportError(err);
    return;
  }
  const url = s.asset && s.asset.url ? safeHref(s.asset.url) : null;
  openDialog({
    title: sourceTitle(s),
    wide: true,
    body: h('div', { class: 'stack' },
      h('p', { class: 'item-meta' }, h('span', { class: 'badge' }, sourceKind(s)), ' added ', ago(s.created),
        url ? [' · ', h('a', { href: url, rel: 'noopener noreferrer', target: '_blank' }, 'Open original ↗')] : null,
        s.file_available ? [' · ', h('a', { href: `/api/sources/${pathID(s.id)}/download` }, 'Download file')] : null),
      s.status === 'failed' ? h('div', { class: 'alert alert-warn' }, h('div', { class: 'alert-body' }, h('strong', null, 'Processing failed'), h('p', null, failure(s)))) : null,
      processing(s) ? h('p', { class: 'muted' }, 'This source is still being processed.') : null,
      s.processing_info && s.processing_info.note ? h('p', { class: 'muted small' }, s.processing_info.note) : null,
      s.full_text ? h('div', { class: 'source-text', tabindex: '0', 'aria-label': 'Source text' }, s.full_text) : null,
      insightsSection(s),
      s.full_text ? sourceChatSection(s) : null),
    actions: [{ label: 'Close' }],
  });
}

function removeSource(s) {
  const title = sourceTitle(s);
  const { close } = openDialog({
    title: 'Remove source?',
    body: h('p', null, `Remove “${title}” from this notebook only, or delete it everywhere?`),
    actions: [
      { label: 'Cancel' },
      { label: 'Remove from notebook', id: 'unlink', onclick: (_, btn) => act(btn, 'DELETE', `/api/notebooks/${pathID(notebookID)}/sources/${pathID(s.id)}`, 'Source removed from this notebook') },
      { label: 'Delete everywhere', kind: 'danger-solid', id: 'delete', onclick: (_, btn) => act(btn, 'DELETE', '/api/sources/' + pathID(s.id), 'Source deleted') },
    ],
  });
  async function act(btn, method, path, message) {
    await busy(btn, async () => {
      try {
        await api(method, path);
        close();
        toast(message);
        await Promise.all([loadSources(), loadNotebook()]);
      } catch (err) {
        reportError(err);
      }
    });
  }
}

function selectedKind() {
  return $('#add-source').querySelector('input[name="type"]:checked').value;
}

function syncSourceFields() {
  const kind = selectedKind();
  for (const el of $('#add-source').querySelectorAll('[data-kind]')) el.hidden = el.dataset.kind !== kind;
}

async function addSource(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const err = $('#src-error');
  err.hidden = true;
  const kind = selectedKind();
  const title = form.elements.title.value.trim();
  const fail = (msg, focus) => {
    err.textContent = msg;
    err.hidden = false;
    if (focus) focus.focus();
  };
  // Every source is processed in the background: the list shows how far
  // it got, and the chosen transformations run once its text is read.
  const transformations = [...form.querySelectorAll('#src-tr-list input:checked')].map((c) => c.value);
  const common = { notebook_id: notebookID, title: title || null, transformations, embed: $('#src-embed').checked, async_processing: true };
  let body;
  if (kind === 'text') {
    if (!form.elements.content.value.trim()) return fail('Paste or type the text.', form.elements.content);
    body = { type: 'text', content: form.elements.content.value, ...common };
  } else if (kind === 'link') {
    const url = form.elements.url.value.trim();
    if (!/^https?:\/\/\S+$/i.test(url)) return fail('Enter a web address starting with http:// or https://.', form.elements.url);
    body = { type: 'link', url, ...common };
  } else {
    const file = form.elements.file.files[0];
    if (!file) return fail('Choose a file.', form.elements.file);
    body = new FormData();
    body.append('type', 'upload');
    body.append('notebook_id', notebookID);
    if (title) body.append('title', title);
    body.append('transformations', JSON.stringify(transformations));
    body.append('embed', String(common.embed));
    body.append('async_processing', 'true');
    body.append('file', file);
  }
  await busy(form.querySelector('button[type="submit"]'), async () => {
    try {
      const src = body instanceof FormData ? await uploadWithProgress(body) : await api('POST', '/api/sources/json', body);
      if (transformations.length) awaited.set(src.id, { count: transformations.length, until: Date.now() + 120000 });
      form.reset();
      applyEmbeddingSetting().catch(() => {});
      syncSourceFields();
      renderTransformationChoices();
      if (src.status === 'failed') toast(`Source added, but its text could not be read: ${failure(src)}`, 'error');
      else toast('Source added; it is being processed');
      await Promise.all([loadSources(), loadNotebook()]);
    } catch (e) {
      fail(e.message);
    }
  }, kind === 'link' ? 'Adding the link…' : kind === 'upload' ? 'Uploading…' : 'Adding…');
}

// uploadWithProgress sends a file showing how much has gone; once it is
// all sent, the source in the list shows its processing.
async function uploadWithProgress(body) {
  const box = $('#src-upload');
  const bar = $('#src-upload-bar');
  const text = $('#src-upload-text');
  const mb = (n) => (n / 1048576).toFixed(n < 10485760 ? 1 : 0);
  bar.value = 0;
  text.textContent = 'Uploading…';
  box.hidden = false;
  try {
    return await upload('/api/sources', body, (sent, total) => {
      const pct = Math.round((sent / total) * 100);
      bar.value = pct;
      text.textContent = sent < total ? `Uploading… ${pct}% (${mb(sent)} of ${mb(total)} MB)` : 'Uploaded; reading it…';
    });
  } finally {
    box.hidden = true;
  }
}

// describeAccepted lists, under the file field, the kinds of file this
// server reads (from its capabilities), and lets the picker offer them.
async function describeAccepted() {
  let caps;
  try {
    caps = await api('GET', '/api/capabilities');
  } catch {
    return; // the field still takes any file, and the server says what it cannot read
  }
  const ex = caps && caps.extraction;
  if (!ex) return;
  const names = { pdf: 'PDF', docx: 'Word', pptx: 'PowerPoint', xlsx: 'Excel', epub: 'EPUB', markdown: 'Markdown', html: 'HTML', text: 'text', audio: 'audio', video: 'video' };
  const all = [...(ex.documents || []), ...(ex.media || [])];
  const exts = all.flatMap((f) => f.extensions);
  $('#src-file').setAttribute('accept', exts.join(','));
  const docs = (ex.documents || []).map((f) => names[f.format] || f.format).join(', ');
  const media = (ex.media || []).map((f) => `${names[f.format] || f.format} (${f.extensions.join(' ')})`).join(' and ');
  $('#src-accepted').textContent = `Accepted: ${docs}${media ? `; ${media}, transcribed by the speech-to-text model` : ''}. ` +
    'Its text is read in the background; the source shows its progress and, if it fails, why, with Retry.';
}

// renderTransformationChoices offers the transformations to run on a new
// source, those marked default ticked.
function renderTransformationChoices() {
  const box = $('#src-tr-list');
  box.replaceChildren(...state.transformations.map((t) => {
    const c = h('input', { type: 'checkbox', value: t.id });
    c.checked = t.apply_default;
    return h('label', { class: 'check small' }, c, t.name);
  }));
  $('#src-transformations').hidden = state.transformations.length === 0;
}

async function loadTransformations() {
  state.transformations = await api('GET', '/api/transformations');
  renderTransformationChoices();
}

// ---- notes

async function loadNotes() {
  state.notes = await api('GET', '/api/notes?notebook_id=' + encodeURIComponent(notebookID));
  renderNotes();
}

function renderNotes() {
  const box = $('#notes');
  $('#notes-count').textContent = String(state.notes.length);
  if (state.notes.length === 0) {
    show(box, h('p', { class: 'empty' }, 'No notes yet.'));
    return;
  }
  show(box, h('ul', { class: 'list', 'aria-label': 'Notes' }, state.notes.map((n) => h('li', { 'data-id': n.id },
    h('div', { class: 'item-head' },
      h('h3', { class: 'item-title' }, n.title || 'Untitled note'),
      h('div', { class: 'item-actions' },
        h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'aria-label': `Edit ${n.title || 'note'}`, onclick: () => editNote(n) }, 'Edit'),
        h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'aria-label': `Delete ${n.title || 'note'}`, onclick: () => deleteNote(n) }, 'Delete'))),
    h('p', { class: 'note-body' }, n.content),
    h('p', { class: 'item-meta' }, n.note_type === 'ai' ? [h('span', { class: 'badge badge-accent' }, 'AI'), ' '] : null, 'Updated ', ago(n.updated),
      ' ', levelSelect('note', n, n.title || 'this note'))))));
  refreshContext();
}

async function addNote(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const err = $('#note-error');
  err.hidden = true;
  const content = form.elements.content.value;
  if (!content.trim()) {
    err.textContent = 'Write something first.';
    err.hidden = false;
    form.elements.content.focus();
    return;
  }
  await busy(form.querySelector('button[type="submit"]'), async () => {
    try {
      await api('POST', '/api/notes', { title: form.elements.title.value.trim() || null, content, note_type: 'human', notebook_id: notebookID });
      form.reset();
      toast('Note saved');
      await Promise.all([loadNotes(), loadNotebook()]);
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  });
}

function editNote(n) {
  const title = h('input', { type: 'text', name: 'title', value: n.title || '', autocomplete: 'off' });
  const content = h('textarea', { name: 'content', rows: '10' });
  content.value = n.content;
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { id: 'edit-note', class: 'form-grid', novalidate: true },
    field({ label: 'Title', control: title }), field({ label: 'Note', control: content, required: true }), err);
  const { close } = openDialog({
    title: 'Edit note',
    wide: true,
    body: form,
    actions: [{ label: 'Cancel' }, { label: 'Save', kind: 'primary', submit: 'edit-note' }],
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!content.value.trim()) {
      err.textContent = 'A note cannot be empty.';
      err.hidden = false;
      return;
    }
    try {
      await api('PUT', '/api/notes/' + pathID(n.id), { title: title.value.trim(), content: content.value });
      close();
      toast('Note saved');
      await loadNotes();
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  });
}

async function deleteNote(n) {
  if (!(await confirmDialog({ title: 'Delete note?', message: `“${n.title || 'Untitled note'}” will be deleted.`, confirmLabel: 'Delete note', danger: true }))) return;
  try {
    await api('DELETE', '/api/notes/' + pathID(n.id));
    toast('Note deleted');
    await Promise.all([loadNotes(), loadNotebook()]);
  } catch (err) {
    reportError(err);
  }
}

// ---- search

async function search(ev) {
  ev.preventDefault();
  const box = $('#results');
  const query = $('#q').value.trim();
  if (!query) {
    show(box);
    return;
  }
  const onlyHere = $('#q-here').checked;
  show(box, h('p', { class: 'loading' }, 'Searching…'));
  try {
    const res = await api('POST', '/api/search', { query, type: 'text', limit: onlyHere ? 1000 : 50 });
    const here = new Set([...state.sources.map((s) => s.id), ...state.notes.map((n) => n.id)]);
    const hits = onlyHere ? res.results.filter((r) => here.has(r.id) || here.has(r.parent_id)) : res.results;
    if (hits.length === 0) {
      show(box, h('p', { class: 'empty' }, `No matches for “${query}”${onlyHere ? ' in this notebook' : ''}.`));
      return;
    }
    show(box,
      h('p', { class: 'muted small' }, `${plural(hits.length, 'match', 'matches')} for “${query}”`),
      h('ul', { class: 'list', 'aria-label': 'Search results' }, hits.map((r) => {
        const isNote = r.id.startsWith('note:');
        const isInsight = r.id.startsWith('source_insight:');
        const note = isNote ? state.notes.find((n) => n.id === r.id) : null;
        // An insight opens its source, where the insights are listed.
        const open = isNote ? (note ? () => editNote(note) : null) : () => viewSource(isInsight ? r.parent_id : r.id);
        const title = r.title || (isNote ? 'Untitled note' : 'Untitled source');
        const kind = isNote ? 'note' : isInsight ? 'insight' : 'source';
        return h('li', { 'data-kind': kind },
          h('div', { class: 'row' },
            h('span', { class: 'badge' }, kind[0].toUpperCase() + kind.slice(1)),
            open ? h('button', { type: 'button', class: 'link-button', onclick: open }, title) : h('span', { class: 'item-title' }, title)),
          (r.matches || []).map((m) => h('p', { class: 'result-excerpt' }, highlight(m))));
      })));
  } catch (err) {
    show(box, h('p', { class: 'form-error' }, err.message));
  }
}

// ---- start

async function main() {
  await startPage();
  try {
    await loadNotebook();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      $('#nb-title').textContent = 'Notebook not found';
      $('#nb-desc').textContent = 'It may have been deleted.';
      return;
    }
    throw err;
  }
  $('#nb-body').hidden = false;
  $('#nb-edit').addEventListener('click', editNotebook);
  $('#nb-archive').addEventListener('click', toggleArchive);
  $('#nb-delete').addEventListener('click', deleteNotebook);
  $('#add-source').addEventListener('submit', addSource);
  for (const r of $('#add-source').querySelectorAll('input[name="type"]')) r.addEventListener('change', syncSourceFields);
  $('#add-note').addEventListener('submit', addNote);
  $('#search').addEventListener('submit', search);
  await Promise.all([
    loadSources().catch((err) => { show($('#sources'), h('p', { class: 'form-error' }, err.message)); }),
    loadNotes().catch((err) => { show($('#notes'), h('p', { class: 'form-error' }, err.message)); }),
    loadTransformations().catch(reportError),
    loadModels().catch(() => {}),
    applyEmbeddingSetting().catch(() => {}),
    describeAccepted(),
  ]);
  chatPanel($('#chat'), { kind: 'notebook', ownerID: notebookID, models: state.models, onCite: openCited,
    context: () => chatContext || undefined });
  // Ask and Search link here with the item to open: #source:…, #note:… or #source_insight:….
  const linked = decodeURIComponent(location.hash.slice(1));
  if (/^(source|note|source_insight):/.test(linked)) openCited(linked);
}

main().catch(reportError);
