// The web map's large collections, drawn from coopmap's own vector tiles
// (src/tiles.js), in a real browser: Debian's chromium driven by
// playwright-core against a real `coopmap serve` with the demo data and a
// generated overlay of 200,000 points imported from a CSV file
// (generated.mjs). Every request off the test server (the OSM basemap
// included) is blocked. Screenshots go to web/frontend/artifacts/.
//
// The server serves tiles up to z15 (COOPMAP_TILE_MAX_ZOOM, the
// --tile-max-zoom flag; its default is 16), so the map must take the max
// zoom from the page's settings to ask for no tile above it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, newPage, clean as pageClean } from './browser.mjs';
import { startServer, ROOT } from './server.mjs';
import { importPoints, LONE } from './generated.mjs';

const ARTIFACTS = join(ROOT, 'web/frontend/artifacts');
const BIG = 'big-200k';
const TOTAL = 200000;
const MAX_TILE_BYTES = 200000; // tiles.Options.MaxBytes
const TILE_MAX_ZOOM = 15;
process.env.COOPMAP_TILE_MAX_ZOOM = String(TILE_MAX_ZOOM); // read by coopmap serve, which startServer spawns

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

/** focusMap presses Tab until the map has the focus, as a keyboard user gets there. */
async function focusMap(page) {
  for (let i = 0; i < 100; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.id === 'map')) return;
  }
  assert.fail('Tab never reached the map');
}

const status = (page) => page.locator('#status').textContent();

test('keyboard: Enter on the focused map zooms into the cluster under the cross-hair', async () => {
  const page = await open(5, 51.5, -0.12, 'source=xss-fixture&');
  const cross = page.locator('.map-crosshair');
  assert.equal(await cross.isVisible(), false, 'no cross-hair before the map has keyboard focus');
  await focusMap(page);
  await cross.waitFor({ state: 'visible' });
  const [c, m] = [await cross.boundingBox(), await page.locator('#map').boundingBox()];
  assert.ok(Math.abs(c.x + c.width / 2 - (m.x + m.width / 2)) <= 2 && Math.abs(c.y + c.height / 2 - (m.y + m.height / 2)) <= 2,
    `cross-hair ${JSON.stringify(c)} is at the centre of the map ${JSON.stringify(m)}`);
  assert.match(await page.locator('#map').getAttribute('aria-describedby'), /map-keys/);
  assert.match(await page.locator('#map-keys').textContent(), /Enter or Space opens what is under the cross-hair/);
  await page.screenshot({ path: join(ARTIFACTS, 'tiles-keyboard.png') });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /#map=7\//.test(location.hash));
  assert.match(await status(page), /^A cluster of [\d,]+ in Generated 200k: zoomed in to level 7\.$/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'map', 'the map keeps the focus');
  clean(page);
  await page.context().close();
});

test(`max zoom from the settings: z17 magnifies the z${TILE_MAX_ZOOM} tiles; Space opens the record under the cross-hair`, async () => {
  const page = await open(17, LONE.lat, LONE.lon);
  const tiles = await page.evaluate(() => JSON.parse(document.getElementById('coopmap-config').textContent).tiles);
  assert.deepEqual(tiles, { maxZoom: TILE_MAX_ZOOM, clusterBelow: 14 });
  const s = await summary(page);
  assert.ok(s.points >= 1 && s.clusters === 0, `in view: ${JSON.stringify(s)}`);
  assert.ok(page.tiles.some((t) => t.z === TILE_MAX_ZOOM && t.status === 200), `z${TILE_MAX_ZOOM} tiles fetched`);
  assert.deepEqual(page.tiles.filter((t) => t.z > TILE_MAX_ZOOM), [], 'no tile asked for above the max zoom');
  assert.ok(await painted(page) > 20, 'point drawn');
  await focusMap(page);
  await page.keyboard.press(' ');
  const popup = page.locator('.leaflet-popup .popup');
  await popup.waitFor();
  assert.equal(await popup.locator('h3').textContent(), LONE.name);
  assert.equal(await popup.locator('h3 *').count(), 0, 'the name is text');
  await page.waitForSelector('.leaflet-popup .popup-fields dd:has-text("Food")');
  assert.match(await popup.textContent(), /Source: Generated 200k · Licence: CC0-1\.0/);
  assert.equal(await status(page), `${LONE.name} (Generated 200k): its popup is open; Escape closes it.`);
  assert.ok(await page.evaluate(() => Boolean(document.activeElement.closest('.leaflet-popup'))), 'focus moved into the popup');
  await page.keyboard.press('Tab');
  assert.ok(await page.evaluate(() => document.activeElement.matches('.leaflet-popup .popup a')), 'Tab reaches the popup\'s links');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.leaflet-popup', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'map', 'Escape returns to the map');
  assert.deepEqual(page.dialogs, []);
  clean(page);
  await page.context().close();
});

/** listCount waits until the list's count says re, and returns it. */
async function listCount(page, re) {
  await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('list-count').textContent), re.source, { timeout: 60000 });
  return re.exec(await page.locator('#list-count').textContent());
}

test('list view: the tile-drawn source in view, from the server, paged and sorted by name', async () => {
  const page = await open(10, 53.48, -2.24);
  const asked = [];
  page.on('request', (r) => { if (r.url().includes(`/collections/${BIG}/items?`)) asked.push(new URL(r.url()).searchParams); });
  await page.click('#view-list');
  const choice = page.locator('#list-source');
  assert.equal(await choice.inputValue(), '', 'the co-ops clustered on the map are listed first');
  assert.deepEqual(await choice.locator('option').allTextContents(), ['Co-ops clustered on the map', 'Generated 200k (listed from the server)']);
  await choice.selectOption(BIG);
  const n = (v) => Number(v.replace(/,/g, ''));
  const total = n((await listCount(page, /^([\d,]+) records of Generated 200k in view, showing 1–50$/))[1]);
  assert.ok(total > 10000 && total < TOTAL, `${total} in view`);
  const q = asked.at(-1);
  assert.equal(q.get('sortby'), 'name');
  assert.equal(q.get('limit'), '50');
  assert.equal(q.has('after'), false);
  assert.equal((await (await fetch(`${server.base}/collections/${BIG}/items?bbox=${q.get('bbox')}&limit=1`)).json()).numberMatched, total,
    'the total is numberMatched for the view');
  assert.equal(await page.locator('#page-info').textContent(), `Page 1 of ${Math.ceil(total / 50).toLocaleString('en-GB')}`);
  assert.match(await page.locator('#results caption').textContent(), /Generated 200k, listed from the server/);

  const names = () => page.$$eval('#results tbody th a', (as) => as.map((a) => a.textContent));
  const byBytes = (a, b) => (a < b ? -1 : a > b ? 1 : 0); // ASCII names: UTF-16 order is byte order
  const p1 = await names();
  assert.equal(p1.length, 50);
  assert.deepEqual(p1, [...p1].sort(byBytes), 'sorted by name');
  const hrefs = await page.$$eval('#results tbody th a', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.every((h) => h.startsWith(`/features/${BIG}/`)), hrefs[0]);
  const rec = await fetch(server.base + hrefs[0], { headers: { Accept: 'text/html' } });
  assert.equal(rec.status, 200, 'a row links to its record page');
  assert.match(await rec.text(), new RegExp(p1[0]));

  // The columns the server cannot sort by say so, and do not sort a page.
  const sector = page.locator('#results thead button[data-sort="sector"]');
  assert.equal(await sector.getAttribute('aria-disabled'), 'true');
  assert.equal(await sector.getAttribute('aria-describedby'), 'list-note');
  await sector.focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#results thead th').nth(1).getAttribute('aria-sort'), 'none');
  assert.deepEqual(await names(), p1);
  assert.match(await page.locator('#list-note').textContent(), /sorts by name only: sector, type, postcode cannot be sorted/);

  // Pages by keyboard: Next follows the server's cursor, Previous comes back.
  await page.focus('#page-next');
  await page.keyboard.press('Enter');
  await listCount(page, /showing 51–100$/);
  assert.ok(asked.at(-1).has('after'), 'the next page is asked for by its cursor');
  const p2 = await names();
  assert.deepEqual(p2, [...p2].sort(byBytes));
  assert.ok(byBytes(p1.at(-1), p2[0]) < 0, 'page 2 follows page 1');
  assert.match(await page.locator('#page-info').textContent(), /^Page 2 of /);
  await page.focus('#page-prev');
  await page.keyboard.press('Enter');
  await listCount(page, /showing 1–50$/);
  assert.deepEqual(await names(), p1);

  // Name, descending.
  await page.locator('#results thead button[data-sort="name"]').click();
  await page.waitForFunction(() => document.querySelector('#results thead th').getAttribute('aria-sort') === 'descending');
  await listCount(page, /showing 1–50$/);
  await page.waitForFunction((first) => document.querySelector('#results tbody th a')?.textContent !== first, p1[0]);
  assert.equal(asked.at(-1).get('sortby'), '-name');
  const d1 = await names();
  assert.deepEqual(d1, [...d1].sort(byBytes).reverse());
  assert.ok(byBytes(d1[0], p1.at(-1)) > 0);
  await page.screenshot({ path: join(ARTIFACTS, 'tiles-list.png') });

  // The whole source, out of the view.
  await page.locator('#list-in-view').uncheck();
  await listCount(page, /^200,000 records of Generated 200k, showing 1–50$/);
  assert.equal(asked.at(-1).has('bbox'), false);
  clean(page);
  await page.context().close();
});

test('list view: a view holding the whole source lists it without a bbox', async () => {
  const page = await open(5, 54.5, -3, 'source=xss-fixture&');
  const asked = [];
  page.on('request', (r) => { if (r.url().includes(`/collections/${BIG}/items?`)) asked.push(new URL(r.url()).searchParams); });
  await page.click('#view-list');
  await page.locator('#list-source').selectOption(BIG);
  await listCount(page, /^200,000 records of Generated 200k in view, showing 1–50$/);
  assert.equal(asked.at(-1).has('bbox'), false, 'the same records, from the name index');
  // The choice and the order are in the URL, and the URL brings them back.
  const ascending = await page.locator('#results tbody th a').first().textContent();
  await page.locator('#results thead button[data-sort="name"]').click();
  await page.waitForFunction(() => document.querySelector('#results thead th').getAttribute('aria-sort') === 'descending');
  await page.waitForFunction((a) => document.querySelector('#results tbody th a')?.textContent !== a, ascending);
  await listCount(page, /^200,000 records of Generated 200k in view, showing 1–50$/);
  await page.waitForFunction((big) => new URL(location.href).searchParams.get('list') === big, BIG);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('sort'), '-name');
  const first = await page.locator('#results tbody th a').first().textContent();
  clean(page);
  await page.context().close();
  const again = await newPage(browser, server.base);
  await again.goto(url.href);
  await again.waitForSelector('body[data-ready="true"]');
  await listCount(again, /^200,000 records of Generated 200k in view, showing 1–50$/);
  assert.equal(await again.locator('#list-source').inputValue(), BIG);
  assert.equal(await again.locator('#results thead th').first().getAttribute('aria-sort'), 'descending');
  assert.equal(await again.locator('#results tbody th a').first().textContent(), first);
  pageClean(again); // the map is hidden: no tiles to check
  await again.context().close();
});
