// Map pieces shared by the tour pages and the planner: the cycle map
// layer (a source served as GeoJSON by the OGC API items endpoint, styled
// like a cycle map by its OpenStreetMap tags), the routed line and the
// numbered stop markers. Every string from data reaches the DOM as text.
import L from 'leaflet';
import { el } from './dom.js';

/** km formats metres as the server's pages do: "850 m", "9.8 km". */
export function km(m) {
  if (!Number.isFinite(m)) return '';
  return m < 1000 ? `${Math.round(m / 10) * 10} m` : `${(m / 1000).toFixed(1)} km`;
}

/** rideTime formats seconds as "8 min" or "1 h 05 min". */
export function rideTime(s) {
  const m = Math.round(s / 60);
  if (m < 60) return `${Math.max(m, 1)} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

const tagValues = (p, key) => [p[key], p[`${key}:left`], p[`${key}:right`], p[`${key}:both`]].filter((v) => typeof v === 'string');

/**
 * cycleClass sorts an OpenStreetMap way of the cycle layer into the
 * classes of the legend: cycleway, track, lane, shared, path (paths and
 * quiet streets designated for bikes), or '' for anything else.
 */
export function cycleClass(p = {}) {
  if (p.highway === 'cycleway') return 'cycleway';
  const cw = tagValues(p, 'cycleway');
  if (cw.some((v) => /track/.test(v))) return 'track';
  if (cw.some((v) => /^(lane|opposite|opposite_lane)$/.test(v))) return 'lane';
  if (cw.some((v) => /shared_lane|share_busway/.test(v))) return 'shared';
  if (p.bicycle === 'designated' || p.bicycle_road === 'yes' || p.cyclestreet === 'yes') return 'path';
  return '';
}

/** CYCLE_STYLES are the line styles of the classes: bold blue cycleways, thinner lanes and quiet ways. */
export const CYCLE_STYLES = {
  cycleway: { color: '#1d4ed8', weight: 5, opacity: 0.9 },
  track: { color: '#2563eb', weight: 4, opacity: 0.85 },
  lane: { color: '#3b82f6', weight: 3, opacity: 0.9, dashArray: '7 4' },
  shared: { color: '#60a5fa', weight: 2.5, opacity: 0.9, dashArray: '2 5' },
  path: { color: '#0e7490', weight: 2.5, opacity: 0.9, dashArray: '1 5', lineCap: 'round' },
  '': { color: '#64748b', weight: 2, opacity: 0.7 },
};

/**
 * CycleLayer draws the cycle map source for the map's view, loading it by
 * bounding box (a page of 1,000 at a time, at most 10 pages per view)
 * from zoom 11 on, and keeping what it has loaded.
 */
export class CycleLayer {
  constructor(map, items, { pane } = {}) {
    this.map = map;
    this.items = items;
    this.loaded = new Set();
    this.covered = [];
    this.seq = 0;
    this.layer = L.geoJSON(null, {
      pane,
      interactive: false,
      style: (f) => CYCLE_STYLES[cycleClass(f.properties)],
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 4, color: '#1d4ed8', weight: 1, fillColor: '#bfdbfe', fillOpacity: 0.9, interactive: false }),
    });
    this.onMove = () => this.load();
  }

  /** show adds the layer to the map and loads what the view needs. */
  show() {
    this.layer.addTo(this.map);
    this.map.on('moveend', this.onMove);
    return this.load();
  }

  /** hide takes the layer off the map; it stops loading. */
  hide() {
    this.map.off('moveend', this.onMove);
    this.layer.remove();
  }

  get visible() { return this.map.hasLayer(this.layer); }

  async load() {
    if (this.map.getZoom() < 11) return;
    const view = this.map.getBounds();
    if (this.covered.some((b) => b.contains(view))) return;
    const want = view.pad(0.5);
    const mine = ++this.seq;
    const bbox = [want.getWest(), want.getSouth(), want.getEast(), want.getNorth()].map((v) => v.toFixed(5)).join(',');
    let url = `${this.items}?bbox=${bbox}&limit=1000&f=json`;
    for (let page = 0; url && page < 10; page++) {
      let doc;
      try {
        const res = await fetch(url, { headers: { Accept: 'application/geo+json' } });
        if (!res.ok) return;
        doc = await res.json();
      } catch {
        return;
      }
      const fresh = (doc.features || []).filter((f) => f && f.geometry && !this.loaded.has(f.id));
      fresh.forEach((f) => this.loaded.add(f.id));
      if (fresh.length) this.layer.addData({ type: 'FeatureCollection', features: fresh });
      const next = (doc.links || []).find((l) => l.rel === 'next');
      url = next ? sameOrigin(next.href) : null;
    }
    if (mine === this.seq) this.covered.push(want);
    this.map.fire('cyclelayerload');
  }
}

// sameOrigin keeps a next link only when it points at this server.
function sameOrigin(href) {
  try {
    const u = new URL(href, location.href);
    return u.origin === location.origin ? u.pathname + u.search : null;
  } catch {
    return null;
  }
}

/** routeLayer is the routed line: a white casing under an orange line. */
export function routeLayer(coords, { pane } = {}) {
  const lls = coords.map(([lon, lat]) => [lat, lon]);
  return L.layerGroup([
    L.polyline(lls, { pane, color: '#fff', weight: 9, opacity: 0.9, interactive: false }),
    L.polyline(lls, { pane, color: '#c2410c', weight: 5, opacity: 0.95, interactive: false, className: 'route-line' }),
  ]);
}

/** stopIcon is the numbered marker of one or more stops at one place ("1", "1·5"). */
export function stopIcon(label, className = '') {
  const text = String(label);
  const w = Math.max(28, 12 + 8 * text.length);
  return L.divIcon({ className: `stop-marker ${className}`, html: el('span', {}, text), iconSize: [w, 28], iconAnchor: [w / 2, 14] });
}

/**
 * stopPlaces groups stops ({lon, lat, ...}) by place, so that stops at one
 * spot (a round trip's start and end, co-ops sharing a postcode) share a
 * marker: [{lon, lat, numbers: [1, 5], stops: [...]}], numbers 1-based.
 */
export function stopPlaces(stops) {
  const places = new Map();
  stops.forEach((s, i) => {
    const key = `${s.lon},${s.lat}`;
    if (!places.has(key)) places.set(key, { lon: s.lon, lat: s.lat, numbers: [], stops: [] });
    places.get(key).numbers.push(s.position || i + 1);
    places.get(key).stops.push(s);
  });
  return [...places.values()];
}
