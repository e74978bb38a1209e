// `coopmap tiles export` read back by an independent reader, the pmtiles
// npm package: a real `coopmap serve` over the demo data (server.mjs), an
// export of its default tile set to a PMTiles archive from the same
// GeoPackage, then the archive's header and metadata (with every
// collection's licence and attribution) and tiles at z5, z10 and z14,
// each compared byte for byte, after gunzip, with the tile the server
// gives for the same address (Accept-Encoding: identity); a tile the
// archive lacks must be one the server answers 204 for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PMTiles, TileType, Compression } from 'pmtiles';
import { startServer, ROOT } from './server.mjs';

const BIN = resolve(ROOT, process.env.COOPMAP_BIN || 'bin/coopmap');

/** FileSource reads an archive from the local disk, for the pmtiles reader. */
class FileSource {
  constructor(path) {
    this.path = path;
    this.fd = openSync(path, 'r');
  }

  getKey() {
    return this.path;
  }

  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const n = readSync(this.fd, buf, 0, length, offset);
    return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + n) };
  }

  close() {
    closeSync(this.fd);
  }
}

/** tileAt returns the XYZ tile of zoom z holding lon, lat. */
function tileAt(lon, lat, z) {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return {
    x: Math.floor(((lon + 180) / 360) * n),
    y: Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n),
  };
}

let server;
let dir;
let source;
let archive;
let exportOut;

before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'coopmap-pmtiles-'));
  const out = join(dir, 'default.pmtiles');
  exportOut = execFileSync(BIN, ['tiles', 'export', '--db', server.db, '--collection', 'default', '--minzoom', '0', '--maxzoom', '14', out],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  source = new FileSource(out);
  archive = new PMTiles(source);
});

after(async () => {
  source?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await server?.stop();
});

test('the export prints one summary line and leaves only the archive', () => {
  const lines = exportOut.trim().split('\n');
  assert.equal(lines.length, 1, exportOut);
  assert.match(lines[0], /default\.pmtiles: [\d,]+ tiles \([\d,]+ distinct\) of .*coops-uk.*, zooms 0–14/);
  assert.deepEqual(readdirSync(dir), ['default.pmtiles']);
});

test('the header says gzip-compressed MVT, clustered, z0–14, over Great Britain', async () => {
  const h = await archive.getHeader();
  assert.equal(h.specVersion, 3);
  assert.equal(h.tileType, TileType.Mvt);
  assert.equal(h.tileCompression, Compression.Gzip);
  assert.equal(h.internalCompression, Compression.Gzip);
  assert.equal(h.clustered, true);
  assert.equal(h.minZoom, 0);
  assert.equal(h.maxZoom, 14);
  assert.ok(h.rootDirectoryOffset + h.rootDirectoryLength <= 16384);
  // Over 12,000 tiles do not fit in a 16 KiB root: the reader goes through leaf directories.
  assert.ok(h.leafDirectoryLength > 0, 'no leaf directories');
  assert.ok(h.numAddressedTiles > 1000, `${h.numAddressedTiles} tiles`);
  assert.ok(h.numTileContents <= h.numTileEntries && h.numTileEntries <= h.numAddressedTiles);
  // The Co-operatives UK data lies in the UK; the fixture overlay is near Manchester.
  assert.ok(h.minLon > -9 && h.maxLon < 2.5 && h.minLat > 49 && h.maxLat < 61, JSON.stringify(h));
  assert.ok(h.centerLon > h.minLon && h.centerLon < h.maxLon && h.centerLat > h.minLat && h.centerLat < h.maxLat);
});

test('the metadata has one vector layer per collection, with fields, licences and attribution', async () => {
  const m = await archive.getMetadata();
  const served = await (await fetch(`${server.base}/tiles/default.json`)).json();
  assert.deepEqual(m.vector_layers.map((l) => l.id), served.vector_layers.map((l) => l.id));
  assert.ok(m.vector_layers.length >= 2);
  for (const l of m.vector_layers) {
    assert.ok(l.fields.id && l.fields.name && l.fields.count, JSON.stringify(l));
    assert.equal(l.minzoom, 0);
    assert.equal(l.maxzoom, 14);
  }
  assert.equal(m.attribution, served.attribution);
  assert.match(m.attribution, /Co-operatives UK/);
  assert.match(m.attribution, /ODC-By-1\.0/);
  assert.match(m.attribution, /OpenStreetMap contributors/);
  const coops = m.sources.find((s) => s.id === 'coops-uk');
  assert.equal(coops.licence.id, 'ODC-By-1.0');
  assert.match(coops.licence.url, /^https:\/\/opendatacommons\.org\//);
  assert.match(coops.attribution, /Co-operatives UK/);
  assert.equal(m.sources.find((s) => s.id === 'london-cycle-map').licence.id, 'ODbL-1.0');
  // The fixture's attribution is text, escaped in the HTML attribution.
  assert.ok(!m.attribution.includes('<script>'));
});

test('tiles at z5, z10 and z14 are the tiles the server serves', async (t) => {
  // Around London, the cycle map (North London), Manchester (the fixture
  // polygon) and Glasgow: each tile and its eight neighbours.
  const places = [[-0.12, 51.5], [-0.12, 51.61], [-2.24, 53.48], [-4.25, 55.86]];
  const found = { 5: 0, 10: 0, 14: 0 };
  const seen = new Set();
  for (const z of [5, 10, 14]) {
    for (const [lon, lat] of places) {
      const c = tileAt(lon, lat, z);
      for (let dx = -1; dx <= 1; dx++) {
        for (let dy = -1; dy <= 1; dy++) {
          const [x, y] = [c.x + dx, c.y + dy];
          const key = `${z}/${x}/${y}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const res = await fetch(`${server.base}/tiles/default/${key}.mvt`, { headers: { 'Accept-Encoding': 'identity' } });
          assert.equal(res.headers.get('content-encoding'), null, key);
          const fromArchive = await archive.getZxy(z, x, y);
          if (res.status === 204) {
            assert.equal(fromArchive, undefined, `${key}: the server has no tile, the archive has one`);
            continue;
          }
          assert.equal(res.status, 200, key);
          assert.ok(fromArchive, `${key}: the server has a tile, the archive has none`);
          const served = Buffer.from(await res.arrayBuffer());
          const stored = Buffer.from(fromArchive.data);
          assert.ok(stored.equals(served), `${key}: archive tile (${stored.length} bytes) differs from the served one (${served.length} bytes)`);
          found[z]++;
        }
      }
    }
  }
  t.diagnostic(`tiles with features compared: ${JSON.stringify(found)}, ${seen.size} addresses in all`);
  for (const z of [5, 10, 14]) assert.ok(found[z] >= 3, `only ${found[z]} tiles with features compared at z${z}`);
});

test('an unknown collection or a zoom over the limit is refused and writes nothing', () => {
  const out = join(dir, 'bad.pmtiles');
  for (const args of [['--collection', 'no-such'], ['--collection', 'coops-uk', '--maxzoom', '17'], ['--collection', 'tours']]) {
    let err;
    try {
      execFileSync(BIN, ['tiles', 'export', '--db', server.db, ...args, out], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      err = e;
    }
    assert.ok(err, `${args.join(' ')} was accepted`);
    assert.equal(err.status, 1, `${args.join(' ')}: exit ${err.status}`);
    assert.match(err.stderr.toString(), /--(collection|maxzoom)/);
    assert.equal(existsSync(out), false);
  }
});
