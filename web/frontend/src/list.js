// The list view: an accessible, sortable, paginated table of the records
// in the current filter (and, by default, the map's view). Each name links
// to the record page; arrow keys move between rows.
//
// The co-ops clustered in the browser are sorted and paged here. A source
// drawn from vector tiles is too large to load, so it is listed from the
// server a page at a time (serverPage: the items API with the view's bbox,
// keyset cursors and numberMatched), sorted only by what the API sorts by.
// While such a source is on, a "Records of" select above the table picks
// what the table lists: one table whose caption, count and sort buttons
// say what it holds, rather than a table per source that a screen reader
// user would have to find and tell apart.
import { el, clear, fmt } from './dom.js';

const PAGE = 50;
const KEYS = { name: (r) => r.name, sector: (r) => r.sector, type: (r) => r.type, postcode: (r) => r.postcode };
/** SERVER_SORTS are the columns the items API can sort by (its sortby). */
const SERVER_SORTS = new Set(['name']);
/** LOCAL is the select's value for the co-ops clustered in the browser. */
const LOCAL = '';

/**
 * initList wires the list view. rows() gives the browser's records to
 * list; tileSources() the sources drawn from tiles that are on; and
 * serverPage(source, {page, limit, sortby, after, unsortable}) a page of
 * one of them with what to say of it (tiles.js listPage: {rows, next,
 * count, info, note}). render() is for a change of filters or view: it
 * starts the list again. initial ({list, sort}, from the URL) is what to
 * list and in which order at first; onChange({list, sort}) hears of every
 * change of them, list being null for the default.
 */
export function initList({ table, count, inView, prev, next, info, rows, href, tileSources = () => [], serverPage,
  initial = {}, onChange = () => {} }) {
  let sort = (initial.sort || 'name').replace(/^-/, '');
  let desc = (initial.sort || '').startsWith('-');
  let page = 0;
  let picked = initial.list || LOCAL; // the source listed
  let chosen = Boolean(initial.list); // picked by the user (or the URL) rather than by default
  let cursors = [null]; // a server source's `after` cursor of each page seen
  let seq = 0; // the latest server page asked for; older answers are dropped
  const body = table.tBodies[0];
  const caption = table.caption;
  const captionText = caption?.textContent || '';
  const buttons = [...table.tHead.querySelectorAll('button')];
  const collator = new Intl.Collator('en-GB', { sensitivity: 'base', numeric: true });
  const select = el('select', { id: 'list-source' });
  Object.assign(select.style, { font: 'inherit', minHeight: '36px', maxWidth: '100%' }); // CSSOM: the CSP allows it
  const choice = el('p', { class: 'list-source' }, el('label', { for: select.id }, 'Records of '), select);
  const note = el('p', { class: 'note', id: 'list-note' });
  choice.hidden = true;
  note.hidden = true;
  inView.closest('p').after(choice, note);

  const row = (r) => el('tr', {},
    el('th', { scope: 'row' }, el('a', { href: href(r) }, r.name || r.id)),
    el('td', {}, r.sector), el('td', {}, r.type), el('td', {}, r.postcode));
  const sortable = (key) => picked === LOCAL || SERVER_SORTS.has(key);

  /** syncSources offers the sources drawn from tiles that are on, and picks one when the browser has none to list. */
  function syncSources() {
    const srcs = tileSources();
    if (picked !== LOCAL && !srcs.some((s) => s.id === picked)) [picked, chosen] = [LOCAL, false];
    if (!chosen) picked = srcs.length && !rows().length ? srcs[0].id : LOCAL;
    select.replaceChildren(el('option', { value: LOCAL }, 'Co-ops clustered on the map'),
      ...srcs.map((s) => el('option', { value: s.id }, `${s.title || s.id} (listed from the server)`)));
    select.value = picked;
    choice.hidden = !srcs.length;
  }

  function headers() {
    for (const b of buttons) {
      const ok = sortable(b.dataset.sort);
      for (const [k, v] of [['aria-disabled', 'true'], ['aria-describedby', note.id]]) {
        if (ok) b.removeAttribute(k);
        else b.setAttribute(k, v);
      }
      b.closest('th').setAttribute('aria-sort', b.dataset.sort === sort ? (desc ? 'descending' : 'ascending') : 'none');
    }
  }

  function drawLocal() {
    const all = [...rows()];
    const key = KEYS[sort];
    all.sort((a, b) => (collator.compare(key(a) || '\uffff', key(b) || '\uffff') || collator.compare(a.name, b.name)) * (desc ? -1 : 1));
    const pages = Math.max(1, Math.ceil(all.length / PAGE));
    page = Math.min(page, pages - 1);
    const shown = all.slice(page * PAGE, page * PAGE + PAGE);
    clear(body).append(...shown.map(row));
    count.textContent = all.length
      ? `${fmt(all.length)} co-ops, showing ${fmt(page * PAGE + 1)}–${fmt(page * PAGE + shown.length)}`
      : 'No co-ops match: change the filters or the view.';
    info.textContent = `Page ${page + 1} of ${pages}`;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  async function drawServer(s) {
    const mine = seq;
    prev.disabled = true;
    next.disabled = true;
    count.textContent = `Loading ${s.title || s.id}…`;
    const unsortable = buttons.filter((b) => !sortable(b.dataset.sort)).map((b) => b.textContent.trim().toLowerCase());
    const res = await serverPage(s, { page, limit: PAGE, sortby: `${desc ? '-' : ''}${sort}`, after: cursors[page], unsortable })
      .catch((e) => ({ rows: [], next: null, count: `The list could not be loaded: ${e.message}`, info: '', note: '' })); // tiles.js did not load
    if (mine !== seq) return;
    cursors[page + 1] = res.next;
    clear(body).append(...res.rows.map(row));
    count.textContent = res.count;
    info.textContent = res.info;
    note.textContent = res.note;
    prev.disabled = page === 0;
    next.disabled = !res.next;
  }

  /** draw shows the current page of what is picked, and says what that is. */
  function draw() {
    seq++;
    headers();
    onChange({ list: chosen && picked !== LOCAL ? picked : null, sort: `${desc ? '-' : ''}${sort}` });
    const s = picked === LOCAL ? null : tileSources().find((x) => x.id === picked);
    note.hidden = !s;
    if (caption) caption.textContent = s ? `${s.title || s.id}, listed from the server, sortable by name` : captionText;
    if (s) drawServer(s);
    else drawLocal();
  }

  /** restart goes back to the first page of a server source, whose cursors belong to the old query. */
  function restart() {
    cursors = [null];
    if (picked !== LOCAL) page = 0;
  }

  function render() {
    const was = picked;
    syncSources();
    if (picked !== was) page = 0;
    if (!sortable(sort)) [sort, desc] = ['name', false];
    restart();
    draw();
  }

  select.addEventListener('change', () => {
    [picked, chosen] = [select.value, true];
    page = 0;
    if (!sortable(sort)) [sort, desc] = ['name', false];
    restart();
    draw();
  });
  for (const b of buttons) {
    b.addEventListener('click', () => {
      if (!sortable(b.dataset.sort)) return; // the note says why
      if (sort === b.dataset.sort) desc = !desc;
      else { sort = b.dataset.sort; desc = false; }
      page = 0;
      restart();
      draw();
    });
  }
  prev.addEventListener('click', () => { page--; draw(); });
  next.addEventListener('click', () => { page++; draw(); });
  inView.addEventListener('change', () => { page = 0; restart(); draw(); });
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
