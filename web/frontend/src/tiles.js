// Large collections on the map, drawn from coopmap's own vector tiles
// (/tiles/{collection}/{z}/{x}/{y}.mvt, see web/tiles.go) by
// protomaps-leaflet on canvas. Below z14 the server clusters points on a
// 16 × 16 grid per tile: a feature with `count` > 1 is a cluster (it
// carries no id), one with count 1 or no count is a record with its `id`
// and `name`. Clusters are circles with their count, biggest first; one
// that would cover a bigger one is left as a dot, so no cluster is ever
// hidden. Records are dots in the collection's colour, lines and polygons
// are stroked. The canvas is not interactive itself: pick() finds what is
// under the pointer from the decoded tiles.
//
// main.js imports this module only when such a layer is shown, so the
// map's first load does not carry the renderer.
import 'leaflet'; // protomaps-leaflet extends the global L that Leaflet sets
import { leafletLayer, CircleSymbolizer, LineSymbolizer, PolygonSymbolizer, GeomType, Labelers } from 'protomaps-leaflet';

/**
 * DATA_MAX_ZOOM is the highest zoom the map fetches tiles at: at z14 the
 * server stops clustering (tiles.Options.ClusterBelow), and every server
 * serves it (its --tile-max-zoom is 16 unless lowered). Above it the
 * z14 tiles are drawn magnified.
 */
export const DATA_MAX_ZOOM = 14;

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
 * tiles in color. Besides a GridLayer's methods it has:
 *   pick(latlng): what is under that point, {cluster: true, count, latlng}
 *     or {id, name, latlng}, or null;
 *   summary(): {records, clusters, points} in the current view, from the
 *     tiles loaded (records counts every point clusters stand for);
 *   stats: {requests, largest} tile responses so far and the largest in bytes.
 * It fires 'summary' when every tile in view has been drawn.
 */
export function tileOverlay({ collection, color, pane }) {
  const stats = { requests: 0, largest: 0 };
  const bubbles = new ClusterSymbolizer(color);
  const layer = leafletLayer({
    url: new TileFetcher(collection, stats),
    maxDataZoom: DATA_MAX_ZOOM,
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
      { dataLayer: collection, symbolizer: new CircleSymbolizer({ radius: (z) => (z >= DATA_MAX_ZOOM ? 5 : 4), fill: color, stroke: '#fff', width: 1.5 }),
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
   * when given, keeps to the tiles within 32 px of that point.
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
      if (near && (near.dz !== d.z || Math.abs(near.x - (d.x + 0.5) * TILE_PX) > TILE_PX / 2 + 32
        || Math.abs(near.y - (d.y + 0.5) * TILE_PX) > TILE_PX / 2 + 32)) continue;
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

  layer.pick = (latlng, radius = 6) => {
    if (!layer._map) return null;
    const map = layer._map;
    const dz = Math.min(Math.round(map.getZoom()), DATA_MAX_ZOOM);
    const p = map.project(latlng, dz);
    let best = null;
    let bestD = Infinity;
    for (const { f, x, y } of features({ dz, x: p.x, y: p.y })) {
      if (f.geomType !== GeomType.Point) continue;
      // Distances in screen pixels, whatever the magnification.
      const scale = 2 ** (map.getZoom() - dz);
      const d = Math.hypot(x - p.x, y - p.y) * scale;
      const reach = isCluster(f) ? bubbleRadius(f.props.count) : radius;
      if (d <= reach && d < bestD) {
        best = { f, x, y };
        bestD = d;
      }
    }
    if (!best) return null;
    const at = map.unproject([best.x, best.y], dz);
    const pr = best.f.props;
    if (isCluster(best.f)) return { cluster: true, count: pr.count, latlng: at };
    return { id: pr.id, name: pr.name, sector: pr.sector, type: pr.org_type, latlng: at };
  };

  return layer;
}

/** zoomInto is the zoom that opens a cluster picked at zoom z. */
export function zoomInto(z, maxZoom) {
  return Math.min(maxZoom, z < DATA_MAX_ZOOM - 2 ? z + 2 : z + 1);
}
