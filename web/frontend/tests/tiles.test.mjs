// The web map's large collections, drawn from coopmap's own vector tiles
// (src/tiles.js), in a real browser: Debian's chromium driven by
// playwright-core against a real `coopmap serve` with the demo data and a
// generated overlay of 200,000 points imported from a CSV file
// (generated.mjs). Every request off the test server (the OSM basemap
// included) is blocked. Screenshots go to web/frontend/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, newPage } from './browser.mjs';
import { startServer, ROOT } from './server.mjs';
import { importPoints, LONE } from './generated.mjs';

const ARTIFACTS = join(ROOT, 'web/frontend/artifacts');
const BIG = 'big-200k';
const TOTAL = 200000;
const MAX_TILE_BYTES = 200000; // tiles.Options.MaxBytes

let server;
let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer({ extra: (db, bin) => importPoints(db, bin, { id: BIG, title: 'Generated 200k', n: TOTAL }) });
  browser = await launch();
}, { timeout: 600000 });
after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * open loads the map with the big layer on at the view z/lat/lon (and the
 * query, to filter the co-ops), and waits until the layer has drawn every
 * tile in view. The page records every tile response.
 */
async function open(z, lat, lon, query = '') {
  const page = await newPage(browser, server.base);
  page.tiles = [];
  page.on('response', async (res) => {
    const m = new RegExp(`/tiles/${BIG}/(\\d+)/(\\d+)/(\\d+)\\.mvt$`).exec(res.url());
    if (!m) return;
    const body = res.status() === 200 ? await res.body().catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
    page.tiles.push({ z: Number(m[1]), status: res.status(), bytes: body.length, encoding: res.headers()['content-encoding'] || '' });
  });
  await page.goto(`${server.base}/?${query}layer=${BIG}#map=${z}/${lat}/${lon}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('[data-panel="layers-panel"]');
  await page.waitForFunction((id) => /^In view: /.test(document.getElementById(`tiles-note-${id}`)?.textContent || ''), BIG, { timeout: 120000 });
  return page;
}

/** summary reads the layer's note: features, clusters and single points in view. */
async function summary(page) {
  const text = await page.locator(`#tiles-note-${BIG}`).textContent();
  const m = /^In view: ([\d,]+) features? \(([\d,]+) clusters, ([\d,]+) single\)/.exec(text);
  assert.ok(m, `note: ${text}`);
  const n = (s) => Number(s.replace(/,/g, ''));
  return { records: n(m[1]), clusters: n(m[2]), points: n(m[3]) };
}

/** painted counts the non-transparent pixels of the tile canvases. */
function painted(page) {
  return page.$$eval('.leaflet-tiled-pane canvas.leaflet-tile-loaded', (cs) => cs.reduce((n, c) => {
    if (!c.width) return n;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  }, 0));
}

/** screenXY is where lon/lat is in the map element, for the view in the URL. */
async function screenXY(page, lon, lat) {
  const [, z, clat, clon] = /#map=(\d+)\/(-?[\d.]+)\/(-?[\d.]+)/.exec(page.url()).map(Number);
  const world = 256 * 2 ** z;
  const px = (x, y) => [(x + 180) / 360 * world, (1 - Math.log(Math.tan(Math.PI / 4 + y * Math.PI / 360)) / Math.PI) / 2 * world];
  const [cx, cy] = px(clon, clat);
  const [x, y] = px(lon, lat);
  const box = await page.locator('#map').boundingBox();
  return { x: box.x + box.width / 2 + (x - cx), y: box.y + box.height / 2 + (y - cy) };
}

function clean(page) {
  assert.deepEqual(page.errors, [], 'uncaught errors');
  assert.deepEqual(page.cspViolations, [], 'CSP violations');
  assert.ok(page.blocked.some((u) => u.includes('tile.openstreetmap.org')), 'basemap tiles were asked for and blocked');
  const big = page.tiles.filter((t) => t.bytes > MAX_TILE_BYTES);
  assert.deepEqual(big, [], `tiles over ${MAX_TILE_BYTES} bytes`);
  assert.ok(page.tiles.every((t) => t.status === 200 || t.status === 204 || t.status === 304), `tile statuses ${page.tiles.map((t) => t.status)}`);
}

test('z5: all of Great Britain in clusters with counts, without the basemap', async () => {
  // Only the one-record XSS fixture of the co-ops, so that no co-op
  // cluster covers the layer's.
  const page = await open(5, 54.5, -3, 'source=xss-fixture&');
  const s = await summary(page);
  assert.equal(s.records, TOTAL, 'clusters count every point once');
  assert.ok(s.clusters > 20, `${s.clusters} clusters`);
  assert.ok(page.tiles.some((t) => t.z === 5 && t.status === 200), 'z5 tiles fetched');
  assert.ok(await painted(page) > 500, 'tiles drawn');
  // The layer is in the attribution while shown, and leaves it when off.
  assert.match(await page.locator('.attribution summary').textContent(), /Generated 200k \(CC0-1\.0\)/);
  await page.screenshot({ path: join(ARTIFACTS, 'tiles-z5.png') });
  // Opacity reaches the layer; the toggle removes and restores it.
  await page.locator(`#opacity-${BIG}`).fill('0.5');
  assert.equal(await page.$eval('.leaflet-tiled-pane .leaflet-layer', (e) => e.style.opacity), '0.5');
  await page.locator('label', { hasText: 'Generated 200k' }).click();
  assert.equal(await page.locator('.leaflet-tiled-pane canvas').count(), 0, 'layer removed');
  assert.doesNotMatch(await page.locator('.attribution summary').textContent(), /Generated 200k/);
  assert.doesNotMatch(page.url(), /layer=/);
  await page.locator('label', { hasText: 'Generated 200k' }).click();
  await page.waitForSelector('.leaflet-tiled-pane canvas.leaflet-tile-loaded');
  assert.match(page.url(), new RegExp(`layer=${BIG}`));
  // A click on the London crowd's bubble zooms in on it.
  const at = await screenXY(page, -0.12, 51.5);
  await page.mouse.click(at.x, at.y);
  await page.waitForFunction(() => /#map=7\//.test(location.hash));
  clean(page);
  await page.context().close();
});

test('z10: a city in clusters', async () => {
  const page = await open(10, 53.48, -2.24);
  const s = await summary(page);
  assert.ok(s.clusters > 50, `${s.clusters} clusters`);
  assert.ok(s.records > 10000 && s.records < TOTAL, `${s.records} in view`);
  assert.ok(page.tiles.some((t) => t.z === 10 && t.status === 200), 'z10 tiles fetched');
  assert.ok(await painted(page) > 2000, 'tiles drawn');
  await page.screenshot({ path: join(ARTIFACTS, 'tiles-z10.png') });
  clean(page);
  await page.context().close();
});

test('z14: single points, and a click opens the record safely', async () => {
  const page = await open(14, LONE.lat, LONE.lon);
  const s = await summary(page);
  assert.ok(s.points >= 1 && s.clusters === 0, `in view: ${JSON.stringify(s)}`);
  assert.ok(page.tiles.some((t) => t.z === 14 && t.status === 200), 'z14 tiles fetched');
  assert.ok(await painted(page) > 20, 'point drawn');
  await page.click('#layers-panel .close'); // out of the way of the map
  const at = await screenXY(page, LONE.lon, LONE.lat);
  await page.mouse.move(at.x, at.y);
  await page.waitForSelector('.leaflet-container.tiles-pointer');
  await page.mouse.click(at.x, at.y);
  const popup = page.locator('.leaflet-popup .popup');
  await popup.waitFor();
  assert.equal(await popup.locator('h3').textContent(), LONE.name);
  await page.waitForSelector('.leaflet-popup .popup-fields dd:has-text("Food")');
  assert.match(await popup.textContent(), /Source: Generated 200k · Licence: CC0-1\.0/);
  assert.equal(await popup.locator('.popup-loading').count(), 0, 'details loaded');
  assert.match(page.url(), new RegExp(`sel=${BIG}\\.`));
  await page.screenshot({ path: join(ARTIFACTS, 'tiles-z14.png') });
  clean(page);
  await page.context().close();
});

test('phone: the tiles draw at 360 px too', async () => {
  const page = await newPage(browser, server.base, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  page.tiles = [];
  await page.goto(`${server.base}/?layer=${BIG}#map=6/54.5/-3`);
  await page.waitForSelector('.leaflet-tiled-pane canvas.leaflet-tile-loaded');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.ok(await painted(page) > 100, 'tiles drawn');
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no horizontal scroll');
  await page.screenshot({ path: join(ARTIFACTS, 'tiles-phone.png') });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
