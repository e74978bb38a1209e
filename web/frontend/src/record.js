// The record page's map: centred on the record, drawing its geometry from
// its GeoJSON, and its Suggest a change and Edit buttons. The page itself
// is server-rendered (web/templates/pages).
import 'leaflet/dist/leaflet.css';
import './style.css';
import L from 'leaflet';
import { basemapLayer, AttributionControl, pointIcon } from './map.js';
import { el } from './dom.js';
import { initEditing } from './editor-entry.js';

const box = document.getElementById('record-map');
if (box) {
  const d = box.dataset;
  const at = [Number(d.lat), Number(d.lon)];
  const map = L.map(box, { attributionControl: false, scrollWheelZoom: false }).setView(at, 15);
  const attribution = new AttributionControl().addTo(map);
  const bm = { url: d.basemapUrl, attribution: d.basemapAttribution, attributionUrl: d.basemapAttributionUrl, maxZoom: Number(d.basemapMaxZoom) };
  const base = basemapLayer(bm);
  if (base) {
    base.addTo(map);
    attribution.set('basemap', { short: bm.attribution, url: bm.attributionUrl });
  }
  attribution.set('source', { short: 'Data', text: d.attribution });
  fetch(d.geojson, { headers: { Accept: 'application/geo+json' } })
    .then((r) => (r.ok ? r.json() : null))
    .then((f) => {
      if (!f || !f.geometry) return;
      const layer = L.geoJSON(f, { pointToLayer: (_, ll) => L.marker(ll, { icon: pointIcon('selected'), keyboard: false }) }).addTo(map);
      if (f.geometry.type !== 'Point') map.fitBounds(layer.getBounds(), { maxZoom: 17 });
    })
    .catch(() => L.marker(at, { icon: pointIcon('selected'), keyboard: false }).addTo(map));
}

// Suggest a change (anyone) and Edit (with a token): editor-entry.js
// loads the forms when pressed. A saved change shows after a reload, as
// the page is rendered by the server.
const actions = document.getElementById('record-actions');
if (actions) {
  const a = actions.dataset;
  const m = box ? box.dataset : {};
  const editing = initEditing({
    basemap: { url: m.basemapUrl, attribution: m.basemapAttribution, attributionUrl: m.basemapAttributionUrl, maxZoom: Number(m.basemapMaxZoom) || 19 },
    sources: [{ id: a.source, kind: a.sourceKind, title: a.sourceTitle }],
    onChanged: () => {
      if (document.getElementById('record-stale')) return;
      const reload = el('button', { type: 'button' }, 'Reload the page');
      reload.addEventListener('click', () => window.location.reload());
      actions.after(el('p', { id: 'record-stale', class: 'editor-status ok', role: 'status' }, 'Saved. This page shows the version it was opened with: ', reload));
    },
  });
  const draw = () => actions.replaceChildren(editing.actions({ src: a.source, id: a.id }));
  draw();
  document.addEventListener('coopmap-token', draw);
}
