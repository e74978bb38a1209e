// The list view: an accessible, sortable, paginated table of the records
// in the current filter (and, by default, the map's view). Each name links
// to the record page; arrow keys move between rows.
import { el, clear, fmt } from './dom.js';

const PAGE = 50;
const KEYS = { name: (r) => r.name, sector: (r) => r.sector, type: (r) => r.type, postcode: (r) => r.postcode };

export function initList({ table, count, inView, prev, next, info, rows, href }) {
  let sort = 'name';
  let desc = false;
  let page = 0;
  const body = table.tBodies[0];
  const collator = new Intl.Collator('en-GB', { sensitivity: 'base', numeric: true });

  function render() {
    const all = [...rows()];
    const key = KEYS[sort];
    all.sort((a, b) => (collator.compare(key(a) || '\uffff', key(b) || '\uffff') || collator.compare(a.name, b.name)) * (desc ? -1 : 1));
    const pages = Math.max(1, Math.ceil(all.length / PAGE));
    page = Math.min(page, pages - 1);
    const shown = all.slice(page * PAGE, page * PAGE + PAGE);
    clear(body);
    for (const r of shown) {
      body.append(el('tr', {},
        el('th', { scope: 'row' }, el('a', { href: href(r) }, r.name || r.id)),
        el('td', {}, r.sector), el('td', {}, r.type), el('td', {}, r.postcode)));
    }
    count.textContent = all.length
      ? `${fmt(all.length)} co-ops, showing ${fmt(page * PAGE + 1)}–${fmt(page * PAGE + shown.length)}`
      : 'No co-ops match: change the filters or the view.';
    info.textContent = `Page ${page + 1} of ${pages}`;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    for (const th of table.tHead.rows[0].cells) {
      const b = th.querySelector('button');
      th.setAttribute('aria-sort', b.dataset.sort === sort ? (desc ? 'descending' : 'ascending') : 'none');
    }
  }

  for (const b of table.tHead.querySelectorAll('button')) {
    b.addEventListener('click', () => {
      if (sort === b.dataset.sort) desc = !desc;
      else { sort = b.dataset.sort; desc = false; }
      page = 0;
      render();
    });
  }
  prev.addEventListener('click', () => { page--; render(); });
  next.addEventListener('click', () => { page++; render(); });
  inView.addEventListener('change', () => { page = 0; render(); });
  body.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const links = [...body.querySelectorAll('a')];
    const k = links.indexOf(document.activeElement);
    if (k < 0) return;
    e.preventDefault();
    links[Math.max(0, Math.min(links.length - 1, k + (e.key === 'ArrowDown' ? 1 : -1)))].focus();
  });
  return { render };
}
