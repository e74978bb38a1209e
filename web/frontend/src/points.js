// The map's point sets (docs/API.md, /map/points): a source's records
// come in two parts, the binary positions and categories the map draws
// and filters first, and the labels (ids, names, postcodes) that follow
// in the same order. Both are read into plain columns here.

const MAGIC = 'CMP1';
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * readPositions reads a /map/points/{collection}/positions body into
 * {meta, count, coords, sector, orgType}: meta is the source's JSON
 * (collection, title, licence, attribution, version, sectors, orgTypes);
 * coords holds lon, lat pairs in 1e-5 degrees, sector and orgType index
 * meta's lists (-1 for none). It throws on a body that is not one.
 * view (the default on a little-endian machine, every browser's in
 * practice) makes the columns views of buf instead of copies.
 */
export function readPositions(buf, { view = LITTLE_ENDIAN } = {}) {
  if (!(buf instanceof ArrayBuffer) || buf.byteLength < 12) throw new Error('not a point set');
  const v = new DataView(buf);
  const magic = String.fromCharCode(v.getUint8(0), v.getUint8(1), v.getUint8(2), v.getUint8(3));
  if (magic !== MAGIC) throw new Error('not a point set');
  const count = v.getUint32(4, true);
  const metaLength = v.getUint32(8, true);
  if (metaLength % 4 || buf.byteLength !== 12 + metaLength + 16 * count) throw new Error('a point set of the wrong length');
  const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 12, metaLength)));
  let at = 12 + metaLength;
  const column = (n) => {
    let a;
    if (view) a = new Int32Array(buf, at, n);
    else {
      a = new Int32Array(n);
      for (let k = 0; k < n; k++) a[k] = v.getInt32(at + 4 * k, true);
    }
    at += 4 * n;
    return a;
  };
  return { meta, count, coords: column(2 * count), sector: column(count), orgType: column(count) };
}

/**
 * splitDoc turns the one-piece /map/points/{collection} JSON into the
 * two parts readPositions and the labels give.
 */
export function splitDoc(doc) {
  const { ids, names, postcodes, coords, sector, orgType, ...meta } = doc;
  return {
    positions: { meta, count: doc.count, coords: Int32Array.from(coords, (c) => Math.round(c * 1e5)), sector: Int32Array.from(sector), orgType: Int32Array.from(orgType) },
    labels: { collection: doc.collection, version: doc.version, count: doc.count, ids, names, postcodes },
  };
}

/** matches reports whether labels belong to the same version of the source as positions. */
export function matches(positions, labels) {
  return labels.collection === positions.meta.collection && labels.version === positions.meta.version && labels.count === positions.count &&
    [labels.ids, labels.names, labels.postcodes].every((a) => Array.isArray(a) && a.length === positions.count);
}
