// The search box: a combobox over /search with a keyboard-navigable list
// of places and records (WAI-ARIA combobox pattern).
import { el, clear } from './dom.js';

export function initSearch({ input, results, status, form, onFeature, onPlace }) {
  let items = [];
  let active = -1;
  let timer = 0;
  let seq = 0;

  const close = () => {
    results.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const activate = (n) => {
    if (!items.length) return;
    active = (n + items.length) % items.length;
    items.forEach((it, k) => it.li.setAttribute('aria-selected', String(k === active)));
    input.setAttribute('aria-activedescendant', items[active].li.id);
    items[active].li.scrollIntoView({ block: 'nearest' });
  };
  const choose = (n) => {
    const it = items[n];
    if (!it) return;
    close();
    input.value = it.label;
    it.go();
  };

  async function run(q) {
    const mine = ++seq;
    if (!q.trim()) { close(); return; }
    let doc;
    try {
      const res = await fetch(`/search?q=${encodeURIComponent(q)}&limit=10`, { headers: { Accept: 'application/geo+json' } });
      doc = res.ok ? await res.json() : { features: [] };
    } catch {
      doc = { features: [] };
    }
    if (mine !== seq) return; // a newer query is on its way
    clear(results);
    items = [];
    for (const p of doc.places || []) {
      const label = p.name || p.postcode || p.id || '';
      items.push({ label, go: () => onPlace(p), li: el('li', {}, el('span', { class: 'hit-name' }, label), el('span', { class: 'hit-meta' }, p.kind === 'postcode' ? 'Postcode' : `Postcode ${p.kind || 'area'}`)) });
    }
    for (const f of doc.features || []) {
      const p = f.properties || {};
      const label = p.name || f.id;
      items.push({ label, go: () => onFeature(f), li: el('li', {}, el('span', { class: 'hit-name' }, label), el('span', { class: 'hit-meta' }, [p.sector, p.postcode].filter(Boolean).join(' · '))) });
    }
    items.forEach((it, k) => {
      it.li.id = `hit-${k}`;
      it.li.setAttribute('role', 'option');
      it.li.setAttribute('aria-selected', 'false');
      it.li.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the box
      it.li.addEventListener('click', () => choose(k));
      results.append(it.li);
    });
    results.hidden = !items.length;
    input.setAttribute('aria-expanded', String(items.length > 0));
    status.textContent = items.length ? `${items.length} results; use the arrow keys to choose` : 'No results';
    active = -1;
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(input.value), 120);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); if (results.hidden) run(input.value); else activate(active + 1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); activate(active - 1); }
    else if (e.key === 'Escape') { close(); }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    if (active < 0) { await run(input.value); if (items.length) choose(0); } else choose(active);
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
}
