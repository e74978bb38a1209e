// The co-ops' points as the map holds them, shared by the page (main.js)
// and the clustering worker (cluster-worker.js), which must agree on every
// record's index and on what the filters keep.

/** FACET_VALUE gives a record's value for each filter facet. */
export const FACET_VALUE = {
  sector: (r) => r.sector || 'Not given',
  type: (r) => r.type || 'Not given',
  source: (r) => r.src,
};

/**
 * passes tells whether record r is kept by filters ({sector, type,
 * source}: Sets of wanted values, empty for all), ignoring facet except.
 */
export function passes(r, filters, except) {
  for (const key of Object.keys(FACET_VALUE)) {
    if (key === except) continue;
    const want = filters[key];
    if (want.size && !want.has(FACET_VALUE[key](r))) return false;
  }
  return true;
}

/**
 * toRecords turns one /map/points document (web/pages_points.go: column
 * arrays) into records {i, src, id, name, postcode, lon, lat, sector,
 * type}, numbered from first.
 */
export function toRecords(doc, first) {
  const out = new Array(doc.count);
  for (let k = 0; k < doc.count; k++) {
    out[k] = {
      i: first + k, src: doc.collection, id: doc.ids[k], name: doc.names[k], postcode: doc.postcodes[k],
      lon: doc.coords[2 * k], lat: doc.coords[2 * k + 1],
      sector: doc.sector[k] >= 0 ? doc.sectors[doc.sector[k]] : '',
      type: doc.orgType[k] >= 0 ? doc.orgTypes[doc.orgType[k]] : '',
    };
  }
  return out;
}

/** parsePoints decodes a /map/points response body. */
export const parsePoints = (buf) => JSON.parse(new TextDecoder().decode(buf));
