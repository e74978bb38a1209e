// The tour planner (/plan): pick co-ops by search or on the map, reorder
// them by drag (sortablejs) or with the buttons, optimise the order with
// /route?order=optimize, and see the route, legs and totals as they
// change. The plan lives in the URL (plan-state.js), so it can be shared
// and reloaded; it downloads as GPX from /route.gpx and is saved with
// the coopmap command or, where the server has one, a write API
// (plan-save.js). Data reaches the DOM only as text.
import 'leaflet/dist/leaflet.css';
import './style.css';
import './tours.css';
import L from 'leaflet';
import Sortable from 'sortablejs';
import { el, clear, recordPath } from './dom.js';
import { basemapLayer, AttributionControl, pointIcon } from './map.js';
import { initSearch } from './search.js';
import { CycleLayer, routeLayer, stopIcon, stopPlaces, km, rideTime } from './tours-map.js';
import { readPlan, planQuery, routeQuery, gpxURL, move, reorder, isRecordRef } from './plan-state.js';
import { initSave } from './plan-save.js';

const $ = (id) => document.getElementById(id);
const config = JSON.parse($('coopmap-config').textContent);
const sources = new Map(config.sources.map((s) => [s.id, s]));
const MAX = config.maxStops || 50;
const plan = readPlan(location.search);

// ---- the map ---------------------------------------------------------
const map = L.map('map', { attributionControl: false, minZoom: 5 });
map.createPane('cycle').style.zIndex = 380;
map.createPane('route').style.zIndex = 420;
const attribution = new AttributionControl().addTo(map);
const basemap = basemapLayer(config.basemap);
if (basemap) {
  basemap.addTo(map);
  attribution.set('basemap', { short: config.basemap.attribution, url: config.basemap.attributionUrl });
}
attribution.set('route', { short: 'Routes © OpenStreetMap contributors (ODbL)' });
if (config.bounds) {
  const [w, s, e, n] = config.bounds;
  map.fitBounds([[s, w], [n, e]]);
} else {
  map.fitBounds([[49.9, -7.6], [58.7, 1.8]]);
}
if (config.cycle) {
  new CycleLayer(map, config.cycle.items, { pane: 'cycle' }).show();
  attribution.set('cycle', { short: 'Cycle map © OpenStreetMap contributors (ODbL)', text: config.cycle.attribution });
}
const coopLayer = L.layerGroup().addTo(map);
const stopLayer = L.layerGroup().addTo(map);
let line = null;

// ---- the panel -------------------------------------------------------
const list = $('plan-stops');
const statusBox = $('plan-status');
function status(text, isError = false) {
  statusBox.textContent = text;
  statusBox.classList.toggle('error', isError);
}
const title = $('plan-title');
const round = $('plan-round');
const freeEnd = $('plan-free-end');
const saver = initSave($('plan-save'), config.save, { getPlan: () => plan, status });

title.value = plan.title;
round.checked = plan.round;
freeEnd.checked = plan.freeEnd;
title.addEventListener('input', () => { plan.title = title.value.trim(); changed({ reroute: false }); });
round.addEventListener('change', () => { plan.round = round.checked; changed(); });
freeEnd.addEventListener('change', () => { plan.freeEnd = freeEnd.checked; changed({ reroute: false }); });

Sortable.create(list, {
  animation: 150,
  handle: '.drag',
  forceFallback: true, // mouse and touch events, not HTML5 drag and drop: the same on every device
  onEnd: (e) => {
    if (e.oldIndex === e.newIndex) return;
    plan.stops = move(plan.stops, e.oldIndex, e.newIndex);
    status(`Moved ${plan.stops[e.newIndex].name} to position ${e.newIndex + 1}.`);
    changed();
  },
});

$('plan-optimise').addEventListener('click', optimise);
$('plan-reverse').addEventListener('click', () => {
  plan.stops = plan.stops.slice().reverse();
  status('Reversed the order of the stops.');
  changed();
});
$('plan-clear').addEventListener('click', () => {
  plan.stops = [];
  status('Cleared the stops.');
  changed();
});

const pagePath = (s) => {
  if (!s.ref) return null;
  const src = s.ref.slice(0, s.ref.indexOf('.'));
  return recordPath(src, s.ref, sources.get(src)?.kind || 'coops');
};

function renderStops() {
  clear(list);
  $('plan-empty').hidden = plan.stops.length > 0;
  plan.stops.forEach((s, i) => {
    const n = i + 1;
    const path = pagePath(s);
    const up = el('button', { type: 'button', class: 'move-up', 'aria-label': `Move stop ${n}, ${s.name}, up`, title: 'Move up', disabled: i === 0 }, '↑');
    const down = el('button', { type: 'button', class: 'move-down', 'aria-label': `Move stop ${n}, ${s.name}, down`, title: 'Move down', disabled: i === plan.stops.length - 1 }, '↓');
    const remove = el('button', { type: 'button', class: 'remove', 'aria-label': `Remove stop ${n}, ${s.name}`, title: 'Remove' }, '×');
    up.addEventListener('click', () => shift(i, -1, 'up'));
    down.addEventListener('click', () => shift(i, 1, 'down'));
    remove.addEventListener('click', () => {
      plan.stops = plan.stops.filter((_, k) => k !== i);
      status(`Removed ${s.name}.`);
      changed();
      (list.querySelectorAll('.remove')[Math.min(i, plan.stops.length - 1)] || $('search-input')).focus();
    });
    list.append(el('li', { class: 'plan-stop', 'data-ref': s.ref || null },
      el('span', { class: 'drag', 'aria-hidden': 'true', title: 'Drag to reorder' }, '⠿'),
      el('span', { class: 'stop-number', 'aria-hidden': 'true' }, String(n)),
      el('span', { class: 'stop-body' },
        path ? el('a', { class: 'stop-name', href: path }, s.name) : el('span', { class: 'stop-name' }, s.name),
        s.ref ? null : el('span', { class: 'stop-meta' }, 'named point')),
      up, down, remove));
  });
}

function shift(i, by, word) {
  const j = i + by;
  if (j < 0 || j >= plan.stops.length) return;
  plan.stops = move(plan.stops, i, j);
  status(`Moved ${plan.stops[j].name} ${word} to position ${j + 1}.`);
  changed();
  const again = list.querySelectorAll(by < 0 ? '.move-up' : '.move-down')[j];
  (again && !again.disabled ? again : list.querySelectorAll('.plan-stop')[j]?.querySelector('button:not([disabled])'))?.focus();
}

function renderStopMarkers() {
  stopLayer.clearLayers();
  for (const place of stopPlaces(plan.stops)) {
    const label = place.numbers.join('·');
    const names = [...new Set(place.stops.map((s) => s.name))].join(' / ');
    L.marker([place.lat, place.lon], { icon: stopIcon(label), title: `${label}. ${names}`, alt: `Stop ${label}`, zIndexOffset: 1000, keyboard: false }).addTo(stopLayer);
  }
}

// ---- adding stops ------------------------------------------------------
function addStop(stop) {
  if (plan.stops.length >= MAX) {
    status(`A tour has at most ${MAX} stops.`, true);
    return;
  }
  const last = plan.stops[plan.stops.length - 1];
  if (last && ((stop.ref && last.ref === stop.ref) || (last.lon === stop.lon && last.lat === stop.lat))) {
    status(`${stop.name} is already the last stop; consecutive stops must be at different places.`, true);
    return;
  }
  plan.stops = [...plan.stops, stop];
  status(`Added ${stop.name} as stop ${plan.stops.length}.`);
  changed();
}

function stopFromFeature(f) {
  const [lon, lat] = f.geometry?.type === 'Point' ? f.geometry.coordinates : [NaN, NaN];
  const p = f.properties || {};
  return { ref: isRecordRef(String(f.id)) ? String(f.id) : '', name: p.name || String(f.id), lon, lat };
}

initSearch({
  input: $('search-input'), results: $('search-results'), status: $('search-status'), form: $('search-form'),
  onFeature: (f) => {
    const s = stopFromFeature(f);
    if (!Number.isFinite(s.lon)) { status(`${s.name} has no point location to ride to.`, true); return; }
    addStop(s);
    map.setView([s.lat, s.lon], Math.max(map.getZoom(), 14));
    $('search-input').value = '';
  },
  onPlace: (p) => {
    if (p.bbox) map.fitBounds([[p.bbox[1], p.bbox[0]], [p.bbox[3], p.bbox[2]]]);
    else if (p.center) map.setView([p.center[1], p.center[0]], 16);
  },
});

// Co-ops in view are markers from zoom 13; each opens a popup with an
// "Add" button, and Enter on a focused marker opens it. Markers once
// loaded stay, so a popup that pans the map is not redrawn away.
const COOP_ZOOM = 13;
const coopMarkers = new Map();
let coopSeq = 0;
async function loadCoops() {
  const mine = ++coopSeq;
  if (map.getZoom() < COOP_ZOOM) {
    coopLayer.clearLayers();
    coopMarkers.clear();
    return;
  }
  const b = map.getBounds().pad(0.2);
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(',');
  const features = [];
  for (const src of config.sources.filter((s) => s.kind === 'coops')) {
    try {
      const res = await fetch(`/collections/${encodeURIComponent(src.id)}/items?bbox=${bbox}&limit=500&f=json`, { headers: { Accept: 'application/geo+json' } });
      if (res.ok) features.push(...((await res.json()).features || []));
    } catch { /* the map keeps what it has */ }
  }
  if (mine !== coopSeq || map.getZoom() < COOP_ZOOM) return;
  for (const f of features) {
    const s = stopFromFeature(f);
    if (!Number.isFinite(s.lon) || coopMarkers.has(f.id)) continue;
    const p = f.properties || {};
    const add = el('button', { type: 'button', class: 'add-stop primary' }, 'Add to the tour');
    const content = el('div', { class: 'popup' },
      el('h3', {}, s.name),
      el('p', { class: 'popup-source' }, [p.sector, p.postcode].filter(Boolean).join(' · ')),
      el('p', { class: 'popup-links' }, el('a', { href: pagePath(s), class: 'record-link' }, 'Record page')),
      add);
    const marker = L.marker([s.lat, s.lon], { icon: pointIcon('coop'), title: s.name, alt: s.name }).bindPopup(content);
    add.addEventListener('click', () => { addStop(s); marker.closePopup(); });
    coopMarkers.set(f.id, marker);
    marker.addTo(coopLayer);
  }
}
map.on('moveend', loadCoops);

// ---- routing -------------------------------------------------------------
let routeSeq = 0;
let routeTimer = 0;
let lastTotal = null;
const setRouteState = (v) => { document.body.dataset.route = v; };

function changed({ reroute = true } = {}) {
  renderStops();
  renderStopMarkers();
  const query = planQuery(plan);
  history.replaceState(null, '', `/plan${query}`);
  $('plan-share').value = location.href;
  saver.update(plan);
  const gpx = $('plan-gpx');
  if (plan.stops.length >= 2 && config.routing) {
    gpx.setAttribute('href', gpxURL(plan));
    gpx.removeAttribute('aria-disabled');
  } else {
    gpx.removeAttribute('href');
    gpx.setAttribute('aria-disabled', 'true');
  }
  $('plan-optimise').disabled = plan.stops.length < 3;
  if (reroute) {
    clearTimeout(routeTimer);
    setRouteState('busy');
    routeTimer = setTimeout(() => routeNow(), 150);
  }
}

async function fetchRoute(query) {
  const res = await fetch(`/route?${query}`, { headers: { Accept: 'application/geo+json' } });
  const doc = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = new Error(problemText(doc));
    e.problem = doc;
    throw e;
  }
  return doc;
}

// problemText explains a problem from /route in the stops' names.
function problemText(p) {
  const m = /^points\[(\d+)\]/.exec(p.field || '');
  const who = m && plan.stops[Number(m[1])] ? `Stop ${Number(m[1]) + 1}, ${plan.stops[Number(m[1])].name}: ` : '';
  return `${who}${p.detail || p.title || 'the route could not be planned'}`;
}

async function routeNow() {
  const mine = ++routeSeq;
  if (!config.routing) {
    showRoute(null);
    $('plan-total').textContent = 'This server has no routing graph, so plans cannot be routed here.';
    setRouteState('none');
    return;
  }
  if (plan.stops.length < 2) {
    showRoute(null);
    setRouteState('none');
    return;
  }
  try {
    const doc = await fetchRoute(routeQuery(plan));
    if (mine !== routeSeq) return;
    showRoute(doc);
    setRouteState('ok');
  } catch (e) {
    if (mine !== routeSeq) return;
    showRoute(null);
    $('plan-total').textContent = 'No route.';
    status(e.message, true);
    setRouteState('error');
  }
}

async function optimise() {
  if (plan.stops.length < 3) return;
  clearTimeout(routeTimer);
  const mine = ++routeSeq;
  setRouteState('busy');
  const before = lastTotal;
  status(plan.stops.length <= (config.maxExactOrder || 9) ? 'Finding the best order…' : 'Finding a good order…');
  try {
    const doc = await fetchRoute(routeQuery(plan, { optimise: true }));
    if (mine !== routeSeq) return;
    const props = doc.features[0].properties;
    plan.stops = reorder(plan.stops, props.order);
    changed({ reroute: false });
    // The legs name stops by their index in the order sent.
    showRoute(doc, (i) => props.order.indexOf(i));
    const exact = plan.stops.length <= (config.maxExactOrder || 9) ? 'the quickest order' : 'a good order (exact up to ' + (config.maxExactOrder || 9) + ' stops)';
    status(before != null ? `Optimised to ${exact}: ${km(before)} → ${km(props.distance_m)}.` : `Optimised to ${exact}.`);
    setRouteState('ok');
  } catch (e) {
    if (mine !== routeSeq) return;
    status(e.message, true);
    setRouteState('error');
  }
}

function showRoute(doc, at = (i) => i) {
  line?.remove();
  line = null;
  const table = $('plan-legs');
  const body = table.tBodies[0];
  clear(body);
  if (!doc) {
    table.hidden = true;
    lastTotal = null;
    $('plan-total').textContent = plan.stops.length < 2 ? 'Add at least 2 stops.' : '';
    return;
  }
  const route = doc.features[0];
  const props = route.properties;
  lastTotal = props.distance_m;
  line = routeLayer(route.geometry.coordinates, { pane: 'route' }).addTo(map);
  const stop = (i) => `${at(i) + 1}. ${plan.stops[at(i)]?.name || ''}`;
  props.legs.forEach((l, k) => {
    body.append(el('tr', {},
      el('th', { scope: 'row' }, String(k + 1)),
      el('td', {}, `${stop(l.from)} → ${stop(l.to)}`),
      el('td', {}, km(l.distance_m)),
      el('td', {}, rideTime(l.duration_s))));
  });
  table.hidden = false;
  const total = $('plan-total');
  clear(total).append('Total ', el('strong', { id: 'plan-distance' }, km(props.distance_m)), ', about ', el('strong', { id: 'plan-time' }, rideTime(props.duration_s)), ` by bike${plan.round ? ', back to the start' : ''}.`);
  document.body.dataset.routeDistance = String(props.distance_m);
}

// ---- start -------------------------------------------------------------
// Stops in the URL that reference records are looked up for their names
// and places; a tour to edit (?tour=id) supplies its stops when the URL
// has none.
async function resolve() {
  if (!plan.stops.length && plan.tour) {
    try {
      const res = await fetch(`/tours/${encodeURIComponent(plan.tour)}.json`, { headers: { Accept: 'application/json' } });
      if (res.ok) {
        const t = await res.json();
        let stops = (t.stops || []).filter((s) => s.location).map((s) => ({ ref: s.feature_id || '', name: s.name, lon: s.location[0], lat: s.location[1] }));
        const a = stops[0];
        const z = stops[stops.length - 1];
        if (stops.length > 2 && a.lon === z.lon && a.lat === z.lat && a.ref === z.ref) {
          stops = stops.slice(0, -1);
          plan.round = true;
          round.checked = true;
        }
        plan.stops = stops;
        if (!plan.title) { plan.title = t.title || ''; title.value = plan.title; }
        status(`Editing the tour ${t.title}.`);
      } else {
        status(`No tour ${plan.tour}; planning a new one.`, true);
        plan.tour = '';
      }
    } catch { /* keep an empty plan */ }
  }
  const missing = [];
  await Promise.all(plan.stops.map(async (s) => {
    if (!s.ref || Number.isFinite(s.lon)) return;
    const src = s.ref.slice(0, s.ref.indexOf('.'));
    try {
      const res = await fetch(`/collections/${encodeURIComponent(src)}/items/${encodeURIComponent(s.ref)}?f=json`, { headers: { Accept: 'application/geo+json' } });
      if (!res.ok) throw new Error();
      Object.assign(s, stopFromFeature(await res.json()));
    } catch {
      missing.push(s.ref);
    }
  }));
  plan.stops = plan.stops.filter((s) => Number.isFinite(s.lon) && Number.isFinite(s.lat));
  if (missing.length) status(`Left out ${missing.length} stop(s) whose record is gone: ${missing.join(', ')}.`, true);
  if (plan.stops.length) map.fitBounds(L.latLngBounds(plan.stops.map((s) => [s.lat, s.lon])), { padding: [40, 40], maxZoom: 15 });
}

resolve().then(() => {
  changed();
  loadCoops();
  document.body.dataset.ready = 'true';
});
