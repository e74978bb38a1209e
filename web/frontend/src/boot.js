// The first of the map's code to run: it reads the page's settings and
// the URL's state, and hands the co-ops' points (whose fetch the server's
// <link rel=preload> started with the page) to the clustering worker, so
// that parsing and clustering them runs beside the start of Leaflet and
// the app instead of after it. The server loads this module as its own
// <script async> before main.js, which imports it too (one instance).
import { readState } from './state.js';

performance.mark('coopmap-boot');

/** config is the map's settings the server put in the page (web/static.go mapConfig). */
export const config = JSON.parse(document.getElementById('coopmap-config').textContent);
/** state is the app's state from the URL (state.js). */
export const state = readState();

// MAX_OVERLAY is the most features an overlay is drawn with as GeoJSON,
// from one /items page; MAX_POINTS the most co-ops a source may have to be
// clustered in the browser (the server's /map/points limit, maxMapPoints
// in web/pages_points.go). Larger collections are drawn from vector tiles.
export const MAX_OVERLAY = 10000;
export const MAX_POINTS = 100000;
/** tiled tells whether source s is drawn from vector tiles. */
export const tiled = (s) => s.count > (s.kind === 'coops' ? MAX_POINTS : MAX_OVERLAY);
/** shown tells whether a source is switched on (co-ops by the source filter, overlays by the layers list). */
export const shown = (s) => (s.kind === 'coops' ? !state.filters.source.size || state.filters.source.has(s.id) : state.layers.has(s.id));

const worker = new Worker(new URL('./cluster-worker.js', import.meta.url), { type: 'module' });
const pending = new Map(); // seq -> {ok, fail}
let seq = 0;
worker.onmessage = ({ data }) => {
  if (data.indexed) performance.mark('coopmap-indexed', { startTime: data.indexed - performance.timeOrigin });
  const p = pending.get(data.seq);
  pending.delete(data.seq);
  if (data.error) p?.fail(new Error(data.error));
  else p?.ok(data.result);
};
worker.onerror = (e) => {
  for (const p of pending.values()) p.fail(new Error(e.message || 'the clustering worker failed'));
  pending.clear();
};

/**
 * clusters is the worker's interface: tell(op, message, transfer) sends
 * a change ('add', 'set', 'filter'); ask(op, message) a question
 * ('clusters', 'expansion', 'leaves') whose answer it resolves to.
 */
export const clusters = {
  tell(op, message = {}, transfer = []) { worker.postMessage({ ...message, op }, transfer); },
  ask(op, message = {}) {
    return new Promise((ok, fail) => {
      pending.set(++seq, { ok, fail });
      worker.postMessage({ ...message, op, seq });
    });
  },
};

/**
 * firstTiles is the import of tiles.js, started here when a source drawn
 * from vector tiles shows at start (main.js's loadTiles takes it), so its
 * code loads beside the app's instead of after it; null otherwise.
 */
export const firstTiles = config.sources.some((s) => tiled(s) && shown(s)) ? import('./tiles.js') : null;

/** fetchPoints fetches one source's /map/points body. */
export async function fetchPoints(s) {
  const res = await fetch(`/map/points/${encodeURIComponent(s.id)}`);
  if (!res.ok) throw new Error(`${s.id}: ${res.status}`);
  return res.arrayBuffer();
}

/** firstSources are the co-op sources clustered in the browser at start. */
export const firstSources = config.sources.filter((s) => s.kind === 'coops' && !tiled(s) && shown(s));

/**
 * firstPoints resolves to the bodies of firstSources' points, in that
 * order, once the worker has them too and is indexing them.
 */
export const firstPoints = Promise.all(firstSources.map(fetchPoints)).then((bufs) => {
  performance.mark('coopmap-fetched');
  const copies = bufs.map((b) => b.slice(0));
  clusters.tell('add', { bufs: copies, filters: state.filters, build: true }, copies);
  return bufs;
});

// main.js (which imports this module) waits here, up to MAX_HOLD ms, for
// the points: the server's preload has usually brought them by now, and
// handing them over before Leaflet and the app start lets the worker
// cluster while they do, instead of after. Past MAX_HOLD the app starts
// anyway and the worker gets them when they come.
const MAX_HOLD = 250;
await Promise.race([firstPoints.catch(() => {}), new Promise((ok) => { setTimeout(ok, MAX_HOLD); })]);
