// Managing a source from the editor (loaded when "Manage source…" is
// pressed in the editor's token dialog): its details (title, description,
// licence, attribution, owner, origin) changed with PATCH /collections/{c}
// and If-Match naming the source's version, with a conflict view when
// someone else changed it first (412); a file uploaded to
// POST /collections/{c}/import as the source's new contents, checked by a
// dry run first; and the history of its details, with revert. The page
// reloads when the dialog closes after a change, so the map, its layers
// and its attributions show the source as it now is. Data reaches the DOM
// only as text (dom.js).
import { el, append, clear, fmt } from './dom.js';
import { authHeaders } from './editor-token.js';
import { problemText, sendJSON } from './editor-api.js';
import { openDialog, statusLine, button } from './editor-form.js';
import { revisionItem, versionTag } from './history.js';

/** META are the details of a source the form edits, as the API names them. */
const META = [['title', 'Title'], ['description', 'Description'], ['licence', 'Licence'], ['attribution', 'Attribution'],
  ['owner', 'Owner'], ['origin', 'Origin']];
const metaLabel = (k) => (META.find(([f]) => f === k) || [k, k])[1];

/** FORMATS are the formats an upload may be read as; "" detects it from the content. */
const FORMATS = [['', 'Detect from the content'], ['csv', 'CSV'], ['geojson', 'GeoJSON'], ['kml', 'KML'], ['kmz', 'KMZ'], ['gpx', 'GPX']];

/** MAX_PROBLEMS is how many of an import report's problems are listed. */
const MAX_PROBLEMS = 10;

const collectionURL = (id) => `/collections/${encodeURIComponent(id)}`;

/**
 * flat turns a source as the API shows it (PATCH's answer, a version in
 * the history, a collection's source with the collection's description)
 * into the form's strings; the licence is its id.
 */
function flat(s = {}) {
  const m = {};
  for (const [k] of META) m[k] = k === 'licence' ? String(s.licence?.id || '') : String(s[k] ?? '');
  return m;
}

/** fetchSource reads source id's details, version and record count. */
async function fetchSource(id) {
  const res = await fetch(collectionURL(id), { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(await problemText(res));
  const doc = await res.json();
  const s = doc.sources?.find((x) => x.id === id);
  if (!s) throw new Error(`the collection does not describe source ${id}`);
  return { meta: flat({ ...s, description: doc.description }), licence: s.licence || {}, version: s.version, count: s.numberOfFeatures };
}

/** problemLine writes an import problem as "where: field: reason". */
const problemLine = (p) => [p.where, p.field, p.reason].filter(Boolean).join(': ');

/**
 * openSource opens the dialog that manages one of sources ({id, title}),
 * src first when given. The token dialog (editor.js) opens it.
 */
export function openSource({ sources = [], src } = {}) {
  const d = openDialog('Manage a source', { className: 'source-dialog editor-dialog-wide' });
  let changed = false; // whether the page must reload to show the source as it now is
  d.dialog.addEventListener('close', () => { if (changed) window.location.reload(); });
  const done = (text) => {
    changed = true;
    status.set(`${text} The map shows it when you close this dialog (the page reloads).`, 'ok');
  };

  const status = statusLine();
  status.node.setAttribute('tabindex', '-1'); // focused after an action that removed the focused button
  const choose = el('select', { id: 'src-choose' });
  for (const s of sources) choose.append(el('option', { value: s.id }, s.title || s.id));
  if (src) choose.value = src;
  const TABS = [['details', 'Details', details], ['upload', 'Upload a re-import', upload], ['history', 'History', history]];
  let tab = 'details';
  const tabButtons = TABS.map(([key, label]) => button(label, () => show(key), { id: `src-tab-${key}`, 'aria-pressed': 'false', 'aria-controls': 'src-panel' }));
  const panel = el('div', { id: 'src-panel', class: 'source-panel' });
  d.body.append(
    el('p', { class: 'editor-field' }, el('label', { for: choose.id }, 'Source'), choose),
    el('p', { class: 'source-tabs editor-buttons', role: 'group', 'aria-label': 'What to manage' }, tabButtons),
    status.node, panel);
  /** current tells whether source id is still shown on tab key, after an await. */
  const current = (id, key) => choose.value === id && tab === key;
  choose.addEventListener('change', () => { status.set(''); show(tab); });
  show(tab);

  function show(key) {
    tab = key;
    TABS.forEach(([k], i) => tabButtons[i].setAttribute('aria-pressed', String(k === key)));
    TABS.find(([k]) => k === key)[2](choose.value);
  }

  // ---- details ----------------------------------------------------------
  async function details(id) {
    clear(panel).append(el('p', {}, 'Loading the source…'));
    let cur;
    try {
      cur = await fetchSource(id);
    } catch (e) {
      if (current(id, 'details')) clear(panel).append(el('p', { class: 'editor-status error' }, `The source could not be loaded: ${e.message}`));
      return;
    }
    if (!current(id, 'details')) return;
    let base = cur.meta;
    let version = cur.version;
    const inputs = new Map();
    const fields = el('div', { class: 'editor-fields' });
    for (const [k, label] of META) {
      const fid = `src-${k}`;
      const long = k === 'description' || k === 'attribution';
      const input = long
        ? el('textarea', { id: fid, rows: '2', maxlength: '10000' })
        : el('input', { id: fid, type: 'text', maxlength: '2000', autocomplete: 'off', spellcheck: k === 'licence' ? 'false' : null,
          'aria-describedby': k === 'licence' ? 'src-licence-hint' : null });
      inputs.set(k, input);
      fields.append(el('p', { class: `editor-field field-${k}` }, el('label', { for: fid }, label), input,
        k === 'licence' ? el('span', { class: 'note', id: 'src-licence-hint' }, 'A short id such as ODC-By-1.0, ODbL-1.0, OGL-UK-3.0, CC-BY-4.0 or CC0-1.0; the name and link of a licence coopmap knows are filled in.') : null));
    }
    const fill = () => { for (const [k, input] of inputs) input.value = base[k]; };
    fill();
    const note = el('input', { id: 'src-note', type: 'text', maxlength: '500' });
    const form = el('form', { class: 'editor-form source-form', novalidate: true },
      el('p', { class: 'note', id: 'src-version' }, `Version ${version} · ${fmt(cur.count)} records · licence and attribution travel with every download, tile and popup.`),
      fields,
      el('p', { class: 'editor-field' }, el('label', { for: note.id }, 'Note for the history (optional)'), note),
      el('p', { class: 'editor-buttons' }, el('button', { type: 'submit', class: 'primary', id: 'src-save' }, 'Save details')));
    const conflictSection = el('section', { class: 'editor-conflict', hidden: true, 'aria-labelledby': 'src-conflict-h' });
    clear(panel).append(form, conflictSection);
    const back = () => { form.hidden = false; conflictSection.hidden = true; };

    const changes = () => {
      const ch = {};
      for (const [k, input] of inputs) if (input.value.trim() !== base[k]) ch[k] = input.value.trim();
      return ch;
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const ch = changes();
      if (!Object.keys(ch).length) { status.set('Nothing has changed.', 'error'); return; }
      patch(ch, version);
    });

    async function patch(ch, ifVersion) {
      const body = { ...ch, note: note.value.trim() };
      if ('licence' in ch) body.licence = { id: ch.licence };
      status.set('Saving…');
      const res = await sendJSON(collectionURL(id), 'PATCH', body, authHeaders({ 'If-Match': versionTag(ifVersion) }));
      if (res.status === 412) return conflict(ch);
      if (!res.ok) { status.set(`Not saved: ${await problemText(res)}`, 'error'); return; }
      const s = await res.json();
      base = flat(s);
      version = s.version;
      fill();
      note.value = '';
      back();
      const opt = [...choose.options].find((o) => o.value === id);
      if (opt) opt.textContent = s.title || id;
      form.querySelector('#src-version').textContent = `Version ${version} · saved just now.`;
      done(`Saved: ${Object.keys(ch).map(metaLabel).join(', ')}.`);
    }

    // conflict shows the change beside the details someone else saved
    // meanwhile, to save again over them or to drop.
    async function conflict(ch) {
      let now;
      try {
        now = await fetchSource(id);
      } catch (e) {
        status.set(`Someone else changed the source, and it could not be read again: ${e.message}`, 'error');
        return;
      }
      status.set('Someone else changed this source since you opened it: compare, then keep your change and save again, or use theirs.', 'error');
      const rows = Object.entries(ch).map(([k, v]) => el('tr', {},
        el('th', { scope: 'row' }, metaLabel(k)), el('td', {}, base[k]), el('td', { class: 'mine' }, v), el('td', {}, now.meta[k])));
      const also = META.map(([k]) => k).filter((k) => !(k in ch) && now.meta[k] !== base[k]);
      append(clear(conflictSection), [
        el('h3', { id: 'src-conflict-h' }, 'Your change and theirs'),
        el('div', { class: 'table-wrap' }, el('table', { class: 'diff' },
          el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Detail'), el('th', { scope: 'col' }, 'When you opened it'),
            el('th', { scope: 'col' }, 'Your change'), el('th', { scope: 'col' }, `Theirs, now (version ${now.version})`))),
          el('tbody', {}, rows))),
        also.length ? el('p', { class: 'note' }, `They also changed: ${also.map(metaLabel).join(', ')} (kept either way).`) : null,
        el('p', { class: 'editor-buttons' },
          button('Keep mine and save again', () => {
            base = now.meta;
            version = now.version;
            patch(ch, now.version);
          }, { class: 'primary', id: 'src-reapply' }),
          button('Use theirs', () => {
            base = now.meta;
            version = now.version;
            fill();
            back();
            status.set('Your change was dropped: these are the current details.');
            inputs.get('title').focus();
          }, { id: 'src-theirs' }))]);
      form.hidden = true;
      conflictSection.hidden = false;
      conflictSection.querySelector('button').focus();
    }
  }

  // ---- upload -------------------------------------------------------------
  function upload(id) {
    const file = el('input', { id: 'src-file', type: 'file', accept: '.csv,.tsv,.txt,.geojson,.json,.kml,.kmz,.gpx,.xml,.gz,.bz2' });
    const format = el('select', { id: 'src-format' });
    for (const [v, label] of FORMATS) format.append(el('option', { value: v }, label));
    const dry = el('input', { id: 'src-dry', type: 'checkbox' });
    dry.checked = true;
    const go = el('button', { type: 'submit', class: 'primary', id: 'src-upload' }, 'Upload');
    const report = el('div', { class: 'import-report', id: 'src-report' });
    const form = el('form', { class: 'editor-form upload-form', novalidate: true },
      el('p', {}, 'The file becomes the complete contents of this source, all or nothing: records with the same id keep it, records not in the file are removed (their history is kept), and records that cannot be used are left out and listed.'),
      el('p', { class: 'editor-field' }, el('label', { for: file.id }, 'File (CSV, GeoJSON, KML, KMZ or GPX; gzip or bzip2 too)'), file),
      el('p', { class: 'editor-field' }, el('label', { for: format.id }, 'Format'), format),
      el('p', { class: 'editor-check' }, dry, ' ', el('label', { for: dry.id }, 'Dry run first: check the file and show what would change, changing nothing')),
      el('p', { class: 'editor-buttons' }, go));
    clear(panel).append(form, report);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = file.files[0];
      if (!f) { status.set('Choose a file to upload.', 'error'); file.focus(); return; }
      send(f, dry.checked);
    });

    async function send(f, dryRun) {
      const q = new URLSearchParams();
      if (dryRun) q.set('dry_run', 'true');
      if (format.value) q.set('format', format.value);
      const body = new FormData();
      body.append('file', f, f.name);
      status.set(dryRun ? `Checking ${f.name}…` : `Importing ${f.name}…`);
      clear(report);
      go.disabled = true;
      let res;
      try {
        res = await fetch(`${collectionURL(id)}/import${q.toString() ? `?${q}` : ''}`, { method: 'POST', headers: authHeaders({ Accept: 'application/json' }), body, cache: 'no-store' });
      } catch (e) {
        status.set(`The upload failed (${e.message}); nothing has changed.`, 'error');
        return;
      } finally {
        go.disabled = false;
      }
      if (!res.ok) {
        // The field is named even where the detail mentions it in passing.
        const { field } = await res.clone().json().catch(() => ({}));
        const why = await problemText(res);
        const named = field && !why.startsWith(`${field}:`) ? ` (field: ${field}).` : '';
        status.set(`${dryRun ? 'The file cannot be imported' : 'Not imported'}: ${why}${named} Nothing has changed.`, 'error');
        return;
      }
      const rep = await res.json();
      showReport(f, rep);
      if (rep.dry_run) {
        status.set(`Dry run of ${f.name}: nothing has changed. Check the report, then import it for real.`);
      } else if (rep.written) {
        done(`Imported ${f.name}: ${rep.summary || `${fmt(rep.imported)} records`}.`);
      } else {
        status.set(`Imported ${f.name}: the source already had exactly these records, so nothing changed.`, 'ok');
      }
      status.node.focus();
    }

    function showReport(f, rep) {
      const n = (k) => fmt(Number(rep[k]) || 0);
      const counts = el('dl', { class: 'import-counts' });
      for (const [k, label] of [['read', 'Read'], ['imported', rep.dry_run ? 'Would be imported' : 'Imported'], ['skipped', 'Left out'],
        ['added', 'Added'], ['updated', 'Updated'], ['unchanged', 'Unchanged'], ['removed', 'Removed']]) {
        counts.append(el('div', { class: `count-${k}` }, el('dt', {}, label), el('dd', {}, n(k))));
      }
      const problems = rep.problems || [];
      const notes = rep.notes || [];
      append(clear(report), [
        el('h3', {}, rep.dry_run ? `Dry run of ${f.name}: what an import would do` : `Import of ${f.name}`),
        counts,
        problems.length ? el('section', { class: 'import-problems', 'aria-label': 'Records left out' },
          el('h4', {}, `Records left out (${n('skipped')})`),
          el('ul', {}, problems.slice(0, MAX_PROBLEMS).map((p) => el('li', { class: 'import-problem' }, problemLine(p)))),
          rep.skipped > Math.min(problems.length, MAX_PROBLEMS) ? el('p', { class: 'note' }, `and ${fmt(rep.skipped - Math.min(problems.length, MAX_PROBLEMS))} more: import the file with coopmap import --report for the full list.`) : null) : null,
        notes.length ? el('section', { class: 'import-notes', 'aria-label': 'Values dropped' },
          el('h4', {}, `Values dropped from records that were kept (${fmt(rep.note_count || notes.length)})`),
          el('ul', {}, notes.slice(0, MAX_PROBLEMS).map((p) => el('li', {}, problemLine(p))))) : null,
        rep.dry_run ? el('p', { class: 'editor-buttons' }, button(`Import ${f.name} for real`, () => send(f, false), { class: 'primary', id: 'src-import-real' })) : null]);
    }
  }

  // ---- history --------------------------------------------------------------
  async function history(id) {
    clear(panel).append(el('p', {}, 'Loading the history…'));
    let res;
    let cur;
    try {
      [res, cur] = await Promise.all([
        fetch(`${collectionURL(id)}/history`, { headers: { Accept: 'application/json' }, cache: 'no-store' }),
        fetchSource(id)]);
    } catch (e) {
      if (current(id, 'history')) clear(panel).append(el('p', { class: 'editor-status error' }, `The history could not be loaded: ${e.message}`));
      return;
    }
    if (!current(id, 'history')) return;
    if (res.status === 404) {
      clear(panel).append(el('p', { class: 'editor-status error', id: 'src-history-missing' },
        'This server keeps no history of source details (its history endpoint is not there), so there is nothing to list or revert yet.'));
      return;
    }
    if (!res.ok) {
      clear(panel).append(el('p', { class: 'editor-status error' }, `The history could not be loaded: ${await problemText(res)}`));
      return;
    }
    const doc = await res.json();
    const versions = doc.versions || [];
    const list = el('ol', { class: 'history source-history' });
    versions.forEach((v, i) => list.append(revisionItem(v, {
      label: metaLabel,
      details: metaList(v.meta),
      actions: i > 0 ? [button(`Revert to version ${v.version}`, () => revert(v.version), { class: 'revert' })] : [],
    })));
    const lic = doc.licence || {};
    clear(panel).append(
      el('p', {}, 'Every change to the details of this source, newest first. Reverting makes a new version with the details of the one you choose; the records are not touched.'),
      versions.length ? list : el('p', {}, 'No versions are kept yet.'),
      el('p', { class: 'note' }, `Licence: ${lic.name || lic.id || ''}. ${doc.attribution || ''}`));

    async function revert(n) {
      const r = await sendJSON(`${collectionURL(id)}/revert?version=${n}`, 'POST', { note: `reverted to version ${n}` },
        authHeaders({ 'If-Match': versionTag(cur.version) }));
      if (!r.ok) {
        const why = await problemText(r);
        if (r.status === 412) await history(id);
        status.set(r.status === 412 ? `Someone else changed the source meanwhile; the history is shown again as it now is: ${why}` : `Not reverted: ${why}`, 'error');
        status.node.focus();
        return;
      }
      const s = await r.json();
      const opt = [...choose.options].find((o) => o.value === id);
      if (opt && s.title) opt.textContent = s.title;
      await history(id);
      done(`Reverted to version ${n}, as a new version.`);
      status.node.focus();
    }
  }
}

/** metaList shows a version's details as a description list. */
function metaList(meta) {
  const m = flat(meta);
  const dl = el('dl', { class: 'meta-version' });
  for (const [k, label] of META) {
    if (!m[k]) continue;
    dl.append(el('dt', {}, label), el('dd', {}, k === 'licence' && meta?.licence?.name ? `${m[k]} (${meta.licence.name})` : m[k]));
  }
  return dl;
}
