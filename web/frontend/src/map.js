// Leaflet pieces shared by the map app and the record pages: the basemap
// from the server's settings, and an attribution control that puts text
// into the DOM as text (Leaflet's own control takes HTML strings).
import L from 'leaflet';
import { el, append, clear, safeHref } from './dom.js';

/** basemapLayer is the raster basemap of config, or null when it is off. */
export function basemapLayer(bm) {
  if (!bm || !bm.url) return null;
  return L.tileLayer(bm.url, { maxZoom: bm.maxZoom || 19, subdomains: 'abc', crossOrigin: false });
}

/**
 * AttributionControl lists the attribution of every visible layer. Each
 * entry is {key, short, text, url}: `short` shows at all times, `text` (the
 * source's full attribution) when the control is opened.
 */
export const AttributionControl = L.Control.extend({
  options: { position: 'bottomright' },
  onAdd() {
    this._entries = new Map();
    this._div = el('div', { class: 'attribution leaflet-control' });
    L.DomEvent.disableClickPropagation(this._div);
    L.DomEvent.disableScrollPropagation(this._div);
    this._render();
    return this._div;
  },
  set(key, entry) {
    if (entry) this._entries.set(key, entry);
    else this._entries.delete(key);
    if (this._div) this._render();
  },
  _render() {
    const entries = [...this._entries.values()];
    const short = [];
    entries.forEach((e, i) => {
      if (i) short.push(' · ');
      const href = safeHref(e.url);
      short.push(href ? el('a', { href, rel: 'noopener noreferrer', target: '_blank' }, e.short) : e.short);
    });
    const full = entries.filter((e) => e.text).map((e) => el('p', {}, el('strong', {}, e.short), ': ', e.text));
    const details = el('details', {}, el('summary', { title: 'Data sources and licences' }, el('span', { class: 'leaflet-link' }, 'Leaflet'), ' · ', short));
    append(details, full);
    clear(this._div).append(details);
  },
});

/** pointIcon is the marker of one record. */
export function pointIcon(className = '') {
  return L.divIcon({ className: `point ${className}`, html: false, iconSize: [14, 14] });
}

/** clusterIcon is the marker of a cluster of count records. */
export function clusterIcon(count) {
  const size = count < 10 ? 's' : count < 100 ? 'm' : count < 1000 ? 'l' : 'xl';
  const px = { s: 30, m: 36, l: 44, xl: 52 }[size];
  const label = count >= 10000 ? `${Math.round(count / 1000)}k` : String(count);
  // elementtiming: the browser records when the first cluster is painted (bench/web.sh).
  return L.divIcon({ className: `cluster cluster-${size}`, html: el('span', { elementtiming: 'coopmap-cluster' }, label), iconSize: [px, px] });
}
