// Saving a plan. The server tells the planner in its settings where a
// saved tour goes (config.save: {method, url, updateUrl} with {id} in the URLs, see
// planSaveTarget in web/tours_pages.go). With it, the planner sends the
// plan with a write token; without it (no write API on this server) it
// shows the coopmap command that stores the plan.
import { el, clear } from './dom.js';
import { cliCommand, tourJSON } from './plan-state.js';
import { token, setToken, authHeaders } from './editor-token.js';
import { problemText } from './editor-api.js';

/**
 * initSave fills box with the way to save: a token form when the server
 * has a write endpoint, else the command. update() redraws it for the
 * plan; status(text, isError) reports.
 */
export function initSave(box, save, { getPlan, status }) {
  const code = el('code', { id: 'plan-cli' });
  const pre = el('pre', { class: 'plan-cli' }, code);
  const copy = el('button', { type: 'button', id: 'plan-copy' }, 'Copy the command');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(code.textContent);
      status('Command copied.');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      status('Select and copy the command (it is selected).');
    }
  });
  clear(box);
  if (save && save.url && save.method) box.append(tokenForm(save, getPlan, status));
  box.append(
    el('p', { class: 'note' }, save ? 'Or store it from the command line:' : 'This server has no write API for tours yet, so store the plan with the coopmap command where the server\'s store and graph are (make run uses ./coopmap.gpkg and ./coopmap.graph):'),
    pre, copy,
  );
  return {
    update(plan) { code.textContent = plan.stops.length >= 2 ? cliCommand(plan) : 'Add at least 2 stops first.'; },
  };
}

// tokenForm saves the plan with a tours:write token: as a new tour (POST
// save.url) or, when the plan edits a tour, over it (PUT save.updateUrl
// with If-Match naming the version read just before). The token is the
// editor's (editor-token.js): kept in this tab's sessionStorage only,
// never in the URL; entered here, it is kept the same way.
function tokenForm(save, getPlan, status) {
  const input = el('input', { type: 'password', id: 'plan-token', autocomplete: 'off' });
  const field = el('p', {}, el('label', { for: 'plan-token' }, 'Write token (tours:write)'), input);
  const showField = () => { field.hidden = Boolean(token()); };
  showField();
  document.addEventListener('coopmap-token', showField);
  const form = el('form', { class: 'plan-save-form' }, field,
    el('button', { type: 'submit', class: 'primary', id: 'plan-save-button' }, 'Save tour'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const plan = getPlan();
    if (plan.stops.length < 2) { status('Add at least 2 stops first.', true); return; }
    if (input.value.trim()) {
      setToken(input.value);
      input.value = '';
    }
    if (!token()) { status('Enter a write token first.', true); input.focus(); return; }
    const body = tourJSON(plan);
    const path = (u) => u.replace('{id}', encodeURIComponent(body.id));
    try {
      let res;
      if (plan.tour && save.updateUrl) {
        const cur = await fetch(path(save.updateUrl), { headers: { Accept: 'application/json' }, cache: 'no-store' });
        if (!cur.ok) { status(`Not saved: ${await problemText(cur)}`, true); return; }
        res = await fetch(path(save.updateUrl), {
          method: 'PUT', body: JSON.stringify(body),
          headers: authHeaders({ 'Content-Type': 'application/json', 'If-Match': cur.headers.get('ETag') || '' }),
        });
      } else {
        res = await fetch(path(save.url), { method: save.method, body: JSON.stringify(body), headers: authHeaders({ 'Content-Type': 'application/json' }) });
      }
      if (!res.ok) {
        status(`Not saved: ${await problemText(res)}`, true);
        return;
      }
      const t = await res.json();
      status(`Saved as /tours/${t.id || body.id}.`);
      const link = el('a', { href: `/tours/${encodeURIComponent(t.id || body.id)}`, id: 'plan-saved-link' }, 'Open the saved tour');
      form.querySelector('#plan-saved-link')?.remove();
      form.append(' ', link);
    } catch (err) {
      status(`Not saved: ${err.message}`, true);
    }
  });
  return form;
}
