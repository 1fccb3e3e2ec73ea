// podcasts.js: the podcasts page (/ui/podcasts): episodes with their
// status, progress and audio; the generate dialog; editors for episode and
// speaker profiles.

import { api, pathID } from './api.js';
import { $, ago, busy, confirmDialog, field, h, openDialog, show, toast } from './dom.js';
import { reportError, startPage } from './shell.js';

const state = { episodes: [], episodeProfiles: [], speakerProfiles: [], llms: [], tts: [], languages: [], notebooks: [], progress: {} };

const active = new Set(['new', 'queued', 'running', 'submitted', 'pending', 'processing']);

const stageNames = {
  content: 'Reading the notebook', outline: 'Planning the outline', transcript: 'Writing the dialogue',
  speech: 'Voicing the lines', audio: 'Making the audio', done: 'Done',
};

function statusBadge(s) {
  const kind = s === 'completed' ? 'badge-ok' : (s === 'failed' || s === 'error') ? 'badge-danger' : active.has(s) ? 'badge-accent' : 'badge-warn';
  return h('span', { class: 'badge ' + kind, 'data-status': s }, s || 'unknown');
}

async function loadEpisodes() {
  state.episodes = await api('GET', '/api/podcasts/episodes');
  await Promise.all(state.episodes.filter((e) => active.has(e.job_status) && e.job_id).map(async (e) => {
    try {
      state.progress[e.id] = (await api('GET', '/api/podcasts/jobs/' + pathID(e.job_id))).progress;
    } catch {
      state.progress[e.id] = null;
    }
  }));
  renderEpisodes();
}

// Players keep playing across refreshes: an episode's row is rebuilt only
// when what it shows changed.
const rendered = new Map();

function renderEpisodes() {
  const box = $('#episodes');
  $('#ep-count').textContent = String(state.episodes.length);
  if (state.episodes.length === 0) {
    rendered.clear();
    show(box, h('p', { class: 'empty' }, 'No episodes yet. Generate one from a notebook.'));
    return;
  }
  const items = state.episodes.map((e) => {
    const key = JSON.stringify([e.job_status, e.audio_url, e.error_message, state.progress[e.id]]);
    const old = rendered.get(e.id);
    if (old && old.key === key) return old.el;
    const el = episodeItem(e);
    rendered.set(e.id, { key, el });
    return el;
  });
  let ul = box.querySelector('ul.list');
  if (!ul) {
    ul = h('ul', { class: 'list', 'aria-label': 'Episodes' });
    show(box, ul);
  }
  ul.replaceChildren(...items);
}

function episodeItem(e) {
  const p = state.progress[e.id];
  const lines = e.transcript && Array.isArray(e.transcript.transcript) ? e.transcript.transcript : [];
  const segments = e.outline && Array.isArray(e.outline.segments) ? e.outline.segments : [];
  const canRetry = e.job_status === 'failed' || e.job_status === 'error' || e.job_status === 'canceled';
  return h('li', { 'data-id': e.id, class: 'episode' },
    h('div', { class: 'item-head' },
      h('h3', { class: 'item-title' }, e.name),
      h('div', { class: 'item-actions' },
        canRetry ? h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Retry ${e.name}`, onclick: () => retry(e) }, 'Retry') : null,
        h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'aria-label': `Delete ${e.name}`, onclick: () => removeEpisode(e) }, 'Delete'))),
    h('p', { class: 'item-meta' }, statusBadge(e.job_status), ' ',
      (e.episode_profile && e.episode_profile.name) || '', ' · ',
      (e.speaker_profile && e.speaker_profile.name) || '', ' · created ', ago(e.created)),
    p && active.has(e.job_status) ? h('p', { class: 'muted small progress-line' },
      stageNames[p.stage] || p.stage, p.total > 1 ? ` (${p.done} of ${p.total})` : '',
      h('progress', { max: String(p.total || 1), value: String(p.done || 0), 'aria-label': 'Progress' })) : null,
    e.error_message ? h('p', { class: 'form-error' }, e.error_message) : null,
    e.audio_url ? h('audio', { controls: true, preload: 'metadata', src: e.audio_url, 'aria-label': `Play ${e.name}` }) : null,
    segments.length || lines.length ? h('details', {},
      h('summary', {}, `Outline and transcript (${segments.length} segments, ${lines.length} lines)`),
      h('ol', {}, segments.map((s) => h('li', {}, h('strong', {}, s.name), ' — ', s.description))),
      h('div', { class: 'transcript' }, lines.map((l) => h('p', {}, h('strong', {}, l.speaker + ': '), l.dialogue)))) : null);
}

async function retry(e) {
  try {
    await api('POST', `/api/podcasts/episodes/${pathID(e.id)}/retry`);
    toast('Retry submitted');
    await loadEpisodes();
    poll();
  } catch (err) {
    reportError(err);
  }
}

async function removeEpisode(e) {
  if (!(await confirmDialog({ title: 'Delete episode?', message: `“${e.name}” and its audio will be deleted.`, confirmLabel: 'Delete', danger: true }))) return;
  try {
    await api('DELETE', '/api/podcasts/episodes/' + pathID(e.id));
    rendered.delete(e.id);
    toast('Episode deleted');
    await loadEpisodes();
  } catch (err) {
    reportError(err);
  }
}

let timer = null;

// poll refreshes the episodes every two seconds while one is being made.
function poll() {
  if (timer) return;
  timer = setInterval(async () => {
    try {
      await loadEpisodes();
    } catch (err) {
      reportError(err);
    }
    if (!state.episodes.some((e) => active.has(e.job_status))) {
      clearInterval(timer);
      timer = null;
    }
  }, 2000);
}

function modelLabel(list, id) {
  const m = list.find((x) => x.id === id);
  return m ? `${m.name} (${m.provider})` : null;
}

function select(name, options, current, empty) {
  const sel = h('select', { name }, empty ? h('option', { value: '' }, empty) : null,
    options.map(([value, label]) => h('option', { value }, label)));
  sel.value = current || '';
  return sel;
}

async function loadProfiles() {
  [state.episodeProfiles, state.speakerProfiles] = await Promise.all([api('GET', '/api/episode-profiles'), api('GET', '/api/speaker-profiles')]);
  renderProfiles();
}

function renderProfiles() {
  const eps = state.episodeProfiles;
  show($('#episode-profiles'), eps.length === 0 ? h('p', { class: 'empty' }, 'No episode profiles.') :
    h('ul', { class: 'list', 'aria-label': 'Episode profiles' }, eps.map((p) => h('li', { 'data-id': p.id },
      h('div', { class: 'item-head' },
        h('h3', { class: 'item-title' }, p.name),
        profileActions(p, editEpisodeProfile, '/api/episode-profiles/')),
      h('p', { class: 'item-meta' },
        !p.outline_llm || !p.transcript_llm ? [h('span', { class: 'badge badge-warn' }, 'Needs models'), ' '] : null,
        !p.speaker_config_name ? [h('span', { class: 'badge badge-warn' }, 'Needs speakers'), ' '] : null,
        p.description ? [p.description, ' · '] : null, 'speakers: ', p.speaker_config_name || 'none', ' · ', `${p.num_segments} segments`,
        p.outline_llm ? [' · outline: ', modelLabel(state.llms, p.outline_llm) || p.outline_llm] : null,
        p.language ? [' · ', p.language] : null)))));
  const sps = state.speakerProfiles;
  show($('#speaker-profiles'), sps.length === 0 ? h('p', { class: 'empty' }, 'No speaker profiles.') :
    h('ul', { class: 'list', 'aria-label': 'Speaker profiles' }, sps.map((p) => h('li', { 'data-id': p.id },
      h('div', { class: 'item-head' },
        h('h3', { class: 'item-title' }, p.name),
        profileActions(p, editSpeakerProfile, '/api/speaker-profiles/')),
      h('p', { class: 'item-meta' },
        !p.voice_model && p.speakers.some((s) => !s.voice_model) ? [h('span', { class: 'badge badge-warn' }, 'Needs a voice model'), ' '] : null,
        p.description ? [p.description, ' · '] : null, p.speakers.map((s) => `${s.name} (${s.voice_id})`).join(', '),
        p.voice_model ? [' · ', modelLabel(state.tts, p.voice_model) || p.voice_model] : null)))));
}

function profileActions(p, edit, base) {
  return h('div', { class: 'item-actions' },
    h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'aria-label': `Edit ${p.name}`, onclick: () => edit(p) }, 'Edit'),
    h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'aria-label': `Duplicate ${p.name}`, onclick: () => duplicate(base, p) }, 'Duplicate'),
    h('button', { type: 'button', class: 'btn btn-sm btn-quiet', 'aria-label': `Delete ${p.name}`, onclick: () => removeProfile(base, p) }, 'Delete'));
}

async function duplicate(base, p) {
  try {
    const copy = await api('POST', base + pathID(p.id) + '/duplicate');
    toast(`Copied as “${copy.name}”`);
    await loadProfiles();
  } catch (err) {
    reportError(err);
  }
}

async function removeProfile(base, p) {
  if (!(await confirmDialog({ title: 'Delete profile?', message: `“${p.name}” will be deleted. Episodes made with it keep their copy.`, confirmLabel: 'Delete', danger: true }))) return;
  try {
    await api('DELETE', base + pathID(p.id));
    toast('Profile deleted');
    await loadProfiles();
  } catch (err) {
    reportError(err);
  }
}

// formDialog opens a form and submits it with send, showing its errors.
function formDialog({ id, title, fields, submitLabel, send }) {
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { id, class: 'form-grid', novalidate: true }, fields, err);
  const { close } = openDialog({ title, wide: true, body: form, actions: [{ label: 'Cancel' }, { label: submitLabel, kind: 'primary', submit: id }] });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.hidden = true;
    try {
      await busy(form.ownerDocument.querySelector(`button[form="${id}"]`), send);
      close();
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  });
}

function editEpisodeProfile(p) {
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: '200', value: p ? p.name : '' });
  const desc = h('input', { type: 'text', name: 'description', value: p ? p.description : '' });
  const speakers = select('speaker_config', state.speakerProfiles.map((s) => [s.id, s.name]), p && p.speaker_config, 'Choose speakers');
  const llms = state.llms.map((m) => [m.id, `${m.name} (${m.provider})`]);
  const outline = select('outline_llm', llms, p && p.outline_llm, 'Choose a language model');
  const transcript = select('transcript_llm', llms, p && p.transcript_llm, 'Choose a language model');
  const language = select('language', state.languages.map((l) => [l.code, `${l.name} (${l.code})`]), p && p.language, 'Any (the material’s)');
  const segments = h('input', { type: 'number', name: 'num_segments', min: '3', max: '20', value: String(p ? p.num_segments : 5) });
  const maxTokens = h('input', { type: 'number', name: 'max_tokens', min: '1', value: p && p.max_tokens ? String(p.max_tokens) : '' });
  const briefing = h('textarea', { name: 'default_briefing', rows: '5' });
  briefing.value = p ? p.default_briefing : '';
  formDialog({
    id: 'edit-episode-profile', title: p ? 'Edit episode profile' : 'New episode profile', submitLabel: p ? 'Save' : 'Create',
    fields: [field({ label: 'Name', control: name, required: true }), field({ label: 'Description', control: desc }),
      field({ label: 'Speaker profile', control: speakers, required: true }),
      h('div', { class: 'form-grid-2' }, field({ label: 'Outline model', control: outline }), field({ label: 'Transcript model', control: transcript })),
      h('div', { class: 'form-grid-2' }, field({ label: 'Segments', control: segments, hint: '3 to 20' }), field({ label: 'Max tokens', control: maxTokens, hint: 'Empty: the model’s default' })),
      field({ label: 'Language', control: language }),
      field({ label: 'Default briefing', control: briefing, required: true, hint: 'What the episode should be like; the generate dialog can add to it.' })],
    send: async () => {
      if (!name.value.trim()) throw new Error('Give it a name.');
      if (!speakers.value) throw new Error('Choose a speaker profile.');
      const body = { name: name.value.trim(), description: desc.value, speaker_config: speakers.value, outline_llm: outline.value || null,
        transcript_llm: transcript.value || null, language: language.value || null, default_briefing: briefing.value,
        num_segments: Number(segments.value), max_tokens: maxTokens.value ? Number(maxTokens.value) : null };
      if (p) await api('PUT', '/api/episode-profiles/' + pathID(p.id), body);
      else await api('POST', '/api/episode-profiles', body);
      toast(p ? 'Episode profile saved' : 'Episode profile created');
      await loadProfiles();
    },
  });
}

// voiceList fills a datalist with the voices a text-to-speech model offers.
async function voiceList(list, modelID) {
  list.replaceChildren();
  if (!modelID) return;
  try {
    const res = await api('GET', '/api/podcasts/voices?model_id=' + encodeURIComponent(modelID));
    list.replaceChildren(...res.voices.map((v) => h('option', { value: v })));
  } catch {
    // Unknown voices: the user types one.
  }
}

function editSpeakerProfile(p) {
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: '200', value: p ? p.name : '' });
  const desc = h('input', { type: 'text', name: 'description', value: p ? p.description : '' });
  const tts = select('voice_model', state.tts.map((m) => [m.id, `${m.name} (${m.provider})`]), p && p.voice_model, 'Choose a text-to-speech model');
  const voices = h('datalist', { id: 'voice-options' });
  const rows = h('div', { class: 'stack-sm speakers' });
  const addRow = (s) => {
    const row = h('fieldset', { class: 'card speaker-row' },
      h('legend', {}, 'Speaker'),
      h('div', { class: 'form-grid-2' },
        field({ label: 'Name', control: h('input', { type: 'text', name: 'speaker_name', value: s ? s.name : '' }), required: true }),
        field({ label: 'Voice', control: h('input', { type: 'text', name: 'voice_id', list: 'voice-options', value: s ? s.voice_id : '' }), required: true })),
      field({ label: 'Backstory', control: h('input', { type: 'text', name: 'backstory', value: s ? s.backstory : '' }) }),
      field({ label: 'Personality', control: h('input', { type: 'text', name: 'personality', value: s ? s.personality : '' }) }),
      h('button', { type: 'button', class: 'btn btn-sm btn-quiet', onclick: () => { if (rows.children.length > 1) row.remove(); } }, 'Remove speaker'));
    if (s && s.voice_model) row.dataset.voiceModel = s.voice_model;
    rows.append(row);
  };
  for (const s of p ? p.speakers : [null]) addRow(s);
  const add = h('button', { type: 'button', class: 'btn btn-sm', onclick: () => { if (rows.children.length < 4) addRow(null); else toast('At most four speakers', 'error'); } }, 'Add speaker');
  tts.addEventListener('change', () => voiceList(voices, tts.value));
  voiceList(voices, tts.value);
  formDialog({
    id: 'edit-speaker-profile', title: p ? 'Edit speaker profile' : 'New speaker profile', submitLabel: p ? 'Save' : 'Create',
    fields: [field({ label: 'Name', control: name, required: true }), field({ label: 'Description', control: desc }),
      field({ label: 'Text-to-speech model', control: tts, required: true }), voices, rows, add],
    send: async () => {
      const speakers = [...rows.children].map((row) => ({
        name: row.querySelector('[name="speaker_name"]').value.trim(), voice_id: row.querySelector('[name="voice_id"]').value.trim(),
        backstory: row.querySelector('[name="backstory"]').value, personality: row.querySelector('[name="personality"]').value,
        voice_model: row.dataset.voiceModel || null,
      }));
      const body = { name: name.value.trim(), description: desc.value, voice_model: tts.value || null, speakers };
      if (p) await api('PUT', '/api/speaker-profiles/' + pathID(p.id), body);
      else await api('POST', '/api/speaker-profiles', body);
      toast(p ? 'Speaker profile saved' : 'Speaker profile created');
      await loadProfiles();
    },
  });
}

async function generate() {
  if (state.notebooks.length === 0) state.notebooks = await api('GET', '/api/notebooks');
  const notebook = select('notebook_id', state.notebooks.map((n) => [n.id, n.name]), '', 'Choose a notebook');
  const profile = select('episode_profile', state.episodeProfiles.map((p) => [p.name, p.name]), '', 'Choose an episode profile');
  const speakers = select('speaker_profile', state.speakerProfiles.map((s) => [s.id, s.name]), '', 'The episode profile’s speakers');
  profile.addEventListener('change', () => {
    const p = state.episodeProfiles.find((x) => x.name === profile.value);
    speakers.value = (p && p.speaker_config) || '';
  });
  const name = h('input', { type: 'text', name: 'episode_name', maxlength: '200' });
  const briefing = h('textarea', { name: 'briefing_suffix', rows: '3' });
  formDialog({
    id: 'generate-episode', title: 'Generate episode', submitLabel: 'Generate',
    fields: [field({ label: 'Notebook', control: notebook, required: true, hint: 'Its sources (full text and insights) and notes are the material.' }),
      field({ label: 'Episode profile', control: profile, required: true }), field({ label: 'Speaker profile', control: speakers }),
      field({ label: 'Episode name', control: name, required: true }),
      field({ label: 'Additional briefing', control: briefing, hint: 'Added to the profile’s briefing for this episode.' })],
    send: async () => {
      if (!notebook.value) throw new Error('Choose a notebook.');
      if (!profile.value) throw new Error('Choose an episode profile.');
      if (!name.value.trim()) throw new Error('Give the episode a name.');
      const p = state.episodeProfiles.find((x) => x.name === profile.value);
      await api('POST', '/api/podcasts/generate', { notebook_id: notebook.value, episode_profile: profile.value,
        speaker_profile: speakers.value || (p && p.speaker_config) || '', episode_name: name.value.trim(), briefing_suffix: briefing.value || null });
      toast('Generation started');
      await loadEpisodes();
      poll();
    },
  });
}

async function loadModels() {
  const models = await api('GET', '/api/models');
  state.llms = models.filter((m) => m.type === 'language');
  state.tts = models.filter((m) => m.type === 'text_to_speech');
  state.languages = await api('GET', '/api/languages');
}

async function main() {
  await startPage();
  $('#pod-generate').addEventListener('click', () => generate().catch(reportError));
  $('#eprof-new').addEventListener('click', () => editEpisodeProfile(null));
  $('#sprof-new').addEventListener('click', () => editSpeakerProfile(null));
  await loadModels().catch(reportError);
  await Promise.all([
    loadEpisodes().then(() => { if (state.episodes.some((e) => active.has(e.job_status))) poll(); })
      .catch((err) => show($('#episodes'), h('p', { class: 'form-error' }, err.message))),
    loadProfiles().catch(reportError),
  ]);
}

main().catch(reportError);
