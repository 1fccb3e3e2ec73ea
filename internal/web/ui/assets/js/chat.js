// chat.js: a chat column, for a notebook (its sources and notes) or for one
// source. Sessions are listed, created, renamed and deleted; an answer is
// streamed in as the model writes it and rendered as Markdown built from
// DOM nodes; Stop cancels it (the server then cancels the model's answer).

import { api, ApiError, pathID, stream } from './api.js';
import { confirmDialog, field, h, openDialog, show, toast } from './dom.js';
import { renderMarkdown } from './md.js';
import { reportError } from './shell.js';

/**
 * chatPanel fills root with a chat. opts: {kind: 'notebook'|'source',
 * ownerID, context: () => object|undefined (notebook chat: what the model
 * is given), onCite: (id) => void, models: [{id, name, provider}]}.
 */
export function chatPanel(root, opts) {
  const sourceBase = opts.kind === 'source' ? `/api/sources/${pathID(opts.ownerID)}/chat/sessions` : null;
  const paths = {
    list: sourceBase || '/api/chat/sessions?notebook_id=' + encodeURIComponent(opts.ownerID),
    create: sourceBase || '/api/chat/sessions',
    one: (id) => (sourceBase ? `${sourceBase}/${pathID(id)}` : '/api/chat/sessions/' + pathID(id)),
    send: (id) => (sourceBase ? `${sourceBase}/${pathID(id)}/messages` : '/api/chat/execute'),
  };
  const state = { sessions: [], current: null, controller: null };

  const sessionSelect = h('select', { class: 'chat-session', 'aria-label': 'Conversation' });
  const model = h('select', { class: 'chat-model', 'aria-label': 'Model' },
    h('option', { value: '' }, 'Default chat model'),
    (opts.models || []).map((m) => h('option', { value: m.id }, `${m.name} (${m.provider})`)));
  const log = h('div', { class: 'chat-log', role: 'log', 'aria-live': 'polite', tabindex: '0', 'aria-label': 'Conversation' });
  const input = h('textarea', { class: 'chat-input', rows: '3', 'aria-label': 'Your message', placeholder: 'Ask about ' + (opts.kind === 'source' ? 'this source' : 'this notebook') + '… (Ctrl+Enter sends)' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary btn-sm', 'data-action': 'send' }, 'Send');
  const stop = h('button', { type: 'button', class: 'btn btn-sm btn-danger', 'data-action': 'stop', hidden: true }, 'Stop');
  const form = h('form', { class: 'chat-form', novalidate: true }, input, h('div', { class: 'row chat-actions' }, model, h('span', { class: 'spacer' }), stop, send));

  show(root,
    h('div', { class: 'row chat-sessions' }, sessionSelect,
      h('button', { type: 'button', class: 'btn btn-sm', 'data-action': 'new-chat', onclick: newSession }, 'New'),
      h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'data-action': 'rename-chat', onclick: rename }, 'Rename'),
      h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'data-action': 'delete-chat', onclick: remove }, 'Delete')),
    log, form);

  sessionSelect.addEventListener('change', () => open(sessionSelect.value));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit();
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      submit();
    }
  });
  stop.addEventListener('click', () => state.controller && state.controller.abort());

  const cite = (id) => h('button', { type: 'button', class: 'cite', title: id, 'data-cite': id, onclick: () => opts.onCite && opts.onCite(id) },
    id.startsWith('note:') ? 'note' : id.startsWith('source:') ? 'source' : 'insight');

  function bubble(role, content) {
    const body = h('div', { class: 'chat-body' });
    if (role === 'ai') show(body, renderMarkdown(content, cite));
    else body.textContent = content;
    const el = h('div', { class: 'chat-msg chat-' + role, 'data-role': role }, body);
    log.append(el);
    log.scrollTop = log.scrollHeight;
    return body;
  }

  function renderSessions() {
    sessionSelect.replaceChildren(...state.sessions.map((s) => h('option', { value: s.id }, `${s.title} (${s.message_count})`)));
    if (state.current) sessionSelect.value = state.current.id;
    sessionSelect.hidden = state.sessions.length === 0;
  }

  async function loadSessions() {
    state.sessions = await api('GET', paths.list);
    renderSessions();
    if (state.sessions.length) await open(state.sessions[0].id);
    else show(log, h('p', { class: 'empty' }, 'No conversation yet. Ask a question to start one.'));
  }

  async function open(id) {
    const s = await api('GET', paths.one(id));
    state.current = s;
    renderSessions();
    show(log);
    if (!s.messages.length) show(log, h('p', { class: 'empty' }, 'Ask a question to start.'));
    for (const m of s.messages) bubble(m.type, m.content);
  }

  async function newSession() {
    try {
      const body = opts.kind === 'source' ? { source_id: opts.ownerID } : { notebook_id: opts.ownerID };
      const s = await api('POST', paths.create, body);
      state.sessions.unshift(s);
      state.current = s;
      renderSessions();
      show(log, h('p', { class: 'empty' }, 'Ask a question to start.'));
      input.focus();
      return s;
    } catch (err) {
      reportError(err);
      return null;
    }
  }

  function rename() {
    if (!state.current) return;
    const title = h('input', { type: 'text', name: 'title', maxlength: '200', autocomplete: 'off', value: state.current.title });
    const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const form = h('form', { id: 'rename-chat', class: 'form-grid', novalidate: true }, field({ label: 'Name', control: title }), err);
    const { close } = openDialog({
      title: 'Rename conversation',
      body: form,
      actions: [{ label: 'Cancel' }, { label: 'Save', kind: 'primary', submit: 'rename-chat' }],
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!title.value.trim()) {
        err.textContent = 'Give it a name.';
        err.hidden = false;
        return;
      }
      try {
        const saved = await api('PUT', paths.one(state.current.id), { title: title.value.trim() });
        state.current = { ...state.current, title: saved.title };
        const i = state.sessions.findIndex((s) => s.id === state.current.id);
        if (i >= 0) state.sessions[i] = { ...state.sessions[i], title: saved.title };
        renderSessions();
        close();
      } catch (e) {
        err.textContent = e.message;
        err.hidden = false;
      }
    });
  }

  async function remove() {
    if (!state.current) return;
    if (!(await confirmDialog({ title: 'Delete conversation?', message: `“${state.current.title}” and its messages will be deleted.`, confirmLabel: 'Delete', danger: true }))) return;
    try {
      await api('DELETE', paths.one(state.current.id));
      state.current = null;
      toast('Conversation deleted');
      await loadSessions();
    } catch (err) {
      reportError(err);
    }
  }

  async function submit() {
    const message = input.value;
    if (!message.trim() || state.controller) return;
    const session = state.current || (await newSession());
    if (!session) return;
    if (log.querySelector('.empty')) show(log);
    const controller = new AbortController();
    state.controller = controller;
    stop.hidden = false;
    send.disabled = true;
    let answer = '';
    let body = null;
    let pending = false;
    const paint = () => {
      pending = false;
      if (body) show(body, renderMarkdown(answer, cite));
      log.scrollTop = log.scrollHeight;
    };
    const request = { message, model_override: model.value || null };
    if (opts.kind === 'notebook') {
      request.session_id = session.id;
      request.context = (opts.context && opts.context()) || {};
    }
    try {
      await stream(paths.send(session.id), request, (ev) => {
        switch (ev.type) {
          case 'user_message':
            input.value = '';
            bubble('human', ev.content);
            break;
          case 'trimmed': {
            const d = ev.data || {};
            const parts = [];
            if (d.messages) parts.push(`${d.messages} earlier message${d.messages === 1 ? '' : 's'}`);
            if (d.sources && d.sources.length) parts.push(`${d.sources.length} source${d.sources.length === 1 ? '' : 's'}`);
            if (d.notes && d.notes.length) parts.push(`${d.notes.length} note${d.notes.length === 1 ? '' : 's'}`);
            if (d.context_truncated) parts.push('the end of the context');
            log.append(h('p', { class: 'chat-note' }, 'Left out to fit the model: ' + (parts.join(', ') || 'part of the context') + '.'));
            break;
          }
          case 'ai_message':
            if (!body) body = bubble('ai', '');
            answer += ev.content;
            if (!pending) {
              pending = true;
              requestAnimationFrame(paint);
            }
            break;
          case 'error':
            log.append(h('div', { class: 'chat-msg chat-error', role: 'alert' }, ev.message || 'The answer failed.'));
            break;
          default:
        }
      }, controller.signal);
      if (controller.signal.aborted) log.append(h('p', { class: 'chat-note' }, 'Stopped.'));
      paint();
    } catch (err) {
      log.append(h('div', { class: 'chat-msg chat-error', role: 'alert' }, err instanceof ApiError ? err.message : 'The answer failed.'));
    } finally {
      state.controller = null;
      stop.hidden = true;
      send.disabled = false;
      log.scrollTop = log.scrollHeight;
      try {
        state.sessions = await api('GET', paths.list);
        renderSessions();
      } catch {
        // The list refreshes next time.
      }
    }
  }

  loadSessions().catch((err) => show(log, h('p', { class: 'form-error' }, err.message)));
  return { busy: () => !!state.controller };
}
