// The record page's map: centred on the record, drawing its geometry from
// its GeoJSON. The page itself is server-rendered (web/templates/pages).
import 'leaflet/dist/leaflet.css';
import './style.css';
import L from 'leaflet';
import { basemapLayer, AttributionControl, pointIcon } from './map.js';

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
