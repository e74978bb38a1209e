// The app's state lives in the URL, so any view can be shared and reloaded
// exactly: filters, selection, list view (with what it lists and its
// order), overlays and embed mode in the query string, the map's view in
// the hash (#map=zoom/lat/lon).

const FACETS = ['sector', 'type', 'source'];
/** SORTS are the list's orders: a column, descending with a leading '-'. */
const SORTS = /^-?(name|sector|type|postcode)$/;

/** readState parses a location into the app's state. */
export function readState(loc = window.location) {
  const p = new URLSearchParams(loc.search);
  const s = {
    filters: Object.fromEntries(FACETS.map((f) => [f, new Set(p.getAll(f).filter(Boolean))])),
    sel: p.get('sel') || null,
    view: p.get('view') === 'list' ? 'list' : 'map',
    list: p.get('list') || null, // a source drawn from tiles that the list view lists
    sort: SORTS.test(p.get('sort') || '') ? p.get('sort') : 'name',
    layers: new Set(p.getAll('layer').filter(Boolean)),
    embed: p.get('embed') === '1',
    map: null,
  };
  const m = /^#map=(\d{1,2})\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(loc.hash);
  if (m) {
    const [z, lat, lon] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (z <= 22 && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) s.map = { z, lat, lon };
  }
  return s;
}

/** stateURL is the path, query and hash that reproduce s. */
export function stateURL(s, { embed = s.embed } = {}) {
  const p = new URLSearchParams();
  for (const f of FACETS) for (const v of [...s.filters[f]].sort()) p.append(f, v);
  if (s.sel) p.set('sel', s.sel);
  if (s.view === 'list') p.set('view', 'list');
  if (s.list) p.set('list', s.list);
  if (s.sort && s.sort !== 'name') p.set('sort', s.sort);
  for (const l of [...s.layers].sort()) p.append('layer', l);
  if (embed) p.set('embed', '1');
  const q = p.toString();
  const hash = s.map ? `#map=${s.map.z}/${s.map.lat.toFixed(5)}/${s.map.lon.toFixed(5)}` : '';
  return `/${q ? `?${q}` : ''}${hash}`;
}

/** writeState puts s in the address bar without adding history entries. */
export function writeState(s) {
  const url = stateURL(s);
  if (url !== window.location.pathname + window.location.search + window.location.hash) {
    window.history.replaceState(null, '', url);
  }
}
