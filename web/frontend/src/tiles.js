// Large collections on the map, drawn from coopmap's own vector tiles
// (/tiles/{collection}/{z}/{x}/{y}.mvt, see web/tiles.go) by
// protomaps-leaflet on canvas. Below the server's clusterBelow zoom (14)
// it clusters points on a 16 × 16 grid per tile, and above it only in
// a tile too dense to send whole: a feature with `count` > 1 is a cluster
// (it carries no id), one with count 1 or no count is a record with its
// `id` and `name`. Clusters are circles with their count, biggest first;
// one that would cover a bigger one is left as a dot, so no cluster is
// ever hidden. Records are dots in the collection's colour, lines and
// polygons are stroked. The canvas is not interactive itself: pick() finds
// what is under the pointer from the decoded tiles, and keyboardPick()
// lets Enter or Space on the focused map do what a click at its centre
// does. itemsPage() reads a page of such a collection for the list view,
// which cannot hold it whole.
//
// main.js imports this module only when such a layer is shown, so the
// map's first load does not carry the renderer.
import 'leaflet'; // protomaps-leaflet extends the global L that Leaflet sets
import { leafletLayer, CircleSymbolizer, LineSymbolizer, PolygonSymbolizer, GeomType, Labelers } from 'protomaps-leaflet';
import { el, fmt } from './dom.js';

/**
 * DEFAULT_TILES are the server's tile zooms when the page is not told
 * them (tiles.Options' defaults): maxZoom, the highest zoom it serves
 * (--tile-max-zoom), and clusterBelow, below which it always clusters
 * points. The page is told them in its config's `tiles` (web/static.go).
 */
export const DEFAULT_TILES = Object.freeze({ maxZoom: 16, clusterBelow: 14 });

/** tileZooms is the server's tile zooms from the page's config, or the defaults for what it lacks. */
export function tileZooms(cfg) {
  const ok = (z) => Number.isInteger(z) && z >= 0 && z <= 24;
  return {
    maxZoom: ok(cfg?.maxZoom) ? cfg.maxZoom : DEFAULT_TILES.maxZoom,
    clusterBelow: ok(cfg?.clusterBelow) ? cfg.clusterBelow : DEFAULT_TILES.clusterBelow,
  };
}

/** TILE_PX is the size the server's tiles are laid out for. */
const TILE_PX = 256;

/** countLabel shortens a count for a bubble: 950, 1.2k, 12k, 1.5M. */
export function countLabel(n) {
  if (n < 1000) return String(n);
  if (n < 10000) return `${(Math.floor(n / 100) / 10).toString()}k`;
  if (n < 1e6) return `${Math.floor(n / 1000)}k`;
  return `${(Math.floor(n / 1e5) / 10).toString()}M`;
}

/** bubbleRadius is a cluster's radius in CSS pixels, growing with its label. */
const bubbleRadius = (n) => 9 + 2.5 * Math.min(countLabel(n).length, 4);

/** BANDS are the lower bounds of the clusters' label rules. */
const BANDS = [1e5, 1e4, 1e3, 100, 10, 2];

const isCluster = (f) => typeof f.props.count === 'number' && f.props.count > 1;

/**
 * ClusterSymbolizer is a protomaps-leaflet label symbolizer: a circle with
 * the cluster's count. As a label it is drawn across tile borders, and one
 * that collides with a bigger cluster is not placed (its dot stays).
 */
class ClusterSymbolizer {
  constructor(color) { this.color = color; }

  place(layout, geom, feature) {
    const n = feature.props.count;
    const r = bubbleRadius(n);
    const text = countLabel(n);
    const anchor = geom[0][0].clone();
    const color = this.color;
    return [{
      anchor,
      bboxes: [{ minX: anchor.x - r, minY: anchor.y - r, maxX: anchor.x + r, maxY: anchor.y + r }],
      draw(ctx) {
        ctx.globalAlpha = 1;
        ctx.beginPath();
        ctx.arc(0, 0, r, 0, 2 * Math.PI);
        ctx.fillStyle = color;
        ctx.fill();
        ctx.lineWidth = 3;
        ctx.strokeStyle = 'rgba(255,255,255,0.85)';
        ctx.stroke();
        ctx.fillStyle = '#fff';
        ctx.font = '700 12px system-ui, sans-serif';
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(text, 0, 0.5);
      },
    }];
  }
}

/**
 * TileFetcher gives protomaps-leaflet the tiles of one collection. It has
 * the shape of a PMTiles archive (getZxy), which the library accepts in
 * place of a URL: that way a 204 (no features) is an empty tile, an error
 * status is an error rather than a tile decoded from a problem document,
 * and the sizes are counted.
 */
class TileFetcher {
  constructor(collection, stats) {
    this.prefix = `/tiles/${encodeURIComponent(collection)}/`;
    this.stats = stats;
  }

  async getZxy(z, x, y, signal) {
    const res = await fetch(`${this.prefix}${z}/${x}/${y}.mvt`, { signal });
    if (res.status === 204) return undefined;
    if (!res.ok) throw new Error(`tile ${z}/${x}/${y}: HTTP ${res.status}`);
    const data = await res.arrayBuffer();
    this.stats.requests++;
    this.stats.largest = Math.max(this.stats.largest, data.byteLength);
    return { data };
  }
}

/**
 * tileOverlay returns a Leaflet layer drawing collection from vector
 * tiles in color; tiles is the server's zooms ({maxZoom, clusterBelow},
 * see tileZooms): tiles are fetched up to maxZoom and magnified above it.
 * Besides a GridLayer's methods it has:
 *   pick(latlng, reach = 6): what is within reach CSS pixels of that point
 *     (a cluster's whole bubble counts), nearest first: {cluster: true,
 *     count, latlng, zoom} (zoom: the one that opens it) or {id, name,
 *     sector, type, latlng}, or null;
 *   summary(): {records, clusters, points} in the current view, from the
 *     tiles loaded (records counts every point clusters stand for);
 *   stats: {requests, largest} tile responses so far and the largest in bytes.
 * It fires 'summary' when every tile in view has been drawn.
 */
export function tileOverlay({ collection, color, pane, tiles }) {
  const { maxZoom: dataMaxZoom, clusterBelow } = tileZooms(tiles);
  const stats = { requests: 0, largest: 0 };
  const bubbles = new ClusterSymbolizer(color);
  const layer = leafletLayer({
    url: new TileFetcher(collection, stats),
    maxDataZoom: dataMaxZoom,
    levelDiff: 0, // one 256-px tile from the server per 256-px tile on screen
    pane,
    maxZoom: 22, // a GridLayer draws nothing above its maxZoom (default 18); the data is overzoomed
    attribution: '', // the app's own attribution control lists the source
    paintRules: [
      { dataLayer: collection, symbolizer: new PolygonSymbolizer({ fill: color, opacity: 0.3, stroke: color, width: 1 }),
        filter: (z, f) => f.geomType === GeomType.Polygon },
      { dataLayer: collection, symbolizer: new LineSymbolizer({ color, width: 2 }), filter: (z, f) => f.geomType === GeomType.Line },
      // Every cluster has a dot, under its bubble when it has room for one.
      { dataLayer: collection, symbolizer: new CircleSymbolizer({ radius: 4, fill: color, opacity: 0.7 }),
        filter: (z, f) => f.geomType === GeomType.Point && isCluster(f) },
      { dataLayer: collection, symbolizer: new CircleSymbolizer({ radius: (z) => (z >= clusterBelow ? 5 : 4), fill: color, stroke: '#fff', width: 1.5 }),
        filter: (z, f) => f.geomType === GeomType.Point && !isCluster(f) },
    ],
    // One label rule per order of magnitude, biggest first: the library
    // lets a label push out colliding labels of later rules only, so a
    // big cluster is never lost to a small one laid out before it.
    labelRules: BANDS.map((min, i) => {
      const below = i ? BANDS[i - 1] : Infinity;
      return { dataLayer: collection, symbolizer: bubbles, sort: (a, b) => b.count - a.count,
        filter: (z, f) => f.geomType === GeomType.Point && isCluster(f) && f.props.count >= min && f.props.count < below };
    }),
  });
  // The library keeps the labels of 16 tiles per zoom and drops the
  // farthest beyond that, which a 1440 × 900 screen (up to 6 × 5 tiles)
  // passes: keep enough for a large screen so no bubble goes missing.
  layer.labelers = new Labelers(layer.scratch, layer.labelRules, 64, layer.onTilesInvalidated);
  layer.stats = stats;

  const view = () => layer.views.get('');
  const loaded = new Map(); // display tile key -> prepared tile (decoded data)
  layer.on('tileload', async (e) => {
    const key = `${e.coords.x}:${e.coords.y}:${e.coords.z}`;
    try {
      loaded.set(key, await view().getDisplayTile(e.coords)); // from the library's cache
    } catch { /* aborted: the map moved on */ }
  });
  layer.on('tileunload', (e) => loaded.delete(`${e.coords.x}:${e.coords.y}:${e.coords.z}`));
  // 'load' comes straight after the last 'tileload', before its tile is
  // in `loaded`: summarise once those have settled.
  layer.on('load', () => setTimeout(() => layer.fire('summary', layer.summary()), 0));

  /**
   * features yields the features of the loaded data tiles at the map's
   * zoom, once each, with global pixel positions at their data zoom; near,
   * when given, keeps to the tiles within near.pad px of that point.
   */
  function* features(near) {
    const z = Math.round(layer._map.getZoom());
    const seen = new Set();
    for (const [key, t] of loaded) {
      if (Number(key.split(':')[2]) !== z) continue;
      const d = t.dataTile;
      const dk = `${d.z}/${d.x}/${d.y}`;
      if (seen.has(dk)) continue;
      seen.add(dk);
      if (near && (near.dz !== d.z || Math.abs(near.x - (d.x + 0.5) * TILE_PX) > TILE_PX / 2 + near.pad
        || Math.abs(near.y - (d.y + 0.5) * TILE_PX) > TILE_PX / 2 + near.pad)) continue;
      const fs = t.data.get(collection) || [];
      for (const f of fs) yield { f, dz: d.z, x: d.x * TILE_PX + f.geom[0][0].x, y: d.y * TILE_PX + f.geom[0][0].y };
    }
  }

  layer.summary = () => {
    const s = { records: 0, clusters: 0, points: 0 };
    if (!layer._map) return s;
    const map = layer._map;
    const ids = new Set(); // a point near a border is in both tiles' buffers
    const b = map.getPixelBounds();
    for (const { f, dz, x, y } of features()) {
      const k = 2 ** (dz - map.getZoom());
      if (x < b.min.x * k || x > b.max.x * k || y < b.min.y * k || y > b.max.y * k) continue;
      if (isCluster(f)) {
        s.clusters++;
        s.records += f.props.count;
        continue;
      }
      if (f.props.id !== undefined) {
        if (ids.has(f.props.id)) continue;
        ids.add(f.props.id);
      }
      s.points++;
      s.records++;
    }
    return s;
  };

  layer.pick = (latlng, reach = 6) => {
    if (!layer._map) return null;
    const map = layer._map;
    const dz = Math.min(Math.round(map.getZoom()), dataMaxZoom);
    const p = map.project(latlng, dz);
    let best = null;
    let bestD = Infinity;
    // A screen pixel is at most a pixel at the data zoom: reach (or a
    // bubble's radius, under 32 px) bounds how far a feature can be.
    for (const { f, x, y } of features({ dz, x: p.x, y: p.y, pad: Math.max(32, reach) })) {
      if (f.geomType !== GeomType.Point) continue;
      // Distances in screen pixels, whatever the magnification.
      const scale = 2 ** (map.getZoom() - dz);
      const d = Math.hypot(x - p.x, y - p.y) * scale;
      if (d <= Math.max(reach, isCluster(f) ? bubbleRadius(f.props.count) : 0) && d < bestD) {
        best = { f, x, y };
        bestD = d;
      }
    }
    if (!best) return null;
    const at = map.unproject([best.x, best.y], dz);
    const pr = best.f.props;
    if (isCluster(best.f)) {
      return { cluster: true, count: pr.count, latlng: at, zoom: zoomInto(Math.round(map.getZoom()), map.getMaxZoom(), clusterBelow) };
    }
    return { id: pr.id, name: pr.name, sector: pr.sector, type: pr.org_type, latlng: at };
  };

  return layer;
}

/**
 * zoomInto is the zoom that opens a cluster picked at zoom z: two levels
 * at a time while the server clusters every point, one near and above
 * clusterBelow, where a cluster is a crowd too dense for one tile.
 */
export function zoomInto(z, maxZoom, clusterBelow = DEFAULT_TILES.clusterBelow) {
  return Math.min(maxZoom, z < clusterBelow - 2 ? z + 2 : z + 1);
}


/**
 * KEY_REACH is how near the map's centre, in CSS pixels, a key press finds
 * a feature: half the 80 px an arrow key pans the map by (Leaflet's
 * keyboardPanDelta), so panning can bring any point within reach. The
 * cross-hair's ring is that size.
 */
const KEY_REACH = 40;

/** crosshair is the ring and cross that mark the map's centre and KEY_REACH, drawn in CSS from here (CSSOM, which the CSP allows). */
function crosshair() {
  const ink = '#1b1f1d';
  const ring = el('div', { class: 'map-crosshair', 'aria-hidden': 'true', hidden: true });
  Object.assign(ring.style, {
    position: 'absolute', left: '50%', top: '50%', width: `${2 * KEY_REACH}px`, height: `${2 * KEY_REACH}px`,
    margin: `${-KEY_REACH}px 0 0 ${-KEY_REACH}px`, border: `2px solid ${ink}`, borderRadius: '50%',
    boxShadow: '0 0 0 2px #fff, inset 0 0 0 2px #fff', pointerEvents: 'none', zIndex: '650',
  });
  for (const [w, h] of [[18, 2], [2, 18]]) {
    const bar = el('div');
    Object.assign(bar.style, { position: 'absolute', left: '50%', top: '50%', width: `${w}px`, height: `${h}px`,
      margin: `${-h / 2}px 0 0 ${-w / 2}px`, background: ink, boxShadow: '0 0 0 1px #fff' });
    ring.append(bar);
  }
  return ring;
}

/**
 * keyboardPick lets Enter or Space on the focused map do what a click at
 * its centre does on the layers drawn from tiles: a cluster zooms in, a
 * record opens its popup, into which focus moves (Escape closes it and
 * focus returns to the map). While the map has keyboard focus and such a
 * layer is on, a cross-hair marks the centre and how far it reaches; the
 * map's description (aria-describedby) names the keys, and each press
 * says what it did through announce (the status live region).
 *   pick(latlng, reach): what is there, as main.js's tiledHit: {s, hit} or null;
 *   open(found): what a click on it does;
 *   active(): whether a layer drawn from tiles is on the map.
 */
export function keyboardPick({ map, pick, open, announce, active }) {
  const box = map.getContainer();
  const cross = crosshair();
  const keys = el('p', { id: 'map-keys', class: 'visually-hidden' },
    'Arrow keys move the map; plus and minus zoom. On layers drawn from tiles, Enter or Space opens what is under the cross-hair at the centre: a cluster zooms in, a record opens its popup.');
  box.append(cross, keys);
  box.setAttribute('aria-describedby', keys.id);
  let keyed = false; // the map was focused or used by keyboard
  const show = () => { cross.hidden = !(active() && document.activeElement === box && (keyed || box.matches(':focus-visible'))); };
  box.addEventListener('focus', show);
  box.addEventListener('blur', () => { keyed = false; show(); });
  box.addEventListener('pointerdown', () => { keyed = false; cross.hidden = true; });
  map.on('layeradd layerremove', show);
  map.on('popupclose', (e) => {
    // A popup closed from inside (its × button) would leave focus nowhere.
    if (e.popup.getElement()?.contains(document.activeElement)) box.focus();
  });
  box.addEventListener('keydown', (e) => {
    if (e.target !== box) {
      if (e.key === 'Escape' && e.target.closest?.('.leaflet-popup')) {
        map.closePopup();
        box.focus();
      }
      return;
    }
    keyed = true;
    show();
    if ((e.key !== 'Enter' && e.key !== ' ') || e.altKey || e.ctrlKey || e.metaKey || !active()) return;
    e.preventDefault(); // Space would scroll the page
    const found = pick(map.getCenter(), KEY_REACH);
    if (!found) {
      announce('Nothing under the cross-hair: move the map with the arrow keys or zoom in.');
      return;
    }
    const { s, hit } = found;
    open(found);
    if (hit.cluster) {
      announce(`A cluster of ${fmt(hit.count)} in ${s.title || s.id}: zoomed in to level ${hit.zoom}.`);
      return;
    }
    const wrapper = box.querySelector('.leaflet-popup-content-wrapper');
    announce(`${hit.name || hit.id} (${s.title || s.id}): its popup is open${wrapper ? '; Escape closes it' : ''}.`);
    if (wrapper) {
      // The wrapper outlives the content, which the record's details replace.
      wrapper.setAttribute('tabindex', '-1');
      wrapper.focus();
    }
  });
}

/** bboxParam is a view as the items API's bbox, in range and crossing the antimeridian when the view does. */
function bboxParam(b) {
  const lat = (v) => Math.max(-90, Math.min(90, v)).toFixed(5);
  let [w, e] = [b.getWest(), b.getEast()];
  if (e - w >= 360) [w, e] = [-180, 180];
  else [w, e] = [w, e].map((v) => ((((v + 180) % 360) + 360) % 360) - 180);
  return [w.toFixed(5), lat(b.getSouth()), e.toFixed(5), lat(b.getNorth())].join(',');
}

/** extentOf is a collection's extent [w, s, e, n] from its metadata, which bounds every feature, or null. */
async function extentOf(collection) {
  try {
    const res = await fetch(`/collections/${encodeURIComponent(collection)}`, { headers: { Accept: 'application/json' } });
    const b = res.ok ? (await res.json()).extent?.spatial?.bbox?.[0] : null;
    return Array.isArray(b) && b.length === 4 && b.every(Number.isFinite) ? b : null;
  } catch {
    return null;
  }
}

/** covers tells whether a view holds all of the extent [w, s, e, n]. */
function covers(b, [w, s, e, n]) {
  return (b.getEast() - b.getWest() >= 360 || (b.getWest() <= w && b.getEast() >= e)) && b.getSouth() <= s && b.getNorth() >= n;
}

/** problemText says why a response failed, from its problem document when it has one. */
async function problemText(res) {
  try {
    const p = await res.json();
    return `${p.detail || p.title || res.statusText}${p.field ? ` (${p.field})` : ''}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

/** SERVER_FILTERS are the filters the items API applies: the app's facet key, its queryable, and its name in a note. */
const SERVER_FILTERS = [['sector', 'sector', 'sector'], ['type', 'org_type', 'organisation type']];

/**
 * itemsPage reads one page of a source ({id}, from the page's config) for
 * the list view from /collections/{id}/items: limit records sorted by
 * sortby (name or -name), after the keyset cursor after (null: the first
 * page), within bounds (a Leaflet LatLngBounds, or null for everywhere),
 * and, given filters (the app's facet sets), with each facet that has one
 * value as a queryable. A view that holds the source's whole extent asks
 * without a bbox: the same records, and the server then walks its name
 * index instead of sorting every record in the box (seconds for 200,000).
 * It returns {rows, total, next, unfiltered}: rows as the list shows them,
 * total the numberMatched (null when the response has none), next the
 * cursor of the following page (null on the last), unfiltered the names
 * of the facets the server could not apply (several values, or "Not
 * given"). A failed request throws an Error saying why.
 */
export async function itemsPage(source, { limit, sortby, after, bounds, filters }) {
  const collection = source.id;
  const q = new URLSearchParams({ limit: String(limit), sortby });
  if (bounds) {
    source.extent ??= extentOf(collection); // once per page load, like the rest of the config
    const ext = await source.extent;
    if (!ext || !covers(bounds, ext)) q.set('bbox', bboxParam(bounds));
  }
  const unfiltered = [];
  for (const [key, param, name] of filters ? SERVER_FILTERS : []) {
    const want = [...filters[key]];
    if (want.length === 1 && want[0] !== 'Not given') q.set(param, want[0]);
    else if (want.length) unfiltered.push(name);
  }
  if (after) q.set('after', after);
  const res = await fetch(`/collections/${encodeURIComponent(collection)}/items?${q}`, { headers: { Accept: 'application/geo+json' } });
  if (!res.ok) throw new Error(await problemText(res));
  const fc = await res.json();
  const next = (fc.links || []).find((l) => l.rel === 'next');
  return {
    rows: (fc.features || []).map((f) => {
      const p = f.properties || {};
      return { id: String(f.id), src: collection, name: p.name || '', sector: p.sector || '', type: p.org_type || '', postcode: p.postcode || '' };
    }),
    total: Number.isInteger(fc.numberMatched) ? fc.numberMatched : null,
    // The cursor only: the link's origin is the server's idea of itself.
    next: next ? new URL(next.href, window.location.href).searchParams.get('after') : null,
    unfiltered,
  };
}

/**
 * listPage is one page of a source drawn from tiles for the list view
 * (list.js), read by itemsPage ({page} is 0-based, the rest is
 * itemsPage's), with what the list says of it: count for its status line,
 * info for its pager, and note on what the server cannot do (unsortable:
 * the columns it cannot sort by; the filters it could not apply). It
 * returns {rows, next, count, info, note}; a failed request is said in
 * count, with no rows.
 */
export async function listPage(source, { page, unsortable, ...q }) {
  const title = source.title || source.id;
  const noun = source.kind === 'coops' ? 'co-ops' : 'records';
  const where = q.bounds ? ' in view' : '';
  let note = `${title} is listed from the server, ${q.limit} at a time, and sorts by name only: ${unsortable.join(', ')} cannot be sorted.`
    + (source.kind === 'coops' ? '' : ' The filters are for co-ops: this layer is not filtered.');
  let res;
  try {
    res = await itemsPage(source, q);
  } catch (e) {
    return { rows: [], next: null, count: `The list of ${title} could not be loaded: ${e.message}`, info: '', note };
  }
  if (res.unfiltered.length) note += ` Not filtered by ${res.unfiltered.join(' or ')}: the server takes one value of each, so choose one to filter.`;
  const from = page * q.limit + 1;
  const of = res.total === null ? '' : `${fmt(res.total)} `;
  return {
    rows: res.rows,
    next: res.next,
    count: res.rows.length
      ? `${of}${noun} of ${title}${where}, showing ${fmt(from)}–${fmt(from + res.rows.length - 1)}`
      : `No ${noun} of ${title}${where}: change the view${source.kind === 'coops' ? ' or the filters' : ''}.`,
    info: res.total === null ? `Page ${page + 1}` : `Page ${page + 1} of ${fmt(Math.max(1, Math.ceil(res.total / q.limit)))}`,
    note,
  };
}
