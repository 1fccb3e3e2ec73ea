// settings.js: the Settings page (/ui/settings): three tabs (API keys,
// Models, Security) that share one picture of the server's state.

import { api } from './api.js';
import { $, h, show } from './dom.js';
import { renderKeys, wireKeys } from './settings-keys.js';
import { renderModels } from './settings-models.js';
import { renderSecurity } from './settings-security.js';
import { reportError, startPage } from './shell.js';

const TABS = ['keys', 'models', 'security'];

/**
 * ctx is what the sections share: the loaded state, test results made on
 * this page, the element to focus after the next render, and refresh().
 */
const ctx = {
  state: { providers: [], credentials: [], models: [], defaults: {}, status: null, envStatus: {} },
  tests: new Map(),
  modelTests: new Map(),
  focusKey: null,
  auth: null,
  refresh,
};

/**
 * selectTab shows the tab the URL's fragment names. The Security tab is
 * loaded each time it is shown, so its audit log and counts are current.
 */
function selectTab() {
  const want = location.hash.slice(1);
  const tab = TABS.includes(want) ? want : 'keys';
  for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.dataset.panel !== tab;
  for (const link of document.querySelectorAll('[data-tab]')) {
    if (link.dataset.tab === tab) link.setAttribute('aria-current', 'true');
    else link.removeAttribute('aria-current');
  }
  if (tab === 'security' && ctx.auth) renderSecurity(ctx).catch(reportError);
}

async function load() {
  const [providers, credentials, models, defaults, status, envStatus] = await Promise.all([
    api('GET', '/api/providers'),
    api('GET', '/api/credentials'),
    api('GET', '/api/models'),
    api('GET', '/api/models/defaults'),
    api('GET', '/api/credentials/status'),
    api('GET', '/api/credentials/env-status'),
  ]);
  Object.assign(ctx.state, { providers, credentials, models, defaults, status, envStatus });
}

/** render redraws the data sections and puts the focus back where it was. */
function render() {
  const active = document.activeElement;
  const key = ctx.focusKey || (active && active.dataset ? active.dataset.key : null);
  ctx.focusKey = null;
  renderKeys(ctx);
  renderModels(ctx);
  if (key) {
    const el = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (el && !document.querySelector('dialog[open]')) el.focus();
  }
}

/** refresh reloads everything the data sections show and redraws them. */
async function refresh() {
  try {
    await load();
  } catch (err) {
    reportError(err);
    return;
  }
  render();
}

async function main() {
  selectTab();
  window.addEventListener('hashchange', selectTab);
  ctx.auth = await startPage();
  wireKeys(ctx);
  try {
    await load();
    render();
  } catch (err) {
    const msg = h('p', { class: 'form-error', role: 'alert' }, `Could not load the settings: ${err.message}`);
    show($('#providers'), msg);
    show($('#defaults-card'), msg.cloneNode(true));
    show($('#models-card'));
    reportError(err);
  }
  selectTab();
}

main().catch(reportError);
