// What the history screens of sources (editor-source.js) and tours
// (tour-history.js) share: one kept version as a list item (its number,
// when, who, what it did and which fields it changed, its note), and
// the If-Match that names a version. Data reaches the DOM only as text
// (dom.js).
import { el } from './dom.js';

/** versionTag is the If-Match naming version n: W/"v{n}". */
export const versionTag = (n) => `W/"v${Number(n)}"`;

/** when writes a history's timestamp for people, British style. */
export const when = (at) => (at ? new Date(at).toLocaleString('en-GB') : '');

/**
 * revisionItem is one version of a history as an <li class="revision">:
 * rv is {version, at, by, note, op, fields, deleted}; label(field) names
 * a field for people; details are more nodes (the version's content),
 * actions its buttons. An empty by is a change made with the CLI or an
 * import, as the API documents it.
 */
export function revisionItem(rv, { label = (f) => f, details = [], actions = [] } = {}) {
  const fields = rv.fields?.length ? `: ${rv.fields.map(label).join(', ')}` : '';
  const what = rv.deleted ? 'deleted' : `${rv.op || 'change'}${rv.op === 'create' ? '' : fields}`;
  return el('li', { class: `revision${rv.deleted ? ' deleted' : ''}`, 'data-version': rv.version },
    el('p', {}, el('strong', {}, `Version ${rv.version}`), ` · ${when(rv.at)} · ${rv.by ? `by ${rv.by}` : 'by the command line or an import'} · ${what}`),
    rv.note ? el('p', { class: 'note' }, rv.note) : null,
    details,
    actions.length ? el('p', { class: 'editor-buttons' }, actions) : null);
}
