// The web map: co-ops from /map/points clustered in the browser with
// supercluster (collections too large for that are drawn from vector
// tiles by tiles.js, loaded on demand), faceted filters with live counts, search, a list view as
// the map's accessible peer, layers, downloads and an embed dialog. All of
// it is kept in the URL (state.js). Data reaches the DOM only as text or
// attribute values (dom.js).
import 'leaflet/dist/leaflet.css';
import './style.css';
import L from 'leaflet';
import Supercluster from 'supercluster';
import { el, append, clear, safeHref, externalLink, recordPath, fmt } from './dom.js';
import { readState, stateURL, writeState } from './state.js';
import { basemapLayer, AttributionControl, pointIcon, clusterIcon } from './map.js';
import { initSearch } from './search.js';
import { initList } from './list.js';
import { initEditing } from './editor-entry.js';
import { readPositions, splitDoc, matches } from './points.js';

performance.mark('coopmap-start');
const $ = (id) => document.getElementById(id);
const config = JSON.parse($('coopmap-config').textContent);
const state = readState();
const sources = new Map(config.sources.map((s) => [s.id, s]));
const COLORS = ['#0b6e4f', '#c2410c', '#1d4ed8', '#7e22ce', '#a16207', '#be123c'];
sources.forEach((s, id) => { s.color = COLORS[[...sources.keys()].indexOf(id) % COLORS.length]; });

if (state.embed) document.body.classList.add('embed');
// The bike tours, beside the map's tools.
document.querySelector('.top .tools')?.append(el('a', { class: 'button', href: '/tours' }, 'Tours'));

// ---- the map ---------------------------------------------------------
const map = L.map('map', { attributionControl: false, zoomControl: true, minZoom: 2, worldCopyJump: true });
const attribution = new AttributionControl().addTo(map);
const basemap = basemapLayer(config.basemap);
if (basemap) {
  basemap.addTo(map);
  attribution.set('basemap', { short: config.basemap.attribution, url: config.basemap.attributionUrl });
}
map.createPane('coops').style.zIndex = 610;
// Collections drawn from vector tiles, above overlays' shapes and under
// the markers. Their canvas takes no pointer events: clicks reach the map,
// which asks the layer what is there (tiles.js pick).
const tiledPane = map.createPane('tiled');
tiledPane.style.zIndex = 450;
tiledPane.style.pointerEvents = 'none';
if (state.map) map.setView([state.map.lat, state.map.lon], state.map.z);
else map.fitBounds([[49.9, -7.6], [58.7, 1.8]]); // Great Britain

if (state.embed) {
  const Larger = L.Control.extend({
    options: { position: 'topright' },
    onAdd: () => el('a', { class: 'leaflet-control larger', href: stateURL(state, { embed: false }), target: '_blank', rel: 'noopener' }, 'View larger map ↗'),
  });
  new Larger().addTo(map);
}

// ---- records -----------------------------------------------------------
/** records holds every loaded point: {i, src, id, name, postcode, lon, lat, sector, type}. */
const records = [];
const byId = new Map();
let filtered = [];
// Above CLUSTER_MAX_ZOOM every record is its own marker, except those at
// one spot (many share a postcode centroid): their cluster lists them.
const CLUSTER_MAX_ZOOM = 15;
// The clusters come from two indexes, each a whole clustering of its
// zooms: one made from the records themselves for the zooms up to
// COARSE_MAX_ZOOM (a few levels, quick to build, so the first view of
// Great Britain is drawn sooner), one for the zooms above, built after
// the first frame or when first needed. Zooming across the boundary
// re-clusters, as every zoom step does.
const COARSE_MAX_ZOOM = 7;
const indexes = [
  new Supercluster({ radius: 80, maxZoom: COARSE_MAX_ZOOM, minPoints: 3 }),
  new Supercluster({ radius: 80, minZoom: COARSE_MAX_ZOOM + 1, maxZoom: CLUSTER_MAX_ZOOM, minPoints: 3 }),
];
const stale = [true, true];
let points = []; // the filtered records, as the indexes take them
const markers = L.layerGroup([], { pane: 'coops' }).addTo(map);

/**
 * addPositions adds a source's records from its positions (points.js)
 * and returns the index of the first; their ids, names and postcodes
 * come after, from addLabels.
 */
function addPositions(p) {
  const { meta, count, coords, sector, orgType } = p;
  const first = records.length;
  for (let k = 0; k < count; k++) {
    records.push({
      i: records.length, src: meta.collection, id: '', name: '', postcode: '',
      lon: coords[2 * k] / 1e5, lat: coords[2 * k + 1] / 1e5,
      sector: sector[k] >= 0 ? meta.sectors[sector[k]] ?? '' : '',
      type: orgType[k] >= 0 ? meta.orgTypes[orgType[k]] ?? '' : '',
    });
  }
  return first;
}

/** addLabels names the records addPositions added from first on. */
function addLabels(first, l) {
  for (let k = 0; k < l.count; k++) {
    const r = records[first + k];
    r.id = l.ids[k];
    r.name = l.names[k];
    r.postcode = l.postcodes[k];
    byId.set(r.id, r);
  }
}

// ---- filters -------------------------------------------------------------
const FACETS = [
  { key: 'sector', label: 'Sector', value: (r) => r.sector || 'Not given' },
  { key: 'type', label: 'Organisation type', value: (r) => r.type || 'Not given' },
  { key: 'source', label: 'Source', value: (r) => r.src, text: (v) => sources.get(v)?.title || v },
];
const facetBoxes = new Map(); // facet key -> Map(value -> {input, count})

function passes(r, except) {
  for (const f of FACETS) {
    if (f.key === except) continue;
    const want = state.filters[f.key];
    if (want.size && !want.has(f.value(r))) return false;
  }
  return true;
}

function buildFacets() {
  const root = clear($('facets'));
  for (const f of FACETS) {
    const totals = new Map();
    for (const r of records) totals.set(f.value(r), (totals.get(f.value(r)) || 0) + 1);
    const values = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || a.localeCompare(b));
    const boxes = new Map();
    const list = el('ul', { class: 'facet-values' });
    values.forEach((v, n) => {
      const id = `f-${f.key}-${n}`;
      const input = el('input', { type: 'checkbox', id, value: v });
      input.checked = state.filters[f.key].has(v);
      input.addEventListener('change', () => {
        if (input.checked) state.filters[f.key].add(v);
        else state.filters[f.key].delete(v);
        update();
      });
      const count = el('span', { class: 'facet-count' });
      boxes.set(v, { input, count });
      list.append(el('li', {}, input, el('label', { for: id }, f.text ? f.text(v) : v, ' ', count)));
    });
    facetBoxes.set(f.key, boxes);
    root.append(el('fieldset', { class: 'facet', 'data-facet': f.key }, el('legend', {}, f.label), list));
  }
}

function updateCounts() {
  for (const f of FACETS) {
    const counts = new Map();
    for (const r of records) if (passes(r, f.key)) counts.set(f.value(r), (counts.get(f.value(r)) || 0) + 1);
    for (const [v, { input, count }] of facetBoxes.get(f.key)) {
      const c = counts.get(v) || 0;
      count.textContent = `(${fmt(c)})`;
      input.checked = state.filters[f.key].has(v);
      input.parentElement.classList.toggle('empty', c === 0);
    }
  }
  const active = FACETS.reduce((n, f) => n + state.filters[f.key].size, 0);
  $('filter-count').textContent = `${fmt(filtered.length)} of ${fmt(records.length)} co-ops match${active ? '' : ' (no filters)'}`;
  document.querySelector('[data-panel="filters-panel"]').textContent = active ? `Filters (${active})` : 'Filters';
}

$('clear-filters').addEventListener('click', () => {
  for (const f of FACETS) state.filters[f.key].clear();
  update();
});

// ---- clusters ----------------------------------------------------------------
/** rebuildIndex clusters the records that pass the filters: at once for the map's zoom, the other zooms when first needed. */
function rebuildIndex() {
  filtered = records.filter((r) => !r.gone && passes(r, null));
  points = filtered.map(pointOf);
  stale.fill(true);
  indexFor(Math.round(map.getZoom()));
}

/** pointOf is record r as the indexes take it, made again only when r has moved. */
function pointOf(r) {
  const at = r.point?.geometry.coordinates;
  if (!at || at[0] !== r.lon || at[1] !== r.lat) r.point = { type: 'Feature', geometry: { type: 'Point', coordinates: [r.lon, r.lat] }, properties: r };
  return r.point;
}

/** indexFor is the index of zoom z, built first if it is out of date. */
function indexFor(z) {
  const k = z <= COARSE_MAX_ZOOM ? 0 : 1;
  if (stale[k]) {
    indexes[k].load(points);
    stale[k] = false;
  }
  return indexes[k];
}

/** onActivate runs fn when a marker is clicked, or focused and given
 * Enter or Space (Leaflet itself only does that for bound popups). */
function onActivate(m, fn) {
  m.on('click', fn);
  m.on('keypress', (e) => {
    const k = e.originalEvent.key;
    if (k === 'Enter' || k === ' ') {
      e.originalEvent.preventDefault();
      fn();
    }
  });
}

function render() {
  const b = map.getBounds();
  const z = Math.round(map.getZoom());
  const bbox = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()), Math.min(180, b.getEast()), Math.min(85, b.getNorth())];
  const layers = [];
  const clusterMarker = (lat, lon, n, activate) => {
    const m = L.marker([lat, lon], { icon: clusterIcon(n), title: `${fmt(n)} co-ops here`, alt: `${n} co-ops`, pane: 'coops', keyboard: true, riseOnHover: true });
    onActivate(m, activate);
    layers.push(m);
  };
  // Above CLUSTER_MAX_ZOOM supercluster returns single records; those at
  // the very same spot are gathered here so that none hides another.
  const spots = new Map();
  const index = indexFor(z);
  for (const c of index.getClusters(bbox, z)) {
    const [lon, lat] = c.geometry.coordinates;
    if (c.properties.cluster) {
      const n = c.properties.point_count;
      clusterMarker(lat, lon, n, () => {
        const ez = index.getClusterExpansionZoom(c.properties.cluster_id);
        if (ez > CLUSTER_MAX_ZOOM || map.getZoom() >= CLUSTER_MAX_ZOOM) {
          showLeaves(index.getLeaves(c.properties.cluster_id, 50).map((l) => l.properties), n, [lat, lon]);
        } else map.flyTo([lat, lon], ez);
      });
    } else {
      const key = `${lon},${lat}`;
      if (!spots.has(key)) spots.set(key, []);
      spots.get(key).push(c.properties); // the record itself (pointOf)
    }
  }
  for (const rs of spots.values()) {
    const { lat, lon } = rs[0];
    if (rs.length > 1) {
      clusterMarker(lat, lon, rs.length, () => showLeaves(rs.slice(0, 50), rs.length, [lat, lon]));
      continue;
    }
    const r = rs[0];
    const m = L.marker([lat, lon], { icon: pointIcon(r.id === state.sel ? 'selected' : ''), title: r.name, alt: r.name, pane: 'coops', keyboard: true, riseOnHover: true });
    onActivate(m, () => select(r, { move: false }));
    layers.push(m);
  }
  markers.clearLayers();
  for (const m of layers) markers.addLayer(m);
  for (const m of layers) m.getElement()?.setAttribute('aria-label', m.options.title);
}

// ---- editing ------------------------------------------------------------------
// Suggest a change, and the editor for token holders (editor-entry.js,
// which loads the forms on demand); a saved record is redrawn at once.
const editing = initEditing({
  map, tools: state.embed ? null : document.querySelector('.top .tools'), basemap: config.basemap, sources: config.sources,
  onChanged(f, { deleted } = {}) {
    const p = f.properties || {};
    const at = f.geometry?.type === 'Point' ? f.geometry.coordinates : null;
    let r = byId.get(f.id);
    if (!r && at && !deleted) {
      r = { i: records.length, src: p.source, id: f.id };
      records.push(r);
      byId.set(r.id, r);
    }
    if (!r) return;
    Object.assign(r, { gone: Boolean(deleted), name: p.name || '', postcode: p.postcode || '', sector: p.sector || '', type: p.org_type || '' });
    if (at) [r.lon, r.lat] = at;
    rebuildIndex();
    render();
  },
});

// ---- popups ------------------------------------------------------------------
const popup = L.popup({ maxWidth: 300, autoPanPadding: [20, 60] });
map.on('popupclose', () => {
  if (state.sel) {
    state.sel = null;
    persist();
  }
});

/** popupContent builds a record's popup from whatever is known of it. */
function popupContent(r, props) {
  const p = props || {};
  const src = sources.get(r.src) || { id: r.src, title: r.src, kind: 'coops', licence: {} };
  const lines = el('dl', { class: 'popup-fields' });
  const field = (k, v) => { if (v) lines.append(el('dt', {}, k), el('dd', {}, v)); };
  field('Sector', p.sector || r.sector);
  field('Type', p.org_type || r.type);
  field('Address', [p.address, p.postcode || r.postcode].filter(Boolean).join(', '));
  const web = safeHref(p.website);
  if (web) lines.append(el('dt', {}, 'Website'), el('dd', {}, externalLink(web, p.website, 'noopener noreferrer nofollow ugc')));
  else if (p.website) field('Website', p.website);
  const lic = src.licence || {};
  const licHref = safeHref(lic.url);
  return el('div', { class: 'popup', 'data-id': r.id },
    el('h3', {}, r.name || p.name || r.id),
    lines,
    el('p', { class: 'popup-source' }, 'Source: ', src.title || src.id, ' · Licence: ',
      licHref ? el('a', { href: licHref, rel: 'license noopener noreferrer', target: '_blank' }, lic.id) : (lic.id || '')),
    props ? null : el('p', { class: 'popup-loading' }, 'Loading details…'),
    el('p', { class: 'popup-links' }, el('a', { href: recordPath(r.src, r.id, src.kind), class: 'record-link' }, 'Open record page'), ' · ',
      el('a', { href: `/collections/${encodeURIComponent(r.src)}/items/${encodeURIComponent(r.id)}?f=json` }, 'GeoJSON')),
    editing.actions(r),
  );
}

/** showLeaves lists the records (n in all) at a spot zooming cannot split. */
function showLeaves(leaves, n, at) {
  leaves.sort((a, b) => a.name.localeCompare(b.name));
  const list = el('ul', { class: 'leaves' });
  for (const r of leaves) {
    const b = el('button', { type: 'button', class: 'leaf' }, r.name || r.id);
    b.addEventListener('click', (e) => {
      // The popup's content is replaced under the click, so Leaflet could
      // no longer tell it came from inside the popup and would close it.
      e.stopPropagation();
      select(r, { move: false });
    });
    list.append(el('li', {}, b));
  }
  popup.setLatLng(at).setContent(el('div', { class: 'popup' },
    el('h3', {}, `${fmt(n)} co-ops at this spot`), list,
    n > leaves.length ? el('p', { class: 'popup-source' }, `and ${fmt(n - leaves.length)} more: see the list view`) : null)).openOn(map);
}

/** select opens a record's popup, moving the map to it when asked. */
async function select(r, { move = true } = {}) {
  state.sel = r.id;
  persist();
  const at = L.latLng(r.lat, r.lon);
  if (move && (map.getZoom() < 14 || !map.getBounds().contains(at))) map.setView(at, Math.max(map.getZoom(), 15));
  popup.setLatLng(at).setContent(popupContent(r)).openOn(map);
  try {
    const res = await fetch(`/collections/${encodeURIComponent(r.src)}/items/${encodeURIComponent(r.id)}`, { headers: { Accept: 'application/geo+json' } });
    if (!res.ok) throw new Error(res.statusText);
    const f = await res.json();
    if (state.sel === r.id && popup.isOpen()) popup.setContent(popupContent(r, f.properties || {}));
  } catch {
    if (state.sel === r.id && popup.isOpen()) popup.getElement()?.querySelector('.popup-loading')?.replaceChildren('Details could not be loaded.');
  }
}

/** selectHit opens a search hit, loaded or not. */
function selectHit(f) {
  const known = byId.get(f.id);
  if (known) return select(known);
  const [lon, lat] = f.geometry.coordinates;
  const p = f.properties;
  return select({ id: f.id, src: p.source, name: p.name, postcode: p.postcode, sector: p.sector, type: p.org_type, lon, lat });
}

// ---- the status line ------------------------------------------------------------
// It fades once the page is ready. A message after that shows it again for
// a few seconds; a problem stays until the next message.
let sayTimer = 0;
/** say puts text in the status line (a live region) and shows it. */
function say(text, { problem = false } = {}) {
  const line = $('status');
  line.textContent = text;
  line.classList.toggle('problem', problem);
  line.classList.add('say');
  clearTimeout(sayTimer);
  if (!problem) sayTimer = setTimeout(() => line.classList.remove('say'), 4000);
}

// ---- views, panels, persistence ------------------------------------------------
// The map's view the last time it was shown: what the list view lists
// "in the map's view", from the start (a URL may open the list at once).
let lastBounds = map.getBounds();
function persist() {
  if (!$('map').hidden) {
    const c = map.getCenter();
    state.map = { z: Math.round(map.getZoom()), lat: c.lat, lon: c.lng };
    lastBounds = map.getBounds();
  }
  writeState(state);
}

const list = initList({
  table: $('results'), count: $('list-count'), inView: $('list-in-view'), prev: $('page-prev'), next: $('page-next'), info: $('page-info'),
  rows: () => {
    const inView = $('list-in-view').checked && lastBounds;
    return inView ? filtered.filter((r) => lastBounds.contains([r.lat, r.lon])) : filtered;
  },
  href: (r) => recordPath(r.src, r.id, sources.get(r.src)?.kind),
  // Collections drawn from tiles are listed from the server (tiles.js listPage).
  tileSources: () => [...sources.values()].filter((s) => tiled(s) && shown(s)),
  serverPage: async (s, q) => (await loadTiles()).listPage(s, {
    ...q, bounds: $('list-in-view').checked ? lastBounds : null, filters: s.kind === 'coops' ? state.filters : null }),
  initial: { list: state.list, sort: state.sort },
  onChange: ({ list: picked, sort }) => {
    if (picked === state.list && sort === state.sort) return;
    Object.assign(state, { list: picked, sort });
    writeState(state);
  },
});

function setView(view) {
  state.view = view;
  const isList = view === 'list';
  $('map').hidden = isList;
  $('list').hidden = !isList;
  $('view-map').setAttribute('aria-pressed', String(!isList));
  $('view-list').setAttribute('aria-pressed', String(isList));
  if (isList) list.render();
  else map.invalidateSize();
  persist();
}
$('view-map').addEventListener('click', () => setView('map'));
$('view-list').addEventListener('click', () => setView('list'));

for (const b of document.querySelectorAll('.panel-button')) {
  b.addEventListener('click', () => {
    const id = b.dataset.panel;
    const open = $(id).hidden;
    for (const o of document.querySelectorAll('.panel-button')) {
      $(o.dataset.panel).hidden = !(open && o === b);
      o.setAttribute('aria-expanded', String(open && o === b));
    }
    if (open) $(id).querySelector('h2').focus?.();
    map.invalidateSize();
  });
}
for (const c of document.querySelectorAll('.panel .close')) {
  c.addEventListener('click', () => {
    const panel = c.closest('.panel');
    panel.hidden = true;
    const b = document.querySelector(`[data-panel="${panel.id}"]`);
    b.setAttribute('aria-expanded', 'false');
    b.focus();
    map.invalidateSize();
  });
}

function updateAttribution() {
  for (const s of sources.values()) {
    const on = shown(s) && (s.kind !== 'coops' || s.loaded || tiled(s));
    attribution.set(`src:${s.id}`, on ? { short: `${s.title || s.id} (${s.licence.id})`, text: s.attribution, url: s.licence.url } : null);
  }
}

/** update applies a change of filters everywhere. */
function update() {
  for (const s of sources.values()) if (s.kind === 'coops' && tiled(s)) showTiles(s);
  rebuildIndex();
  render();
  updateCounts();
  updateAttribution();
  layersPanel.sync();
  downloads.render();
  if (state.view === 'list') list.render();
  persist();
}

// ---- layers -----------------------------------------------------------------------
const overlays = new Map(); // source id -> L.GeoJSON, or a tiles.js layer
// MAX_OVERLAY is the most features an overlay is drawn with as GeoJSON,
// from one /items page; MAX_POINTS the most co-ops a source may have to be
// clustered in the browser (the server's /map/points limit, maxMapPoints
// in web/pages_points.go). Larger collections are drawn from vector tiles.
const MAX_OVERLAY = 10000;
const MAX_POINTS = 100000;
const tiled = (s) => s.count > (s.kind === 'coops' ? MAX_POINTS : MAX_OVERLAY);
/** shown tells whether a source is switched on (co-ops by the source filter, overlays by the layers list). */
const shown = (s) => (s.kind === 'coops' ? !state.filters.source.size || state.filters.source.has(s.id) : state.layers.has(s.id));
const layersPanel = {
  inputs: new Map(),
  build() {
    const root = clear($('layers'));
    if (basemap) {
      const on = el('input', { type: 'checkbox', id: 'layer-basemap' });
      on.checked = true;
      on.addEventListener('change', () => {
        if (on.checked) basemap.addTo(map); else basemap.remove();
        attribution.set('basemap', on.checked ? { short: config.basemap.attribution, url: config.basemap.attributionUrl } : null);
      });
      root.append(layerRow('basemap', on, 'Basemap', config.basemap.attribution, null, (v) => basemap.setOpacity(v)));
    }
    for (const s of sources.values()) {
      const on = el('input', { type: 'checkbox', id: `layer-${s.id}` });
      on.addEventListener('change', () => toggleSource(s, on.checked));
      this.inputs.set(s.id, on);
      const opacity = tiled(s) ? (v) => overlays.get(s.id)?.setOpacity(v)
        : s.kind === 'coops'
          ? (v) => { map.getPane('coops').style.opacity = String(v); }
          : (v) => overlays.get(s.id)?.setStyle({ opacity: v, fillOpacity: v * 0.4 });
      const row = layerRow(s.id, on, `${s.title || s.id} (${fmt(s.count)})`, s.attribution, s.color, opacity);
      if (tiled(s)) {
        row.append(el('p', { class: 'note' }, `Over ${fmt(s.kind === 'coops' ? MAX_POINTS : MAX_OVERLAY)} features: drawn from vector tiles, unfiltered; the list view lists it from the server.`),
          el('p', { class: 'note tiles-note', id: `tiles-note-${s.id}` }, tilesNote(s)));
      }
      root.append(row);
    }
    this.sync();
  },
  sync() {
    for (const [id, input] of this.inputs) {
      const s = sources.get(id);
      input.checked = s.kind === 'coops' ? !state.filters.source.size || state.filters.source.has(id) : state.layers.has(id);
    }
  },
};

function layerRow(key, input, title, attributionText, color, setOpacity) {
  const range = el('input', { type: 'range', min: '0', max: '1', step: '0.1', value: '1', id: `opacity-${key}`, 'aria-label': `Opacity of ${title}` });
  range.addEventListener('input', () => setOpacity(Number(range.value)));
  let swatch = null;
  if (color) {
    swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.background = color; // CSSOM, which the CSP allows
  }
  return el('div', { class: 'layer' },
    el('p', {}, input, ' ', swatch, el('label', { for: input.id }, title)),
    el('p', { class: 'layer-opacity' }, el('label', { for: range.id }, 'Opacity '), range),
    attributionText ? el('p', { class: 'layer-attribution' }, attributionText) : null);
}

async function toggleSource(s, on) {
  if (s.kind === 'coops') {
    const f = state.filters.source;
    const all = [...sources.values()].filter((x) => x.kind === 'coops').map((x) => x.id);
    if (!f.size) all.forEach((id) => f.add(id));
    if (on) f.add(s.id); else f.delete(s.id);
    if (all.every((id) => f.has(id))) f.clear();
    if (tiled(s)) {
      showTiles(s);
      update();
      return;
    }
    if (on && !s.loaded) {
      await loadPoints(s);
      await labelled([s]);
    }
    update();
    return;
  }
  if (on) state.layers.add(s.id); else state.layers.delete(s.id);
  if (on) await showOverlay(s);
  else overlays.get(s.id)?.remove();
  updateAttribution();
  if (state.view === 'list' && tiled(s)) list.render(); // its records are listed while it is on
  persist();
}

async function showOverlay(s) {
  if (tiled(s)) return showTiles(s);
  if (!overlays.has(s.id)) {
    const res = await fetch(`/collections/${encodeURIComponent(s.id)}/items?limit=${MAX_OVERLAY}`, { headers: { Accept: 'application/geo+json' } });
    if (!res.ok) { say(`Could not load ${s.title || s.id}.`, { problem: true }); return; }
    const fc = await res.json();
    const layer = L.geoJSON(fc, {
      style: { color: s.color, weight: 2, fillOpacity: 0.4 },
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 5, color: s.color, fillOpacity: 0.8 }),
      onEachFeature: (f, l) => l.on('click', (e) => {
        const [lon, lat] = [e.latlng.lng, e.latlng.lat];
        const p = f.properties || {};
        popup.setLatLng(e.latlng).setContent(popupContent({ id: f.id, src: s.id, name: p.name, lon, lat }, p)).openOn(map);
      }),
    });
    overlays.set(s.id, layer);
  }
  if (state.layers.has(s.id)) overlays.get(s.id).addTo(map);
}

// ---- large collections, from vector tiles ------------------------------------------
let tilesModule = null; // tiles.js, imported when first needed

/** loadTiles imports tiles.js once, and with it Enter or Space on the focused map (keyboardPick). */
function loadTiles() {
  if (!tilesModule) {
    tilesModule = import('./tiles.js');
    tilesModule.then(({ keyboardPick }) => keyboardPick({
      map, pick: tiledHit, open: openTiled,
      announce: (text) => say(text),
      active: () => [...sources.values()].some((s) => tiled(s) && map.hasLayer(overlays.get(s.id))),
    }));
  }
  return tilesModule;
}

/** showTiles adds or removes the tile layer of s as it is switched on or off. */
async function showTiles(s) {
  let layer = overlays.get(s.id);
  if (!layer && shown(s)) {
    const { tileOverlay } = await loadTiles();
    layer = overlays.get(s.id); // another call may have made it meanwhile
    if (!layer) {
      layer = tileOverlay({ collection: s.id, color: s.color, pane: 'tiled', tiles: config.tiles });
      // bench/web.sh reads these: the first tile drawn, and the frame that shows it starting.
      layer.once('tileload', () => {
        performance.mark('coopmap-tiles');
        requestAnimationFrame(() => performance.mark('coopmap-tiles-frame'));
      });
      layer.on('summary', (summary) => {
        s.tileSummary = summary;
        const note = document.getElementById(`tiles-note-${s.id}`);
        if (note) note.textContent = tilesNote(s);
      });
      overlays.set(s.id, layer);
    }
  }
  if (!layer) return;
  if (shown(s)) {
    layer.addTo(map);
    return;
  }
  layer.remove();
  s.tileSummary = null;
  const note = document.getElementById(`tiles-note-${s.id}`);
  if (note) note.textContent = '';
}

/** tilesNote says what a tile-drawn collection shows in the view. */
function tilesNote(s) {
  const t = s.tileSummary;
  if (!t) return '';
  return `In view: ${fmt(t.records)} ${t.records === 1 ? 'feature' : 'features'} (${fmt(t.clusters)} clusters, ${fmt(t.points)} single).`;
}

/** tiledHit finds the tile-drawn feature at latlng (within reach px), topmost layer first. */
function tiledHit(latlng, reach) {
  for (const s of [...sources.values()].reverse()) {
    const layer = overlays.get(s.id);
    if (!tiled(s) || !layer || !map.hasLayer(layer)) continue;
    const hit = layer.pick(latlng, reach);
    if (hit) return { s, hit };
  }
  return null;
}

/** openTiled does what a click on a tile-drawn feature does: a cluster zooms in, a record opens its popup. */
function openTiled({ s, hit }) {
  if (hit.cluster) map.setView(hit.latlng, hit.zoom);
  else select({ id: hit.id, src: s.id, name: hit.name, sector: hit.sector, type: hit.type, lon: hit.latlng.lng, lat: hit.latlng.lat }, { move: false });
}

map.on('click', (e) => {
  // Markers and overlay shapes answer their own clicks.
  if (e.originalEvent?.target?.closest?.('.leaflet-interactive, .leaflet-marker-icon, .leaflet-popup')) return;
  const found = tiledHit(e.latlng);
  if (found) openTiled(found);
});

let hoverFrame = 0;
map.on('mousemove', (e) => {
  if (hoverFrame || !tilesModule) return;
  hoverFrame = requestAnimationFrame(() => {
    hoverFrame = 0;
    map.getContainer().classList.toggle('tiles-pointer', Boolean(tiledHit(e.latlng)));
  });
});

// ---- downloads ---------------------------------------------------------------------
const FORMAT_NAMES = { geojson: 'GeoJSON', csv: 'CSV (zip)', kml: 'KML', gpx: 'GPX', gpkg: 'GeoPackage' };
const downloads = {
  render() {
    const root = clear($('downloads'));
    const b = lastBounds || map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(',');
    const one = (k) => (state.filters[k].size === 1 ? [...state.filters[k]][0] : null);
    const multi = ['sector', 'type'].some((k) => state.filters[k].size > 1);
    for (const s of sources.values()) {
      const base = `/collections/${encodeURIComponent(s.id)}/download`;
      const whole = el('p', { class: 'formats' }, 'Whole collection: ');
      const view = el('p', { class: 'formats' }, 'Current view and filters: ');
      for (const f of config.formats) {
        const q = new URLSearchParams({ f });
        whole.append(el('a', { href: `${base}?${q}`, download: '', class: 'button' }, FORMAT_NAMES[f] || f), ' ');
        q.set('bbox', bbox);
        if (s.kind === 'coops') {
          if (one('sector') && one('sector') !== 'Not given') q.set('sector', one('sector'));
          if (one('type') && one('type') !== 'Not given') q.set('org_type', one('type'));
        }
        view.append(el('a', { href: `${base}?${q}`, download: '', class: 'button' }, FORMAT_NAMES[f] || f), ' ');
      }
      const lic = s.licence || {};
      const licHref = safeHref(lic.url);
      root.append(el('section', { class: 'download' },
        el('h3', {}, s.title || s.id),
        el('p', { class: 'licence' }, 'Licence: ', licHref ? el('a', { href: licHref, rel: 'license noopener noreferrer', target: '_blank' }, lic.name || lic.id) : (lic.name || lic.id),
          '. ', s.attribution),
        whole, view,
        multi && s.kind === 'coops' ? el('p', { class: 'note' }, 'Several sectors or types are selected: the view download has the whole view; filter it after download.') : null));
    }
    if (!sources.size) root.append(el('p', {}, 'No data has been loaded yet.'));
  },
};

// ---- embed dialog --------------------------------------------------------------------
const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeAttr = (v) => String(v).replace(/[&<>"']/g, (c) => ENTITIES[c]);
function embedCode() {
  const url = window.location.origin + stateURL(state, { embed: $('embed-minimal').checked });
  return `<iframe src="${escapeAttr(url)}" title="Map of co-operatives (coopmap)" width="100%" height="450" style="border:0" loading="lazy"></iframe>`;
}
$('embed-button').addEventListener('click', () => {
  persist();
  $('share-link').value = window.location.origin + stateURL(state, { embed: false });
  $('embed-code').value = embedCode();
  $('embed-dialog').showModal();
});
$('embed-minimal').addEventListener('change', () => { $('embed-code').value = embedCode(); });
$('embed-close').addEventListener('click', () => $('embed-dialog').close());
$('embed-copy').addEventListener('click', async () => {
  $('embed-code').select();
  try { await navigator.clipboard.writeText($('embed-code').value); $('embed-copy').textContent = 'Copied'; } catch { /* selected for manual copy */ }
});

// ---- start -----------------------------------------------------------------------------
/**
 * loadPoints fetches a source's positions (both parts were preloaded with
 * the page) and adds its records, to be drawn and filtered at once. The
 * promise it leaves in s.labelled names them: from the labels, or, when
 * the source changed between the two requests, from the whole point set
 * again, which then replaces the records (s.reloaded).
 */
async function loadPoints(s) {
  const base = `/map/points/${encodeURIComponent(s.id)}`;
  const labels = fetch(`${base}/labels`);
  labels.catch(() => {}); // awaited below, once the positions are in
  const res = await fetch(`${base}/positions`);
  if (!res.ok) throw new Error(`${s.id}: ${res.status}`);
  const positions = readPositions(await res.arrayBuffer());
  const first = addPositions(positions);
  s.loaded = true;
  s.labelled = (async () => {
    const l = await labels;
    const doc = l.ok ? await l.json() : null;
    if (doc && matches(positions, doc)) addLabels(first, doc);
    else await reloadPoints(s);
  })();
  s.labelled.catch(() => {}); // reported where it is awaited
}

/** reloadPoints replaces a source's records with its whole point set, taken in one piece. */
async function reloadPoints(s) {
  const res = await fetch(`/map/points/${encodeURIComponent(s.id)}`);
  if (!res.ok) throw new Error(`${s.id}: ${res.status}`);
  const { positions, labels } = splitDoc(await res.json());
  const keep = records.filter((r) => r.src !== s.id);
  for (const [id, r] of byId) if (r.src === s.id) byId.delete(id);
  records.length = 0;
  keep.forEach((r, i) => { r.i = i; records.push(r); });
  addLabels(addPositions(positions), labels);
  s.reloaded = true;
}

/** labelled waits for the labels of sources, reporting the ones that failed. */
async function labelled(list) {
  const failed = (await Promise.allSettled(list.map((s) => s.labelled))).filter((r) => r.status === 'rejected');
  if (failed.length) say(`Could not load the co-ops' names (${failed[0].reason?.message}).`, { problem: true });
  if (list.some((s) => s.reloaded)) rebuildIndex();
  list.forEach((s) => { s.reloaded = false; });
}

map.on('moveend', () => { render(); persist(); if (!$('downloads-panel').hidden) downloads.render(); });

/**
 * painted resolves once the browser reports (Element Timing) that a
 * cluster of layer is on screen, so that the work after the first frame
 * does not hold up its raster on a busy machine; at once when there is
 * no cluster or no Element Timing, and after 400 ms at the latest.
 */
function painted(layer) {
  const clustered = layer.getLayers().some((m) => m.getElement()?.querySelector('[elementtiming]'));
  if (!clustered || !PerformanceObserver.supportedEntryTypes?.includes('element')) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); observer.disconnect(); resolve(); };
    const timer = setTimeout(done, 400);
    const observer = new PerformanceObserver((list) => { if (list.getEntries().some((e) => e.identifier === 'coopmap-cluster')) done(); });
    observer.observe({ type: 'element', buffered: true });
  });
}

async function start() {
  // Tiles start loading at once, beside the co-ops' points.
  for (const s of sources.values()) if (tiled(s) && shown(s)) showTiles(s);
  const coops = [...sources.values()].filter((s) => s.kind === 'coops' && !tiled(s) && shown(s));
  try {
    await Promise.all(coops.map(loadPoints));
  } catch (e) {
    say(`Could not load the co-ops (${e.message}).`, { problem: true });
  }
  performance.mark('coopmap-points');
  rebuildIndex();
  render();
  performance.mark('coopmap-markers');
  // Let the browser paint the markers before building the panels; the
  // frame callback runs as that frame starts (bench/web.sh reads it).
  await new Promise((r) => { requestAnimationFrame(() => { performance.mark('coopmap-frame'); setTimeout(r, 0); }); });
  await painted(markers);
  // Then the records' names, for the markers' titles and everything after.
  await labelled(coops.filter((s) => s.loaded));
  render();
  buildFacets();
  layersPanel.build();
  updateCounts();
  updateAttribution();
  downloads.render();
  for (const id of state.layers) if (sources.has(id)) showOverlay(sources.get(id));
  if (!$('status').classList.contains('problem')) {
    $('status').textContent = records.length ? `${fmt(records.length)} co-ops loaded.` : 'No co-ops to show yet: import some data.';
  }
  document.body.dataset.ready = 'true';
  // The other zooms' clusters, before anyone zooms there.
  setTimeout(() => { indexFor(0); indexFor(CLUSTER_MAX_ZOOM); }, 0);
  initSearch({ input: $('search-input'), results: $('search-results'), status: $('search-status'), form: $('search-form'),
    onFeature: selectHit,
    onPlace: (p) => {
      if (p.bbox) map.fitBounds([[p.bbox[1], p.bbox[0]], [p.bbox[3], p.bbox[2]]], { maxZoom: 15 });
      else map.setView([p.center[1], p.center[0]], 15);
    } });
  if (state.view === 'list') setView('list');
  if (state.sel) {
    const r = byId.get(state.sel);
    if (r) select(r, { move: !state.map });
  }
  persist();
}
start();
