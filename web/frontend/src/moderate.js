// The moderation page (/moderate) for holders of a moderate or admin
// token: per source, the pending suggestions, each with the proposed
// change beside the current record (changed fields, old and new
// position on a small map), to accept (as it is or edited) or reject with
// a reason. Data reaches the DOM only as text (dom.js).
import 'leaflet/dist/leaflet.css';
import './style.css';
import './editor.css';
import './moderate.css';
import L from 'leaflet';
import { el, clear } from './dom.js';
import { token, authHeaders } from './editor-token.js';
import { fetchRecord, problemText, sendJSON } from './editor-api.js';
import { FIELDS, fieldLabel, pointOf, sameGeometry, openDialog, recordForm, statusLine, button } from './editor-form.js';
import { basemapLayer, AttributionControl, pointIcon } from './map.js';

const $ = (id) => document.getElementById(id);
const config = JSON.parse($('coopmap-config').textContent);
const sources = config.sources.filter((s) => s.kind === 'coops' || s.kind === 'features');
const status = { set(text, kind = '') { $('moderate-status').textContent = text; $('moderate-status').className = `editor-status ${kind}`; } };

$('moderate-token').addEventListener('click', async () => (await import('./editor.js')).openSession({}));
document.addEventListener('coopmap-token', () => load());

async function load() {
  const root = clear($('moderate-sources'));
  if (!token()) {
    status.set('Enter a token with the moderate (or admin) scope of a source to see its suggestions.');
    const open = button('Enter a token', async () => (await import('./editor.js')).openSession({}), { class: 'primary', id: 'moderate-signin' });
    root.append(el('p', {}, open));
    return;
  }
  status.set('Loading suggestions…');
  let shown = 0;
  let denied = 0;
  for (const s of sources) {
    const res = await fetch(`/collections/${encodeURIComponent(s.id)}/suggestions?status=pending`, { headers: authHeaders({ Accept: 'application/json' }), cache: 'no-store' });
    if (res.status === 403) { denied++; continue; }
    if (!res.ok) {
      status.set(`Suggestions could not be loaded: ${await problemText(res)}`, 'error');
      return;
    }
    const doc = await res.json();
    shown++;
    const list = el('div', { class: 'suggestions' });
    const section = el('section', { class: 'moderate-source', 'data-source': s.id, 'aria-labelledby': `ms-${s.id}` },
      el('h2', { id: `ms-${s.id}` }, `${s.title || s.id} `, el('span', { class: 'count' }, `(${doc.suggestions.length} pending)`)), list);
    if (!doc.suggestions.length) list.append(el('p', { class: 'note' }, 'No suggestions are waiting.'));
    root.append(section);
    for (const sg of doc.suggestions) list.append(await card(s, sg));
  }
  if (!shown) status.set(denied ? 'This token cannot moderate any source: it needs source:{id}:moderate or admin.' : 'No sources take suggestions yet.', 'error');
  else status.set(denied ? `Showing the ${shown} source(s) this token moderates.` : '');
}

const text = (v) => (v == null ? '' : String(v));
const where = (g) => { const p = pointOf(g); return p ? `${p[1].toFixed(6)}, ${p[0].toFixed(6)}` : g ? g.type : '—'; };

/** card shows one suggestion: what it changes, and the decisions. */
async function card(s, sg) {
  const proposed = sg.proposed;
  let current = null;
  let etag = '';
  if (sg.feature_id) {
    try {
      ({ feature: current, etag } = await fetchRecord(s.id, sg.feature_id));
    } catch { /* deleted since: shown as such */ }
  }
  const pp = proposed.properties || {};
  const cp = current?.properties || {};
  const rows = [];
  for (const [k] of FIELDS) {
    if (text(pp[k]) === text(cp[k])) continue;
    rows.push(el('tr', {}, el('th', { scope: 'row' }, fieldLabel(k)), el('td', { class: 'old' }, text(cp[k])), el('td', { class: 'new' }, text(pp[k]))));
  }
  const moved = !sameGeometry(proposed.geometry, current?.geometry);
  if (moved) rows.push(el('tr', {}, el('th', { scope: 'row' }, 'Position'), el('td', { class: 'old' }, current ? where(current.geometry) : '—'), el('td', { class: 'new' }, where(proposed.geometry))));
  const title = sg.feature_id ? `Correction to ${cp.name || pp.name || sg.feature_id}` : `New record: ${pp.name || '(no name)'}`;
  const result = statusLine();
  const reason = el('input', { type: 'text', id: `reason-${sg.id}`, maxlength: '500' });
  const box = el('article', { class: 'suggestion', 'data-id': sg.id, 'aria-labelledby': `sg-h-${sg.id}` },
    el('h3', { id: `sg-h-${sg.id}` }, title),
    el('p', { class: 'note' }, `Suggestion ${sg.id}, ${new Date(sg.created_at).toLocaleString('en-GB')}`,
      sg.name ? ` · by ${sg.name}` : ' · anonymous', sg.contact ? ` · contact: ${sg.contact}` : '',
      sg.feature_id && current && sg.base_version && cp.version !== sg.base_version ? ` · the record has changed since (version ${sg.base_version} → ${cp.version})` : ''),
    sg.note ? el('blockquote', { class: 'suggestion-note' }, sg.note) : null,
    sg.feature_id && !current ? el('p', { class: 'editor-status error' }, 'The record no longer exists.') : null,
    el('div', { class: 'suggestion-body' },
      el('div', { class: 'table-wrap' }, el('table', { class: 'diff' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Field'), el('th', { scope: 'col' }, sg.feature_id ? 'Now' : '—'), el('th', { scope: 'col' }, 'Proposed'))),
        el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: '3' }, 'No difference from the current record.'))))),
      positionMap(current?.geometry, proposed.geometry)),
    el('p', { class: 'editor-buttons' },
      button('Accept', () => decide('accept', {}), { class: 'primary accept' }),
      button('Edit and accept…', () => editAccept(), { class: 'edit-accept' }),
      el('label', { for: reason.id, class: 'reason-label' }, 'Reason'), reason,
      button('Reject', () => decide('reject', { reason: reason.value.trim() }), { class: 'danger reject' })),
    result.node);

  async function decide(action, body, headers = {}) {
    const res = await sendJSON(`/collections/${encodeURIComponent(s.id)}/suggestions/${sg.id}/${action}`, 'POST', body, authHeaders(headers));
    if (res.status === 412) { result.set('The record has changed since the suggestion was made: reload the page to compare again.', 'error'); return false; }
    if (!res.ok) { result.set(`Not ${action}ed: ${await problemText(res)}`, 'error'); return false; }
    const out = await res.json();
    box.classList.add('decided');
    for (const b of box.querySelectorAll('button, input')) b.disabled = true;
    result.set(action === 'accept' ? `Accepted: ${out.feature.id} is now version ${out.feature.properties.version}.` : 'Rejected.', 'ok');
    return true;
  }

  function editAccept() {
    const d = openDialog(`Edit, then accept: ${title}`, { className: 'editor-dialog-wide' });
    const form = recordForm(proposed, { basemap: config.basemap, movable: 'drag', idPrefix: `ma-${sg.id}` });
    const st = statusLine();
    const f = el('form', { novalidate: true }, form.node,
      el('p', { class: 'editor-buttons' }, el('button', { type: 'submit', class: 'primary' }, 'Accept as edited'), button('Cancel', d.close)), st.node);
    d.body.append(f);
    form.mount();
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const props = { ...pp, ...form.values() };
      for (const k of Object.keys(props)) if (props[k] === '' || k === 'version' || k === 'updated') delete props[k];
      const ok = await decide('accept', { feature: { type: 'Feature', geometry: form.geometry(), properties: props }, note: 'edited by the moderator' },
        sg.feature_id && etag && sg.base_version === cp.version ? { 'If-Match': etag } : {});
      if (ok) d.close();
      else st.set(result.node.textContent, 'error');
    });
  }
  return box;
}

/** positionMap shows the old (grey) and proposed (green) positions. */
function positionMap(before, after) {
  const a = pointOf(after);
  if (!a) return null;
  const b = pointOf(before);
  const box = el('div', { class: 'moderate-map', role: 'img', 'aria-label': b ? `Old position ${where(before)}, proposed ${where(after)}` : `Proposed position ${where(after)}` });
  requestAnimationFrame(() => {
    const map = L.map(box, { attributionControl: false, scrollWheelZoom: false, zoomControl: true });
    const attribution = new AttributionControl().addTo(map);
    const layer = basemapLayer(config.basemap);
    if (layer) { layer.addTo(map); attribution.set('basemap', { short: config.basemap.attribution, url: config.basemap.attributionUrl }); }
    const pts = [[a[1], a[0]]];
    L.marker(pts[0], { icon: pointIcon('selected'), keyboard: false, title: 'Proposed' }).addTo(map);
    if (b && (b[0] !== a[0] || b[1] !== a[1])) {
      pts.push([b[1], b[0]]);
      L.marker(pts[1], { icon: pointIcon('old'), keyboard: false, title: 'Now' }).addTo(map);
      L.polyline(pts, { color: '#6b7280', dashArray: '4 4' }).addTo(map);
    }
    if (pts.length > 1) map.fitBounds(pts, { padding: [30, 30], maxZoom: 18 });
    else map.setView(pts[0], 16);
  });
  return el('figure', { class: 'moderate-where' }, box,
    el('figcaption', { class: 'note' }, b ? 'Orange: the proposed position; grey: where it is now.' : 'The proposed position.'));
}

load();
