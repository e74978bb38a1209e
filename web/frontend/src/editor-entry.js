// The small, always-loaded part of editing: the buttons that open the
// suggestion form (suggest.js) and, for token holders, the editor
// (editor.js). Both are imported only when pressed, so the public map's
// first load carries neither.
import { el } from './dom.js';
import { token } from './editor-token.js';

const loadSuggest = () => import('./suggest.js');
const loadEditor = () => import('./editor.js');

/** editable are the sources whose records can be suggested or edited. */
const editable = (sources) => sources.filter((s) => s.kind === 'coops' || s.kind === 'features');

/**
 * initEditing sets up editing for a page: ctx is {basemap, sources,
 * map (the page's Leaflet map, for placing new records), tools (where
 * the map's header buttons go), onChanged(feature, {deleted, created})}.
 * It returns actions(record), the buttons of one record ({src, id}).
 */
export function initEditing(ctx) {
  const sources = editable(ctx.sources || []);
  const opts = (extra) => ({ basemap: ctx.basemap, sources, onChanged: ctx.onChanged, ...extra });
  let placing = null; // what a click on the map places: 'suggest' or 'edit'
  const hint = el('p', { class: 'placing-hint', role: 'status', 'aria-live': 'polite', hidden: true });
  const place = (what, text) => {
    placing = what;
    hint.textContent = text;
    hint.hidden = false;
    ctx.map.getContainer().classList.add('placing');
  };
  const stopPlacing = () => {
    placing = null;
    hint.hidden = true;
    ctx.map?.getContainer().classList.remove('placing');
  };
  if (ctx.map && ctx.tools) {
    ctx.map.getContainer().after(hint);
    const suggestNew = el('button', { type: 'button', id: 'suggest-new' }, 'Suggest a co-op');
    suggestNew.addEventListener('click', () => place('suggest', 'Click the map where the new co-op is (Escape cancels).'));
    const editor = el('button', { type: 'button', id: 'editor-open' }, 'Editor');
    editor.addEventListener('click', async () => (await loadEditor()).openSession(opts({
      onAdd: () => place('edit', 'Click the map where the new record goes (Escape cancels).'),
    })));
    ctx.tools.append(suggestNew, editor);
    ctx.map.on('click', async (e) => {
      if (!placing) return;
      const what = placing;
      stopPlacing();
      const lonlat = [e.latlng.lng, e.latlng.lat];
      if (what === 'suggest') (await loadSuggest()).openSuggest(opts({ lonlat, sources: sources.filter((s) => s.kind === 'coops') }));
      else (await loadEditor()).openEditor(opts({ lonlat }));
    });
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && placing) stopPlacing(); });
  }
  return {
    /** placing reports whether the next map click places a record. */
    placing: () => placing !== null,
    actions(r) {
      const suggest = el('button', { type: 'button', class: 'suggest-change' }, 'Suggest a change');
      suggest.addEventListener('click', async (e) => {
        e.stopPropagation();
        (await loadSuggest()).openSuggest(opts({ src: r.src, id: r.id }));
      });
      const p = el('p', { class: 'record-actions' }, suggest);
      if (token()) {
        const edit = el('button', { type: 'button', class: 'edit-record' }, 'Edit');
        edit.addEventListener('click', async (e) => {
          e.stopPropagation();
          (await loadEditor()).openEditor(opts({ src: r.src, id: r.id }));
        });
        p.append(' ', edit);
      } else if (!ctx.map) {
        const signIn = el('button', { type: 'button', class: 'editor-signin' }, 'Edit (with a token)');
        signIn.addEventListener('click', async () => (await loadEditor()).openEditor(opts({ src: r.src, id: r.id })));
        p.append(' ', signIn);
      }
      return p;
    },
  };
}
