// Unit tests of the map's pure modules, in node (no browser): the URL
// state round trip, the link filter that keeps script out of hrefs, and
// the reading of the map's binary point sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readState, stateURL } from '../src/state.js';
import { readPositions, splitDoc, matches } from '../src/points.js';
import { safeHref } from '../src/dom.js';

const loc = (url) => { const u = new URL(url, 'http://x'); return { search: u.search, hash: u.hash }; };

test('state: a URL reproduces the same state', () => {
  const url = '/?sector=Food%2C+drink&sector=Housing&type=Society&source=coops-uk&sel=coops-uk.R1&view=list&list=big&sort=-postcode&layer=orchards#map=12/53.48000/-2.24000';
  const s = readState(loc(url));
  assert.equal(s.list, 'big');
  assert.equal(s.sort, '-postcode');
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
  const s = readState(loc('/?view=<script>&embed=yes&sector=&sort=name;drop&list='));
  assert.equal(s.view, 'map');
  assert.equal(s.sort, 'name');
  assert.equal(s.list, null);
  assert.equal(stateURL(s), '/', 'the default order and list are not written');
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

/** positionsBody lays out a positions body as the server does (docs/API.md). */
function positionsBody(meta, coords, sector, orgType, { pad = true } = {}) {
  let json = JSON.stringify(meta);
  while (pad && json.length % 4) json += ' ';
  const metaBytes = new TextEncoder().encode(json);
  const n = sector.length;
  const buf = new ArrayBuffer(12 + metaBytes.length + 16 * n);
  const v = new DataView(buf);
  new Uint8Array(buf).set(new TextEncoder().encode('CMP1'), 0);
  v.setUint32(4, n, true);
  v.setUint32(8, metaBytes.length, true);
  new Uint8Array(buf).set(metaBytes, 12);
  let at = 12 + metaBytes.length;
  for (const x of [...coords, ...sector, ...orgType]) { v.setInt32(at, x, true); at += 4; }
  return buf;
}

test('points: positions read as the server lays them out, and matched with their labels', () => {
  const meta = { collection: 'c', version: 7, count: 2, sectors: ['Food', 'Housing'], orgTypes: ['Society'] };
  const body = positionsBody(meta, [-227771, 5344166, 18000000, -8999999], [1, -1], [-1, 0]);
  const p = readPositions(body);
  // Read value by value (as on a big-endian machine), the same columns.
  const copied = readPositions(body, { view: false });
  for (const k of ['coords', 'sector', 'orgType']) assert.deepEqual([...copied[k]], [...p[k]], k);
  assert.equal(p.count, 2);
  assert.deepEqual(p.meta, meta);
  assert.deepEqual([...p.coords], [-227771, 5344166, 18000000, -8999999]);
  assert.equal(p.coords[0] / 1e5, -2.27771);
  assert.deepEqual([...p.sector], [1, -1]);
  assert.deepEqual([...p.orgType], [-1, 0]);
  const labels = { collection: 'c', version: 7, count: 2, ids: ['a', 'b'], names: ['A', 'B'], postcodes: ['', 'M1 1AA'] };
  assert.ok(matches(p, labels));
  assert.ok(!matches(p, { ...labels, version: 8 }), 'another version of the source');
  assert.ok(!matches(p, { ...labels, collection: 'd' }));
  assert.ok(!matches(p, { ...labels, names: ['A'] }), 'a short column');
  // The one-piece document splits into the same two parts.
  const { positions, labels: l } = splitDoc({ ...meta, ids: labels.ids, names: labels.names, postcodes: labels.postcodes,
    coords: [-2.27771, 53.44166, 180, -89.99999], sector: [1, -1], orgType: [-1, 0] });
  assert.deepEqual([...positions.coords], [...p.coords]);
  assert.deepEqual(positions.meta, meta);
  assert.ok(matches(positions, l));
});

test('points: a body that is not a point set is refused', () => {
  const meta = { collection: 'c', version: 1, count: 1, sectors: [], orgTypes: [] };
  const good = positionsBody(meta, [1, 2], [-1], [-1]);
  assert.throws(() => readPositions(new ArrayBuffer(0)), /not a point set/);
  assert.throws(() => readPositions(new TextEncoder().encode('{"collection":"c"}').buffer), /not a point set/);
  assert.throws(() => readPositions(good.slice(0, good.byteLength - 4)), /wrong length/);
  assert.throws(() => readPositions(positionsBody(meta, [1, 2], [-1], [-1], { pad: false })), /wrong length/);
  assert.throws(() => readPositions('CMP1'), /not a point set/);
});
