// The planner's state and how it is written: in the page's URL (so a plan
// can be shared and reloaded), as the stops of /route and /route.gpx, and
// as the coopmap tour command that stores it. Pure functions, no DOM.

/**
 * A stop is {ref, name, lon, lat}: ref is a record id ("coops-uk.R035956")
 * for a stop that references a record, '' for a named point.
 */

const RECORD_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\.[^\s;@]+$/;

/** isRecordRef reports whether s has the form of a record id. */
export const isRecordRef = (s) => typeof s === 'string' && RECORD_ID.test(s);

/** pointName cleans a named point's name for the stops syntax (no ; or @). */
export const pointName = (s) => String(s || 'Stop').replace(/[;@]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200) || 'Stop';

const num = (v) => String(Math.round(v * 1e6) / 1e6);

/** stopSpec writes one stop as the coopmap tour command takes it. */
export function stopSpec(s) {
  return s.ref ? s.ref : `${pointName(s.name)}@${num(s.lon)},${num(s.lat)}`;
}

/** stopsSpec writes the stops, ; separated; a round trip adds the first again. */
export function stopsSpec(stops, { round = false } = {}) {
  const list = stops.map(stopSpec);
  if (round && list.length > 1) list.push(list[0]);
  return list.join(';');
}

/** parseStops reads the stops parameter: refs to resolve, and named points. */
export function parseStops(spec, max = 50) {
  const out = [];
  for (const item of String(spec || '').split(';')) {
    const t = item.trim();
    if (!t || out.length >= max) continue;
    const at = t.lastIndexOf('@');
    const ref = at >= 0 ? t.slice(0, at).trim() : t;
    if (isRecordRef(ref)) {
      out.push({ ref, name: ref, lon: NaN, lat: NaN });
      continue;
    }
    if (at < 0) continue;
    const [lon, lat] = t.slice(at + 1).split(',').map(Number);
    if (Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 90) {
      out.push({ ref: '', name: pointName(ref), lon, lat });
    }
  }
  return out;
}

// enc escapes a query value but keeps the characters the stops syntax
// uses readable: ; , @ : and the dots and hyphens of record ids.
const enc = (s) => encodeURIComponent(s).replace(/%3B/gi, ';').replace(/%2C/gi, ',').replace(/%40/gi, '@').replace(/%3A/gi, ':');

/**
 * readPlan reads the plan from a query string: stops, round (1 for a
 * round trip), end (free lets "optimise" end anywhere), title and tour
 * (the id of the tour being edited).
 */
export function readPlan(search) {
  const q = new URLSearchParams(search);
  return {
    stops: parseStops(q.get('stops')),
    round: q.get('round') === '1' || q.get('round') === 'true',
    freeEnd: q.get('end') === 'free',
    title: (q.get('title') || '').slice(0, 200),
    tour: /^[a-z0-9-]{1,64}$/.test(q.get('tour') || '') ? q.get('tour') : '',
  };
}

/** planQuery writes the plan as the query string readPlan reads. */
export function planQuery(plan) {
  const parts = [];
  if (plan.tour) parts.push(`tour=${enc(plan.tour)}`);
  if (plan.title) parts.push(`title=${enc(plan.title)}`);
  if (plan.stops.length) parts.push(`stops=${enc(stopsSpec(plan.stops))}`);
  if (plan.round) parts.push('round=1');
  if (plan.freeEnd) parts.push('end=free');
  return parts.length ? `?${parts.join('&')}` : '';
}

/** routeQuery is the query of /route for the plan's stops. */
export function routeQuery(plan, { optimise = false } = {}) {
  const pts = plan.stops.map((s) => `${num(s.lon)},${num(s.lat)}`).join(';');
  let q = `points=${enc(pts)}`;
  if (plan.round) q += '&roundtrip=true';
  if (optimise) q += `&order=optimize&end=${plan.freeEnd && !plan.round ? 'free' : 'fixed'}`;
  return q;
}

/** gpxURL is the plan's GPX download (/route.gpx). */
export function gpxURL(plan) {
  let q = `stops=${enc(stopsSpec(plan.stops))}`;
  if (plan.round) q += '&roundtrip=true';
  q += `&title=${enc(plan.title || 'Co-op bike tour')}`;
  return `/route.gpx?${q}`;
}

/** slug makes a tour id from a title: lower-case letters, digits, hyphens. */
export function slug(title) {
  const s = String(title || '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '');
  return s || 'my-tour';
}

/** shellQuote quotes s for a POSIX shell. */
export const shellQuote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * cliCommand is the coopmap command that stores the plan: tour update for
 * the tour being edited, tour create otherwise. The stops go in the order
 * shown (--order keep), so the stored tour is the plan on screen.
 */
export function cliCommand(plan, { graph = './coopmap.graph' } = {}) {
  const title = plan.title || 'Co-op bike tour';
  const args = ['coopmap', 'tour'];
  if (plan.tour) args.push('update', '--graph', graph, '--id', plan.tour, '--title', shellQuote(title));
  else args.push('create', '--graph', graph, '--id', slug(title), '--title', shellQuote(title));
  args.push('--stops', shellQuote(stopsSpec(plan.stops, { round: plan.round })));
  return args.join(' ');
}

/**
 * tourJSON is the plan as the tour a write API stores: its id, title and
 * stops (references or named points) in riding order, to be routed by the
 * server (route: true) in that order.
 */
export function tourJSON(plan) {
  const stops = plan.stops.map((s) => (s.ref ? { feature_id: s.ref } : { name: pointName(s.name), location: [s.lon, s.lat] }));
  if (plan.round && stops.length > 1) stops.push(stops[0]);
  return { id: plan.tour || slug(plan.title), title: plan.title || 'Co-op bike tour', stops, route: true };
}

/** move returns list with the item at from moved to index to. */
export function move(list, from, to) {
  const out = list.slice();
  if (from < 0 || from >= out.length || to < 0 || to >= out.length) return out;
  const [x] = out.splice(from, 1);
  out.splice(to, 0, x);
  return out;
}

/** reorder puts stops in the order /route?order=optimize returned. */
export function reorder(stops, order) {
  const seen = new Set();
  const out = [];
  for (const i of order || []) {
    if (seen.has(i) || !stops[i]) continue;
    seen.add(i);
    out.push(stops[i]);
  }
  return out.length === stops.length ? out : stops;
}
