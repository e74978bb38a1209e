// Clusters the map's co-ops off the page's main thread: boot.js sends it
// the /map/points documents as they arrive, so the cluster index is built
// while the page is still starting Leaflet, and main.js asks it for the
// clusters of a view. Messages are handled in order: an 'add' or 'filter'
// sent before a question is applied before the answer.
import Supercluster from 'supercluster';
import { passes, toRecords, parsePoints } from './points.js';

// Above CLUSTER_MAX_ZOOM every record is its own point (main.js gathers
// those at one spot).
const CLUSTER_MAX_ZOOM = 15;
const records = [];
let filters = { sector: new Set(), type: new Set(), source: new Set() };
let index = null;

/** build indexes the records the filters keep. */
function build() {
  const points = [];
  for (const r of records) {
    if (r && !r.gone && passes(r, filters, null)) {
      points.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [r.lon, r.lat] }, properties: { i: r.i } });
    }
  }
  index = new Supercluster({ radius: 80, maxZoom: CLUSTER_MAX_ZOOM, minPoints: 3 }).load(points);
}

/**
 * compact is a cluster as [lon, lat, count, clusterId], or a record as
 * [lon, lat, 1, -1, i, id, name, source]: enough to draw and open it
 * before the page has parsed the records itself.
 */
const compact = (c) => {
  const [lon, lat] = c.geometry.coordinates;
  const p = c.properties;
  if (p.cluster) return [lon, lat, p.point_count, p.cluster_id];
  const r = records[p.i];
  return [lon, lat, 1, -1, p.i, r.id, r.name, r.src];
};

const answers = {
  clusters: (m) => (index ? index.getClusters(m.bbox, m.z).map(compact) : []),
  expansion: (m) => index.getClusterExpansionZoom(m.id),
  leaves: (m) => index.getLeaves(m.id, m.limit).map((l) => l.properties.i),
};

self.onmessage = ({ data: m }) => {
  try {
    switch (m.op) {
      case 'add': // documents of /map/points, appended in the order sent
        for (const buf of m.bufs) records.push(...toRecords(parsePoints(buf), records.length));
        if (m.filters) filters = m.filters;
        if (m.build) {
          build();
          // When the first index was ready, on the clock all pages share (boot.js marks it).
          self.postMessage({ indexed: performance.timeOrigin + performance.now() });
        }
        return;
      case 'set': // a record changed in the editor, or a new one
        records[m.record.i] = m.record;
        return;
      case 'filter':
        filters = m.filters;
        build();
        return;
      default:
        self.postMessage({ seq: m.seq, result: answers[m.op](m) });
    }
  } catch (e) {
    self.postMessage({ seq: m.seq, error: String(e?.message || e) });
  }
};
