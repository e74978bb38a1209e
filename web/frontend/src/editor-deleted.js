// The editor's list of deleted records: for each source the token may
// write, its tombstones (GET /collections/{c}/deleted, newest first) with
// a Restore button that brings the record back as a new version (POST
// …/restore with If-Match naming the tombstone's version). Data reaches
// the DOM only as text (dom.js).
import { el, clear } from './dom.js';
import { authHeaders } from './editor-token.js';
import { itemURL, problemText, sendJSON } from './editor-api.js';
import { openDialog, statusLine, button } from './editor-form.js';

/** tombstoneTag is the If-Match of a restore: the tombstone's version. */
export const tombstoneTag = (version) => `W/"v${Number(version)}"`;

/**
 * openDeleted lists the deleted records of sources ({id, title}) that the
 * token may write; onChanged(feature, {restored}) hears of each restore.
 */
export async function openDeleted({ sources = [], onChanged = () => {} } = {}) {
  const d = openDialog('Deleted records', { className: 'deleted-dialog' });
  const status = statusLine();
  const lists = el('div', { class: 'deleted-lists' }, el('p', {}, 'Loading…'));
  d.body.append(status.node, lists);
  const sections = [];
  for (const s of sources) {
    const res = await fetch(`/collections/${encodeURIComponent(s.id)}/deleted?limit=100`,
      { headers: authHeaders({ Accept: 'application/json' }), cache: 'no-store' });
    if (res.status === 403 || res.status === 404) continue; // not this token's to restore
    if (!res.ok) {
      sections.push(el('p', { class: 'editor-status error' }, `${s.title || s.id}: ${await problemText(res)}`));
      continue;
    }
    const doc = await res.json();
    if (!doc.deleted?.length) continue;
    const list = el('ul', { class: 'deleted-records', 'data-source': s.id });
    for (const rv of doc.deleted) list.append(row(s, rv));
    sections.push(el('section', { class: 'deleted-source' }, el('h3', {}, s.title || s.id), list));
  }
  clear(lists).append(...(sections.length ? sections : [el('p', {}, 'No deleted records in the sources this token may edit.')]));
  lists.append(el('p', { class: 'editor-buttons' }, button('Close', d.close)));

  function row(s, rv) {
    const f = rv.feature || {};
    const name = f.properties?.name || f.id || '';
    const when = rv.at ? new Date(rv.at).toLocaleString('en-GB') : '';
    const restore = button(`Restore ${name}`, () => restoreOne(), { class: 'restore', 'data-id': f.id });
    const li = el('li', { class: 'deleted-record', 'data-id': f.id },
      el('p', {}, el('strong', {}, name), ` · ${f.id} · deleted ${when}${rv.by ? ` by ${rv.by}` : ''}`),
      rv.note ? el('p', { class: 'note' }, rv.note) : null,
      el('p', { class: 'editor-buttons' }, restore));
    async function restoreOne() {
      restore.disabled = true;
      const res = await sendJSON(`${itemURL(s.id, f.id)}/restore`, 'POST', { note: 'restored in the editor' },
        authHeaders({ 'If-Match': tombstoneTag(rv.version) }));
      if (!res.ok) {
        restore.disabled = false;
        status.set(`${name} was not restored: ${await problemText(res)}`, 'error');
        return;
      }
      const back = await res.json();
      li.remove();
      status.set(`Restored ${name}: it is back on the map and in the API, as a new version.`, 'ok');
      onChanged(back, { restored: true });
    }
    return li;
  }
}
