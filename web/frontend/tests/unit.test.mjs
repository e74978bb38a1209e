// Unit tests of the map's pure modules, in node (no browser): the URL
// state round trip and the link filter that keeps script out of hrefs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readState, stateURL } from '../src/state.js';
import { safeHref } from '../src/dom.js';

const loc = (url) => { const u = new URL(url, 'http://x'); return { search: u.search, hash: u.hash }; };

test('state: a URL reproduces the same state', () => {
  const url = '/?sector=Food%2C+drink&sector=Housing&type=Society&source=coops-uk&sel=coops-uk.R1&view=list&layer=orchards#map=12/53.48000/-2.24000';
  const s = readState(loc(url));
  assert.deepEqual([...s.filters.sector].sort(), ['Food, drink', 'Housing']);
  assert.deepEqual(s.map, { z: 12, lat: 53.48, lon: -2.24 });
  assert.equal(s.view, 'list');
  assert.equal(s.sel, 'coops-uk.R1');
  assert.equal(stateURL(s), url);
  assert.equal(stateURL(readState(loc(stateURL(s)))), url);
  assert.match(stateURL(s, { embed: true }), /&embed=1#/);
});

test('state: nonsense in the URL is ignored', () => {
  for (const hash of ['#map=99/0/0', '#map=5/91/0', '#map=5/0/181', '#map=a/b/c', '#map=5/1e3/0', '#x']) {
    assert.equal(readState(loc(`/${hash}`)).map, null, hash);
  }
  const s = readState(loc('/?view=<script>&embed=yes&sector='));
  assert.equal(s.view, 'map');
  assert.equal(s.embed, false);
  assert.equal(s.filters.sector.size, 0);
});

test('safeHref: only http and https links', () => {
  assert.equal(safeHref('https://example.org/a?b=1'), 'https://example.org/a?b=1');
  assert.equal(safeHref(' http://example.org '), 'http://example.org/');
  for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>',
    'vbscript:x', '//evil.example', '/relative', 'www.example.org', '', null, undefined, 42, `https://${'a'.repeat(3000)}.org`]) {
    assert.equal(safeHref(bad), null, String(bad));
  }
});
