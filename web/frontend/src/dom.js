// Safe DOM building: every string from data becomes a text node or an
// attribute value, never markup. Nothing in the app uses innerHTML.

/**
 * el builds an element. attrs are set with setAttribute (false, null and
 * undefined are skipped; `on*` keys are rejected so data cannot name an
 * event handler); children are nodes or strings (as text nodes).
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (/^on/i.test(k)) throw new Error(`el: refusing event attribute ${k}`);
    e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

/** append adds children (nodes, strings, or nested arrays of them). */
export function append(parent, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return parent;
}

/** clear removes every child of e. */
export function clear(e) {
  e.replaceChildren();
  return e;
}

/**
 * safeHref returns url when it is an absolute http or https URL, else
 * null: javascript:, data: and relative links from data are never links.
 */
export function safeHref(url) {
  if (typeof url !== 'string' || url.length > 2048) return null;
  let u;
  try {
    u = new URL(url.trim());
  } catch {
    return null;
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
}

/** externalLink is a link that opens a new tab without giving it our window. */
export function externalLink(href, text, rel = 'noopener noreferrer nofollow') {
  return el('a', { href, rel, target: '_blank' }, text);
}

/** recordPath is the record page of a record. */
export function recordPath(source, id, kind) {
  return kind === 'coops'
    ? `/coops/${encodeURIComponent(id)}`
    : `/features/${encodeURIComponent(source)}/${encodeURIComponent(id)}`;
}

// One formatter for every count: toLocaleString builds a new one per
// call, which costs ~1 ms each when the map draws its clusters.
const counts = new Intl.NumberFormat('en-GB');
/** fmt formats a count the British way. */
export const fmt = (n) => counts.format(n);
