// The editor's API token. It is kept in this tab's sessionStorage only:
// never in the URL, localStorage or a cookie, so it goes when the tab
// closes, is never sent by the browser on its own, and leaves the page
// only as an Authorization: Bearer header (docs/API.md, "Write API").
const KEY = 'coopmap-token';

/** token is the tab's token, or "" when none was entered. */
export function token() {
  try {
    return sessionStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

/** setToken keeps t for this tab ("" forgets it). */
export function setToken(t) {
  try {
    if (t) sessionStorage.setItem(KEY, t.trim());
    else sessionStorage.removeItem(KEY);
  } catch { /* storage refused: the token is asked for again */ }
  document.dispatchEvent(new CustomEvent('coopmap-token'));
}

/** authHeaders adds the token to headers. */
export function authHeaders(headers = {}) {
  return { ...headers, Authorization: `Bearer ${token()}` };
}
