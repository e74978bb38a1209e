// The record form the editor, the suggestion form and the moderation page
// share: a modal dialog, the record's fields as inputs, and a small map
// whose marker (or shape) can be moved, with latitude and longitude
// inputs as its keyboard equivalent. Data reaches the DOM only as text
// and attribute values (dom.js).
import 'leaflet/dist/leaflet.css';
import './editor.css';
import L from 'leaflet';
import { el, clear } from './dom.js';
import { basemapLayer, AttributionControl, pointIcon } from './map.js';

/** FIELDS are the record's fields the forms edit, as the API names them. */
export const FIELDS = [
  ['name', 'Name'], ['sector', 'Sector'], ['org_type', 'Organisation type'], ['address', 'Address'], ['postcode', 'Postcode'],
  ['website', 'Website'], ['email', 'Email'], ['founded', 'Founded'], ['status', 'Status'], ['description', 'Description'],
];
/** fieldLabel names a field for people. */
export const fieldLabel = (k) => (FIELDS.find(([f]) => f === k) || [k, k])[1];

let dialogs = 0; // makes ids unique when dialogs open one after another

/**
 * openDialog shows a modal dialog titled title; close() removes it. The
 * Escape key and the close button close it too.
 */
export function openDialog(title, { className = '' } = {}) {
  const n = ++dialogs;
  const heading = el('h2', { id: `editor-dialog-h-${n}` }, title);
  const closeButton = el('button', { type: 'button', class: 'close', 'aria-label': 'Close' }, '×');
  const body = el('div', { class: 'editor-body' });
  const dialog = el('dialog', { class: `editor-dialog ${className}`, 'aria-labelledby': heading.id },
    el('div', { class: 'editor-head' }, heading, closeButton), body);
  document.body.append(dialog);
  const close = () => { dialog.close(); dialog.remove(); };
  closeButton.addEventListener('click', close);
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  dialog.showModal();
  return { dialog, body, heading, close };
}

/** statusLine is a live region for a form's outcome; set(text, kind). */
export function statusLine() {
  const p = el('p', { class: 'editor-status', role: 'status', 'aria-live': 'polite' });
  return {
    node: p,
    set(text, kind = '') {
      p.textContent = text;
      p.className = `editor-status ${kind}`;
    },
  };
}

/** round6 rounds a coordinate to about 0.1 m, as the forms compare them. */
const round6 = (v) => Math.round(v * 1e6) / 1e6;
/** sameGeometry compares two GeoJSON geometries to 6 decimals. */
export function sameGeometry(a, b) {
  const norm = (g) => JSON.stringify(g, (k, v) => (typeof v === 'number' ? round6(v) : v));
  return norm(a || null) === norm(b || null);
}

/** pointOf is [lon, lat] of a point geometry, else null. */
export const pointOf = (g) => (g && g.type === 'Point' ? g.coordinates : null);

/**
 * recordForm builds the inputs of a record (feature: GeoJSON; its
 * geometry may be a point to start from) and a map to move it on.
 * options: basemap (the server's), movable: 'drag' (Leaflet's marker
 * dragging), 'geoman' (Leaflet-Geoman's editing, shapes too; the caller
 * has loaded it) or false, idPrefix for unique ids. changes() returns
 * what differs from the feature it was given or last set:
 * {properties, geometry} (geometry null when unchanged).
 */
export function recordForm(feature, { basemap, movable = 'drag', idPrefix = 'rf' } = {}) {
  let base = feature;
  const inputs = new Map();
  const list = el('div', { class: 'editor-fields' });
  for (const [k, label] of FIELDS) {
    const id = `${idPrefix}-${k}`;
    const input = k === 'description'
      ? el('textarea', { id, rows: '3', maxlength: '10000' })
      : el('input', { id, type: k === 'email' ? 'email' : 'text', maxlength: '2000', autocomplete: 'off' });
    inputs.set(k, input);
    list.append(el('p', { class: `editor-field field-${k}` }, el('label', { for: id }, label), input));
  }
  const mapBox = el('div', { class: 'editor-map', role: 'region', 'aria-label': 'Map: drag the marker to move the record' });
  const lat = el('input', { id: `${idPrefix}-lat`, type: 'number', step: 'any', min: '-90', max: '90' });
  const lon = el('input', { id: `${idPrefix}-lon`, type: 'number', step: 'any', min: '-180', max: '180' });
  const coords = el('p', { class: 'editor-coords' },
    el('span', {}, el('label', { for: lat.id }, 'Latitude'), lat), el('span', {}, el('label', { for: lon.id }, 'Longitude'), lon));
  const hint = el('p', { class: 'note' });
  const node = el('div', { class: 'record-form' }, list, el('div', { class: 'editor-where' }, mapBox, coords, hint));

  let map = null;
  let group = null;
  let marker = null;
  const geometry = () => {
    if (marker) return { type: 'Point', coordinates: [round6(Number(lon.value)), round6(Number(lat.value))] };
    if (!group) return base.geometry;
    const fc = group.toGeoJSON();
    return fc.features.length === 1 ? fc.features[0].geometry : base.geometry;
  };
  const syncInputs = () => {
    const ll = marker.getLatLng();
    lat.value = String(round6(ll.lat));
    lon.value = String(round6(ll.lng));
  };
  const drawGeometry = () => {
    group?.remove();
    group = null;
    marker = null;
    const g = base.geometry;
    const p = pointOf(g);
    coords.hidden = !p;
    if (p) {
      marker = L.marker([p[1], p[0]], { icon: pointIcon('selected editing'), draggable: movable === 'drag', keyboard: true, title: 'Drag to move', alt: 'Record position' });
      group = L.featureGroup([marker]).addTo(map);
      marker.on('drag dragend pm:edit pm:dragend', syncInputs);
      if (movable === 'geoman') marker.pm.enable({ draggable: true, preventMarkerRemoval: true });
      syncInputs();
      map.setView([p[1], p[0]], Math.max(map.getZoom() || 0, 16));
      hint.textContent = movable ? 'Drag the marker, or type the latitude and longitude, to move the record.' : '';
      return;
    }
    if (!g) {
      hint.textContent = 'This record has no geometry.';
      return;
    }
    group = L.geoJSON({ type: 'Feature', geometry: g, properties: {} }, { style: { color: '#c2410c', weight: 3 } }).addTo(map);
    if (movable === 'geoman') group.eachLayer((l) => l.pm.enable({ allowSelfIntersection: false }));
    map.fitBounds(group.getBounds(), { maxZoom: 17 });
    hint.textContent = movable === 'geoman' ? 'Drag the shape\'s vertices to change it.' : 'Only a point can be moved here.';
  };
  lat.addEventListener('input', () => moveTo());
  lon.addEventListener('input', () => moveTo());
  function moveTo() {
    const la = Number(lat.value);
    const lo = Number(lon.value);
    if (!marker || !Number.isFinite(la) || !Number.isFinite(lo) || Math.abs(la) > 90 || Math.abs(lo) > 180) return;
    marker.setLatLng([la, lo]);
    map.panTo([la, lo]);
  }

  const fill = () => {
    const p = base.properties || {};
    for (const [k, input] of inputs) input.value = p[k] == null ? '' : String(p[k]);
  };
  fill();
  return {
    node,
    inputs,
    /** mount draws the map; call it once the form is in the document. */
    mount() {
      map = L.map(mapBox, { attributionControl: false, scrollWheelZoom: 'center' }).setView([54, -2], 6);
      const attribution = new AttributionControl().addTo(map);
      const layer = basemapLayer(basemap);
      if (layer) {
        layer.addTo(map);
        attribution.set('basemap', { short: basemap.attribution, url: basemap.attributionUrl });
      }
      map.invalidateSize({ pan: false }); // the dialog has just been laid out
      drawGeometry();
      return map;
    },
    /** values are the fields as typed, trimmed. */
    values() {
      const v = {};
      for (const [k, input] of inputs) v[k] = input.value.trim();
      return v;
    },
    geometry,
    changes() {
      const p = base.properties || {};
      const properties = {};
      for (const [k, v] of Object.entries(this.values())) {
        const was = p[k] == null ? '' : String(p[k]);
        if (v !== was) properties[k] = v === '' ? null : v;
      }
      const g = geometry();
      return { properties, geometry: sameGeometry(g, base.geometry) ? null : g };
    },
    /** set shows another version of the record (its fields and place). */
    set(f) {
      base = f;
      fill();
      if (map) drawGeometry();
    },
    feature: () => base,
    destroy() { map?.remove(); clear(mapBox); },
  };
}

/** describeChange lists a change for people: "name, position". */
export function describeChange(ch) {
  const parts = Object.keys(ch.properties).map(fieldLabel);
  if (ch.geometry) parts.push('position');
  return parts.join(', ');
}

/** button is a button that runs fn when pressed. */
export function button(text, fn, attrs = {}) {
  const b = el('button', { type: 'button', ...attrs }, text);
  b.addEventListener('click', fn);
  return b;
}
