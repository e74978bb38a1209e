// The web editor for token holders, loaded only when someone opens it:
// the token dialog (the token stays in sessionStorage, editor-token.js),
// editing a record's fields and moving it with Leaflet-Geoman, adding
// and deleting (tombstoning) records, saving with If-Match, a conflict
// view when someone else saved first (412), and the record's history
// with revert buttons. Data reaches the DOM only as text (dom.js).
import './editor-geoman.js';
import '@geoman-io/leaflet-geoman-free';
import '@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css';
import { el, append, clear } from './dom.js';
import { token, setToken, authHeaders } from './editor-token.js';
import { fetchRecord, itemURL, problemText, sendJSON } from './editor-api.js';
import { openDialog, recordForm, statusLine, describeChange, fieldLabel, pointOf, button } from './editor-form.js';
import { openDeleted } from './editor-deleted.js';

const MERGE_PATCH = 'application/merge-patch+json';

/**
 * openSession is the editor's token dialog: enter a token (kept for this
 * tab only) or forget it; with one, links to adding a record (onAdd, on
 * the map), to the deleted records of sources (restorable, with
 * onChanged hearing of each restore), to managing a source
 * (editor-source.js) and to the moderation page.
 */
export function openSession({ onAdd, then, sources = [], onChanged } = {}) {
  const d = openDialog('Editor access', { className: 'session-dialog' });
  const render = () => {
    clear(d.body);
    if (!token()) {
      const input = el('input', { id: 'editor-token', type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'coopmap_…' });
      const f = el('form', { class: 'token-form' },
        el('p', {}, 'Owners and moderators of a source edit it with an API token (coopmap token create). It is kept only in this tab and sent only in the Authorization header.'),
        el('p', { class: 'editor-field' }, el('label', { for: input.id }, 'API token'), input),
        el('p', { class: 'editor-buttons' }, el('button', { type: 'submit', class: 'primary' }, 'Use this token')));
      f.addEventListener('submit', (e) => {
        e.preventDefault();
        if (!input.value.trim()) { input.focus(); return; }
        setToken(input.value);
        input.value = '';
        if (then) { d.close(); then(); return; }
        render();
      });
      d.body.append(f);
      input.focus();
      return;
    }
    d.body.append(
      el('p', {}, 'A token is set for this tab: record pages and map popups have an Edit button. It is forgotten when the tab closes.'),
      el('p', { class: 'editor-buttons' },
        onAdd ? button('Add a record (click the map)', () => { d.close(); onAdd(); }, { class: 'primary', id: 'editor-add' }) : null,
        sources.length ? button('Deleted records', () => { d.close(); openDeleted({ sources, onChanged }); }, { id: 'editor-deleted' }) : null,
        sources.length ? button('Manage source…', async () => { d.close(); (await import('./editor-source.js')).openSource({ sources }); }, { id: 'editor-source' }) : null,
        el('a', { class: 'button', href: '/moderate' }, 'Moderate suggestions'),
        button('Forget token', () => { setToken(''); render(); }, { id: 'editor-forget' })));
  };
  render();
}

/** withToken runs fn now when a token is set, else after one is entered. */
function withToken(fn) {
  if (token()) return fn();
  return openSession({ then: fn });
}

/**
 * openEditor edits record id of source src; openEditor with lonlat and
 * no id adds a record there, in one of sources. onChanged(feature,
 * {deleted}) hears of every saved change.
 */
export function openEditor(opts) {
  return withToken(() => editorDialog(opts));
}

async function editorDialog({ src, id, lonlat, sources = [], basemap, onChanged = () => {} }) {
  const d = openDialog(id ? 'Edit record' : 'Add a record', { className: 'editor-dialog-wide' });
  const status = statusLine();
  d.body.append(status.node);
  let etag = '';
  let feature;
  if (id) {
    status.set('Loading the record…');
    try {
      ({ feature, etag } = await fetchRecord(src, id));
    } catch (e) {
      status.set(`The record could not be loaded: ${e.message}`, 'error');
      return;
    }
    d.heading.textContent = `Edit ${feature.properties?.name || id}`;
    status.set('');
  } else {
    feature = { type: 'Feature', geometry: { type: 'Point', coordinates: lonlat }, properties: {} };
  }
  const form = recordForm(feature, { basemap, movable: 'geoman', idPrefix: 'ed' });
  const note = el('input', { id: 'ed-note', type: 'text', maxlength: '500' });
  const choose = el('select', { id: 'ed-source' });
  for (const s of sources) choose.append(el('option', { value: s.id }, s.title || s.id));
  if (src) choose.value = src;
  const where = el('p', { class: 'editor-field' }, el('label', { for: choose.id }, 'Source'), choose);
  const save = el('button', { type: 'submit', class: 'primary', id: 'ed-save' }, id ? 'Save' : 'Add record');
  const del = button('Delete…', () => confirmDelete(), { id: 'ed-delete', class: 'danger' });
  const hist = button('History', () => showHistory(), { id: 'ed-history' });
  const editSection = el('form', { class: 'editor-form', novalidate: true },
    id ? null : where, form.node,
    el('p', { class: 'editor-field' }, el('label', { for: note.id }, 'Note for the history (optional)'), note),
    el('p', { class: 'editor-buttons' }, save, id ? del : null, id ? hist : null, button('Close', d.close)));
  const confirmSection = el('section', { class: 'editor-confirm', hidden: true });
  const conflictSection = el('section', { class: 'editor-conflict', hidden: true, 'aria-labelledby': 'ed-conflict-h' });
  const historySection = el('section', { class: 'editor-history', hidden: true, 'aria-labelledby': 'ed-history-h' });
  d.body.append(editSection, confirmSection, conflictSection, historySection);
  form.mount();

  const show = (section) => {
    for (const s of [editSection, confirmSection, conflictSection, historySection]) s.hidden = s !== section;
  };
  const saved = (f, res, msg, extra = {}) => {
    feature = f;
    etag = res.headers.get('ETag') || etag;
    form.set(f);
    note.value = '';
    d.heading.textContent = `Edit ${f.properties?.name || f.id}`;
    status.set(msg, 'ok');
    onChanged(f, extra);
  };

  editSection.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!id) return add();
    const ch = form.changes();
    if (!Object.keys(ch.properties).length && !ch.geometry) { status.set('Nothing has changed.', 'error'); return; }
    await patch(ch, etag);
  });

  async function add() {
    const props = Object.fromEntries(Object.entries(form.values()).filter(([, v]) => v));
    if (!props.name) { status.set('Give the record a name.', 'error'); return; }
    src = choose.value;
    const res = await sendJSON(`/collections/${encodeURIComponent(src)}/items`, 'POST',
      { type: 'Feature', geometry: form.geometry(), properties: props, note: note.value.trim() }, authHeaders());
    if (!res.ok) { status.set(`Not added: ${await problemText(res)}`, 'error'); return; }
    const f = await res.json();
    id = f.id;
    where.remove();
    save.textContent = 'Save';
    save.after(del, hist);
    saved(f, res, `Added as ${f.id}.`, { created: true });
  }

  async function patch(ch, ifMatch) {
    const body = { properties: ch.properties, note: note.value.trim() };
    if (ch.geometry) body.geometry = ch.geometry;
    status.set('Saving…');
    const res = await sendJSON(itemURL(src, id), 'PATCH', body, authHeaders({ 'If-Match': ifMatch }), MERGE_PATCH);
    if (res.status === 412) return conflict(ch);
    if (!res.ok) { status.set(`Not saved: ${await problemText(res)}`, 'error'); return; }
    show(editSection);
    saved(await res.json(), res, `Saved (${describeChange(ch)}).`);
  }

  // conflict shows the change beside the version someone else saved,
  // to apply again on top of it or to drop.
  async function conflict(ch) {
    let cur;
    try {
      cur = await fetchRecord(src, id);
    } catch (e) {
      status.set(`Someone else changed the record, and it could not be read again: ${e.message}`, 'error');
      return;
    }
    status.set('Someone else saved this record since you opened it: compare, then re-apply your change or discard it.', 'error');
    const was = feature.properties || {};
    const now = cur.feature.properties || {};
    const rows = Object.entries(ch.properties).map(([k, v]) => el('tr', {},
      el('th', { scope: 'row' }, fieldLabel(k)), el('td', {}, text(was[k])), el('td', { class: 'mine' }, text(v)), el('td', {}, text(now[k]))));
    if (ch.geometry) {
      rows.push(el('tr', {}, el('th', { scope: 'row' }, 'Position'), el('td', {}, where6(feature.geometry)),
        el('td', { class: 'mine' }, where6(ch.geometry)), el('td', {}, where6(cur.feature.geometry))));
    }
    const changedBy = Object.keys(now).filter((k) => !['version', 'updated'].includes(k) && text(now[k]) !== text(was[k]) && !(k in ch.properties));
    append(clear(conflictSection), [
      el('h3', { id: 'ed-conflict-h' }, 'Your change and the current version'),
      el('div', { class: 'table-wrap' }, el('table', { class: 'diff' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Field'), el('th', { scope: 'col' }, 'When you opened it'),
          el('th', { scope: 'col' }, 'Your change'), el('th', { scope: 'col' }, `Now (version ${now.version})`))),
        el('tbody', {}, rows))),
      changedBy.length ? el('p', { class: 'note' }, `They also changed: ${changedBy.map(fieldLabel).join(', ')} (kept either way).`) : null,
      el('p', { class: 'editor-buttons' },
        button('Re-apply my change', () => { feature = cur.feature; patch(ch, cur.etag); }, { class: 'primary', id: 'ed-reapply' }),
        button('Discard my change', () => {
          feature = cur.feature;
          etag = cur.etag;
          form.set(cur.feature);
          show(editSection);
          status.set('Your change was discarded; this is the current version.');
        }, { id: 'ed-discard' }))]);
    show(conflictSection);
    conflictSection.querySelector('button').focus();
  }

  function confirmDelete() {
    clear(confirmSection).append(
      el('p', { class: 'editor-status error' }, `Delete ${feature.properties?.name || id}? It leaves the map and the API, and stays in the history, from where it can be restored.`),
      el('p', { class: 'editor-buttons' },
        button('Yes, delete it', async () => {
          const res = await fetch(itemURL(src, id), { method: 'DELETE', headers: authHeaders({ 'If-Match': etag }) });
          if (res.status === 412) { show(editSection); status.set('Someone else changed the record since you opened it: check it before deleting.', 'error'); return; }
          if (!res.ok) { show(editSection); status.set(`Not deleted: ${await problemText(res)}`, 'error'); return; }
          const f = await res.json();
          etag = res.headers.get('ETag') || etag;
          clear(confirmSection).append(el('p', { class: 'editor-status ok', role: 'status' }, `Deleted ${f.properties?.name || id}. Its history keeps every version.`),
            el('p', { class: 'editor-buttons' }, button('History', () => showHistory()), button('Close', d.close)));
          onChanged(f, { deleted: true });
        }, { class: 'danger', id: 'ed-delete-yes' }),
        button('Keep it', () => show(editSection), { id: 'ed-delete-no' })));
    show(confirmSection);
    confirmSection.querySelector('button').focus();
  }

  async function showHistory() {
    clear(historySection).append(el('h3', { id: 'ed-history-h' }, 'History'), el('p', {}, 'Loading…'));
    show(historySection);
    const res = await fetch(`${itemURL(src, id)}/history`, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) { historySection.lastChild.textContent = `The history could not be loaded: ${await problemText(res)}`; return; }
    const doc = await res.json();
    const list = el('ol', { class: 'history' });
    doc.revisions.forEach((rv, i) => {
      const what = rv.op === 'create' ? 'created' : rv.deleted ? 'deleted' : `${rv.op}${rv.fields?.length ? `: ${rv.fields.map(fieldLabel).join(', ')}` : ''}`;
      const item = el('li', { class: 'revision', 'data-version': rv.version },
        el('p', {}, el('strong', {}, `Version ${rv.version}`), ` · ${new Date(rv.at).toLocaleString('en-GB')} · ${rv.by ? `by ${rv.by}` : 'by import'} · ${what}`),
        rv.note ? el('p', { class: 'note' }, rv.note) : null,
        el('p', { class: 'note' }, `Name: ${rv.feature?.properties?.name || '—'} · Position: ${where6(rv.feature?.geometry)}`));
      if (i > 0 && !rv.deleted) {
        item.append(button(`Revert to version ${rv.version}`, () => revert(rv.version), { class: 'revert' }));
      }
      list.append(item);
    });
    clear(historySection).append(el('h3', { id: 'ed-history-h' }, 'History'), list,
      el('p', { class: 'editor-buttons' }, button('Back to the record', () => show(editSection), { id: 'ed-history-back' })));
  }

  async function revert(version) {
    const res = await sendJSON(`${itemURL(src, id)}/revert?version=${version}`, 'POST', { note: `reverted to version ${version}` }, authHeaders({ 'If-Match': etag }));
    if (!res.ok) { status.set(`Not reverted: ${await problemText(res)}`, 'error'); return; }
    saved(await res.json(), res, `Reverted to version ${version} (a new version).`);
    showHistory();
  }
}

const text = (v) => (v == null ? '' : String(v));
/** where6 writes a geometry's position for people: "lat, lon" or its type. */
function where6(g) {
  const p = pointOf(g);
  if (p) return `${p[1].toFixed(6)}, ${p[0].toFixed(6)}`;
  return g ? g.type : '—';
}
