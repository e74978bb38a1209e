// The tour pages' script: the map of one tour (its routed line over the
// cycle map layer, numbered stops linked to their records), the cue
// sheet's print button and a tour's history (with revert and restore for
// token holders). The pages themselves are server-rendered
// (web/templates/pages/tour*.html) and work without it.
import 'leaflet/dist/leaflet.css';
import './style.css';
import './tours.css';
import L from 'leaflet';
import { el } from './dom.js';
import { basemapLayer, AttributionControl } from './map.js';
import { CycleLayer, routeLayer, stopIcon, stopPlaces } from './tours-map.js';

const printButton = document.getElementById('print-button');
if (printButton) {
  printButton.hidden = false;
  printButton.addEventListener('click', () => window.print());
}

// A tour's history, and a deleted tour's restore from the tours list:
// tour-history.js, loaded when asked for.
const loadHistory = () => import('./tour-history.js');
const historySection = document.getElementById('tour-history');
if (historySection) initHistory(historySection);
const deletedTours = document.getElementById('deleted-tours');
if (deletedTours) initDeletedTours(deletedTours);

const box = document.getElementById('tour-map');
if (box) drawTour(box);
else document.body.dataset.ready = 'true';

/** initHistory adds the button that shows the tour's history. */
function initHistory(section) {
  const list = el('div', { id: 'tour-history-list', class: 'tour-history-list', hidden: true });
  const toggle = el('button', { type: 'button', id: 'history-button', 'aria-expanded': 'false', 'aria-controls': list.id }, 'Show the history');
  section.append(el('p', {}, toggle), list);
  toggle.addEventListener('click', async () => {
    const open = list.hidden;
    list.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Hide the history' : 'Show the history';
    if (open) (await loadHistory()).showTourHistory(list, section.dataset.tourId);
  });
}

/**
 * tourId reads a tour's id from what was typed: the id, or the tour's
 * address; "" when it is neither.
 */
function tourId(text) {
  const m = /^(?:.*\/tours\/)?([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)(?:[./?#].*)?$/.exec(String(text).trim().toLowerCase());
  return m ? m[1] : '';
}

/**
 * initDeletedTours makes the tours list's form show the history of a
 * tour by its id: the API lists no deleted tours, so a deleted one is
 * found by the id its address had.
 */
function initDeletedTours(section) {
  const input = section.querySelector('#deleted-tour-id');
  const out = section.querySelector('#deleted-tour-history');
  section.hidden = false;
  section.querySelector('form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const id = tourId(input.value);
    if (!id) {
      out.replaceChildren(el('p', { class: 'form-error', role: 'alert' }, 'Give a tour id (lower-case letters, digits and hyphens) or the tour’s address.'));
      input.focus();
      return;
    }
    (await loadHistory()).showTourHistory(out, id);
  });
}

async function drawTour(box) {
  const d = box.dataset;
  const map = L.map(box, { attributionControl: false, scrollWheelZoom: false });
  map.createPane('cycle').style.zIndex = 380;
  map.createPane('route').style.zIndex = 420;
  const attribution = new AttributionControl().addTo(map);
  const bm = { url: d.basemapUrl, attribution: d.basemapAttribution, attributionUrl: d.basemapAttributionUrl, maxZoom: Number(d.basemapMaxZoom) };
  const base = basemapLayer(bm);
  if (base) {
    base.addTo(map);
    attribution.set('basemap', { short: bm.attribution, url: bm.attributionUrl });
  }
  attribution.set('route', { short: 'Route © OpenStreetMap contributors (ODbL)', text: d.attribution });
  map.setView([51.5, -0.12], 12);

  let tour;
  try {
    const res = await fetch(d.tour, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    tour = await res.json();
  } catch (e) {
    box.replaceChildren(el('p', { class: 'map-error' }, `The map could not load the tour (${e.message}); its stops are listed below.`));
    return;
  }
  const stops = (tour.stops || []).filter((s) => s.location);
  const bounds = L.latLngBounds(stops.map((s) => [s.location[1], s.location[0]]));
  if (tour.route && tour.route.coordinates.length > 1) {
    const line = routeLayer(tour.route.coordinates, { pane: 'route' }).addTo(map);
    line.eachLayer((l) => bounds.extend(l.getBounds()));
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });

  // Stops at one place (a round trip's start and end) share a marker.
  const places = stopPlaces(stops.map((s) => ({ ...s, lon: s.location[0], lat: s.location[1] })));
  for (const place of places) {
    const label = place.numbers.join('·');
    const names = [...new Set(place.stops.map((s) => s.name))].join(' / ');
    const marker = L.marker([place.lat, place.lon], { icon: stopIcon(label), title: `${label}. ${names}`, alt: `Stop ${label}`, riseOnHover: true, zIndexOffset: 1000 }).addTo(map);
    const popup = el('div', { class: 'popup' });
    const done = new Set();
    for (const s of place.stops) {
      if (done.has(s.feature_id || s.name)) continue;
      done.add(s.feature_id || s.name);
      const numbers = place.stops.filter((x) => (x.feature_id || x.name) === (s.feature_id || s.name)).map((x) => x.position).join(' and ');
      popup.append(el('h3', {}, `${numbers}. ${s.name}`));
      if (s.note) popup.append(el('p', {}, s.note));
      if (s.page) popup.append(el('p', { class: 'popup-links' }, el('a', { href: new URL(s.page, location.href).pathname, class: 'record-link' }, 'Open the record page')));
    }
    marker.bindPopup(popup);
  }

  if (d.cycleItems) {
    const cycle = new CycleLayer(map, d.cycleItems, { pane: 'cycle' });
    attribution.set('cycle', { short: 'Cycle map © OpenStreetMap contributors (ODbL)', text: d.cycleAttribution });
    await cycle.show();
    const toggle = document.getElementById('cycle-toggle');
    toggle?.addEventListener('change', () => {
      if (toggle.checked) {
        cycle.show();
        attribution.set('cycle', { short: 'Cycle map © OpenStreetMap contributors (ODbL)', text: d.cycleAttribution });
      } else {
        cycle.hide();
        attribution.set('cycle', null);
      }
    });
  }
  document.body.dataset.ready = 'true';
}
