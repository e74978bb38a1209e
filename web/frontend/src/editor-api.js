// What the editor, the suggestion form and the moderation page share
// about talking to the write API: reading a record with its ETag, and
// turning a problem document (RFC 9457) into a sentence, as text.

/** itemURL is the API address of a record. */
export function itemURL(src, id) {
  return `/collections/${encodeURIComponent(src)}/items/${encodeURIComponent(id)}`;
}

/** fetchRecord reads a record as GeoJSON with its ETag (the version it is). */
export async function fetchRecord(src, id) {
  const res = await fetch(itemURL(src, id), { headers: { Accept: 'application/geo+json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(await problemText(res));
  return { feature: await res.json(), etag: res.headers.get('ETag') || '' };
}

/**
 * problemText says why a request failed: the problem's detail and the
 * field it names, and for 429 when to try again (Retry-After).
 */
export async function problemText(res) {
  let p = {};
  try {
    p = await res.json();
  } catch { /* not JSON: the status says enough */ }
  let text = p.detail || p.title || res.statusText || `HTTP ${res.status}`;
  const field = p.field || p.errors?.[0]?.field;
  if (field && !text.includes(field)) text = `${field}: ${text}`;
  if (res.status === 429) {
    const after = Number(res.headers.get('Retry-After'));
    if (after > 0) text += ` (try again in ${after < 120 ? `${after} seconds` : `${Math.ceil(after / 60)} minutes`})`;
  }
  if (res.status === 401) text += ' Check the token, or enter another.';
  return text;
}

/** sendJSON sends body as JSON (or type) with method and headers. */
export function sendJSON(url, method, body, headers = {}, type = 'application/json') {
  return fetch(url, { method, headers: { ...headers, 'Content-Type': type, Accept: 'application/json' }, body: JSON.stringify(body), cache: 'no-store' });
}
