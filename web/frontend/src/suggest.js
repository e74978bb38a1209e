// "Suggest a change": anyone may propose a correction to a record (its
// fields and/or a moved marker) or a new co-op, with an optional name,
// contact and note. The suggestion goes to the source's moderators
// (POST /collections/{source}/suggestions); nothing changes until one of
// them accepts it. Loaded only when someone asks to suggest.
import { el } from './dom.js';
import { fetchRecord, problemText, sendJSON } from './editor-api.js';
import { openDialog, recordForm, statusLine, describeChange, button } from './editor-form.js';

/**
 * openSuggest opens the form: a correction of record id in source src,
 * or (id empty) a new record at lonlat in one of sources (those that
 * take suggestions). basemap is the server's.
 */
export async function openSuggest({ src, id, lonlat, sources = [], basemap }) {
  const isNew = !id;
  const d = openDialog(isNew ? 'Suggest a new co-op' : 'Suggest a change', { className: 'suggest-dialog' });
  const status = statusLine();
  let feature;
  if (isNew) {
    feature = { type: 'Feature', geometry: { type: 'Point', coordinates: lonlat }, properties: {} };
  } else {
    d.body.append(status.node);
    status.set('Loading the record…');
    try {
      ({ feature } = await fetchRecord(src, id));
    } catch (e) {
      status.set(`The record could not be loaded: ${e.message}`, 'error');
      return;
    }
    d.heading.textContent = `Suggest a change to ${feature.properties?.name || id}`;
  }
  const form = recordForm(feature, { basemap, movable: 'drag', idPrefix: 'sg' });
  const choose = el('select', { id: 'sg-source' });
  for (const s of sources) choose.append(el('option', { value: s.id }, s.title || s.id));
  if (src) choose.value = src;
  const who = el('input', { id: 'sg-by', type: 'text', maxlength: '200', autocomplete: 'name' });
  const contact = el('input', { id: 'sg-contact', type: 'text', maxlength: '500', autocomplete: 'email' });
  const note = el('textarea', { id: 'sg-note', rows: '2', maxlength: '2000' });
  const send = el('button', { type: 'submit', class: 'primary' }, 'Send suggestion');
  const cancel = button('Cancel', d.close);
  const f = el('form', { class: 'suggest-form', novalidate: true },
    el('p', { class: 'note' }, isNew
      ? 'Place the marker where the co-op is and fill in what you know. A moderator of the source checks every suggestion before it appears.'
      : 'Change what is wrong, or drag the marker to where the co-op really is. A moderator of the source checks every suggestion before it changes the record.'),
    isNew ? el('p', { class: 'editor-field' }, el('label', { for: choose.id }, 'Add it to'), choose) : null,
    form.node,
    el('fieldset', { class: 'suggest-about' }, el('legend', {}, 'About you (optional)'),
      el('p', { class: 'editor-field' }, el('label', { for: who.id }, 'Your name, to credit you in the history (public)'), who),
      el('p', { class: 'editor-field' }, el('label', { for: contact.id }, 'How the moderators can reach you (never published)'), contact),
      el('p', { class: 'editor-field' }, el('label', { for: note.id }, 'Note for the moderators'), note)),
    el('p', { class: 'editor-buttons' }, send, cancel),
    status.node);
  d.body.replaceChildren(f);
  form.mount();
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: who.value.trim(), contact: contact.value.trim(), note: note.value.trim() };
    let target = src;
    if (isNew) {
      target = choose.value;
      const props = Object.fromEntries(Object.entries(form.values()).filter(([, v]) => v));
      if (!props.name) { status.set('Give the co-op a name.', 'error'); form.inputs.get('name').focus(); return; }
      body.feature = { type: 'Feature', geometry: form.geometry(), properties: props };
    } else {
      const ch = form.changes();
      if (!Object.keys(ch.properties).length && !ch.geometry) { status.set('Nothing has changed yet: edit a field or move the marker.', 'error'); return; }
      body.feature_id = id;
      body.feature = { type: 'Feature', properties: ch.properties };
      if (ch.geometry) body.feature.geometry = ch.geometry;
    }
    send.disabled = true;
    status.set('Sending…');
    try {
      const res = await sendJSON(`/collections/${encodeURIComponent(target)}/suggestions`, 'POST', body);
      if (!res.ok) {
        status.set(`Not sent: ${await problemText(res)}`, 'error');
        send.disabled = false;
        return;
      }
      const out = await res.json();
      const what = isNew ? '' : ` (${describeChange(form.changes())})`;
      form.destroy();
      f.replaceChildren(el('p', { class: 'editor-status ok', role: 'status' },
        `Thank you: your suggestion${what} is number ${out.id} in the queue of the source's moderators.`),
      el('p', { class: 'editor-buttons' }, button('Close', d.close)));
      f.querySelector('button')?.focus();
    } catch (err) {
      status.set(`Not sent: ${err.message}`, 'error');
      send.disabled = false;
    }
  });
}
