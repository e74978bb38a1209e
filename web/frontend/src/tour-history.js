// The history of a tour (loaded when asked for, by tours.js): every kept
// version from GET /tours/{id}/history, newest first, with what it did,
// when, who and which fields it changed; for token holders (the token in
// sessionStorage, editor-token.js) "Revert to version N" (POST
// /tours/{id}/revert?version=N, If-Match the current version) and, when
// the tour is deleted, "Restore" (POST /tours/{id}/restore, If-Match the
// tombstone's version). Data reaches the DOM only as text (dom.js).
import './editor.css';
import { el, append, clear, fmt } from './dom.js';
import { token, authHeaders } from './editor-token.js';
import { problemText, sendJSON } from './editor-api.js';
import { statusLine, button } from './editor-form.js';
import { revisionItem, versionTag } from './history.js';

/** FIELDS name the fields a tour version may change (docs/API.md, "Tours"). */
const FIELDS = { title: 'title', region: 'region', description: 'description', stops: 'stops', legs: 'legs', route: 'route', distance_m: 'distance' };
const fieldLabel = (k) => FIELDS[k] || k;

/** tourLine sums up a version's content: its title, stops and length. */
function tourLine(t = {}) {
  const stops = Array.isArray(t.stops) ? t.stops.length : Number(t.stops) || 0;
  const km = t.routed && t.distance_m ? ` · ${(t.distance_m / 1000).toFixed(1)} km` : ' · not routed';
  return el('p', { class: 'note' }, `“${t.title || t.id || ''}”${t.region ? `, ${t.region}` : ''} · ${fmt(stops)} stops${km}`);
}

/**
 * showTourHistory lists the history of tour id in root. onChanged(tour,
 * action) hears of each revert or restore ("revert", "restore").
 */
export async function showTourHistory(root, id, { onChanged = () => {} } = {}) {
  const enc = encodeURIComponent(id);
  const status = statusLine();
  status.node.setAttribute('tabindex', '-1'); // focused after an action removed the focused button
  const list = el('div', { class: 'tour-history-versions' });
  clear(root).append(status.node, list);
  // Entering or forgetting a token shows or hides the buttons.
  const onToken = () => {
    if (list.isConnected) render();
    else document.removeEventListener('coopmap-token', onToken);
  };
  document.addEventListener('coopmap-token', onToken);
  await render();

  async function render() {
    clear(list).append(el('p', {}, 'Loading the history…'));
    let res;
    try {
      res = await fetch(`/tours/${enc}/history`, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    } catch (e) {
      clear(list).append(el('p', { class: 'editor-status error' }, `The history could not be loaded (${e.message}).`));
      return;
    }
    if (!res.ok) {
      clear(list).append(el('p', { class: 'editor-status error' }, res.status === 404
        ? `There is no tour “${id}” and no history of one: check its id (the last part of its address, /tours/id).`
        : `The history could not be loaded: ${await problemText(res)}`));
      return;
    }
    const doc = await res.json();
    const revs = doc.revisions || [];
    const head = revs[0];
    const deleted = Boolean(head?.deleted);
    const writer = Boolean(token());
    const actions = (rv, i) => {
      if (!writer) return [];
      if (i === 0 && deleted) return [button('Restore this tour', () => act('restore', rv.version), { class: 'primary restore', id: 'tour-restore' })];
      if (i > 0 && !deleted && !rv.deleted) return [button(`Revert to version ${rv.version}`, () => act('revert', rv.version, head.version), { class: 'revert' })];
      return [];
    };
    const items = el('ol', { class: 'history tour-history' },
      revs.map((rv, i) => revisionItem(rv, { label: fieldLabel, details: [tourLine(rv.tour)], actions: actions(rv, i) })));
    const lic = doc.licence || {};
    append(clear(list), [
      deleted ? el('p', { class: 'editor-status error' }, `This tour is deleted (version ${head.version}). Its history is kept, so it can be restored.`) : null,
      writer ? null : el('p', {}, 'Reverting or restoring needs a token with the tours:write scope. ',
        button('Enter a token', async () => (await import('./editor.js')).openSession({ then: () => {} }), { id: 'tour-history-signin' })),
      revs.length ? items : el('p', {}, 'No versions are kept.'),
      el('p', { class: 'note' }, `Tour data: ${lic.name || lic.id || ''}. ${doc.attribution || ''}`)]);
  }

  async function act(action, version, currentVersion) {
    const url = action === 'restore' ? `/tours/${enc}/restore` : `/tours/${enc}/revert?version=${version}`;
    const note = action === 'restore' ? 'restored from its history' : `reverted to version ${version}`;
    const res = await sendJSON(url, 'POST', { note }, authHeaders({ 'If-Match': versionTag(action === 'restore' ? version : currentVersion) }));
    if (!res.ok) {
      const why = await problemText(res);
      if (res.status === 412) await render();
      status.set(`Not ${action === 'restore' ? 'restored' : 'reverted'}: ${why}${res.status === 412 ? ' The history is shown again as it now is.' : ''}`, 'error');
      status.node.focus();
      return;
    }
    const t = await res.json();
    await render();
    status.set(action === 'restore'
      ? `Restored “${t.title}”: it is back, as version ${t.version}. `
      : `Reverted to version ${version}: the tour is now version ${t.version}. `, 'ok');
    status.node.append(el('a', { href: `/tours/${enc}`, id: 'tour-history-open' }, action === 'restore' ? 'Open the tour' : 'Reload the tour page'));
    status.node.focus();
    onChanged(t, action);
  }
}
