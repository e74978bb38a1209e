// The web map in a real browser: Debian's chromium driven by
// playwright-core against a real `coopmap serve` with the demo data and
// the XSS fixture. Every request off the test server (the OSM basemap
// included) is blocked, so the map must work without them. Screenshots
// go to web/frontend/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, newPage, clean } from './browser.mjs';
import { startServer, ROOT } from './server.mjs';

const ARTIFACTS = join(ROOT, 'web/frontend/artifacts');
const XSS_ID = 'xss-fixture.xss-1';
let server;
let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** open loads path and waits until the co-ops are drawn. */
async function open(path = '/', options) {
  const page = await newPage(browser, server.base, options);
  await page.goto(server.base + path);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

const count = (page) => page.locator('#filter-count').textContent();

test('map loads and shows clusters without the basemap', async () => {
  const page = await open();
  const clusters = page.locator('.leaflet-marker-icon.cluster');
  assert.ok(await clusters.count() > 10, 'clusters on the map');
  const total = await page.$$eval('.cluster span', (s) => s.reduce((n, e) => n + Number(e.textContent.replace('k', '000')), 0));
  assert.ok(total > 5000, `clusters count ${total} co-ops`);
  assert.match(await count(page), /^7,098 of 7,098 co-ops match/);
  assert.ok(page.blocked.some((u) => u.includes('tile.openstreetmap.org')), 'basemap tiles were asked for and blocked');
  assert.match(await page.locator('.attribution').textContent(), /OpenStreetMap contributors.*Co-operatives UK open data/);
  assert.equal(await clusters.first().getAttribute('tabindex'), '0', 'clusters are focusable');
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-map.png') });
  // A cluster of the first view opens with Enter into the zoom where it
  // splits, which the finer zooms' clusters then draw.
  const zoom = () => Number(new URL(page.url()).hash.split('=')[1].split('/')[0]);
  const z0 = zoom();
  await clusters.first().focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((z) => Number(location.hash.split('=')[1]?.split('/')[0]) > z, z0);
  await page.waitForFunction(() => document.querySelectorAll('.leaflet-marker-icon').length > 0);
  assert.ok(zoom() > z0, `zoom ${z0} → ${zoom()}`);
  clean(page);
  await page.context().close();
});

test('search finds a known co-op and opens it', async () => {
  const page = await open();
  const box = page.locator('#search-input');
  await box.fill('unicorn grocery');
  await page.waitForSelector('#search-results [role="option"]');
  assert.match(await page.locator('#search-results [role="option"]').first().textContent(), /Unicorn Grocery/);
  await box.press('ArrowDown');
  assert.equal(await box.getAttribute('aria-activedescendant'), 'hit-0');
  await box.press('Enter');
  const popup = page.locator('.leaflet-popup .popup');
  await popup.waitFor();
  assert.match(await popup.locator('h3').textContent(), /Unicorn Grocery/);
  await popup.locator('.popup-source').waitFor();
  assert.match(await popup.textContent(), /Licence: ODC-By-1.0/);
  assert.match(page.url(), /sel=coops-uk\./);
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-search.png') });
  // A postcode district flies the map there.
  await box.fill('M21');
  await page.waitForSelector('#search-results [role="option"]:has-text("Postcode district")');
  await box.press('Enter');
  await page.waitForFunction(() => /#map=1[2-5]\/53\.4\d*\/-2\.2\d*/.test(location.hash));
  await page.locator('.leaflet-popup a.record-link').count().then((n) => assert.ok(n <= 1));
  await page.evaluate(() => document.querySelector('.leaflet-popup-close-button')?.click());
  await box.fill('unicorn grocery');
  await page.waitForSelector('#search-results [role="option"]:has-text("Unicorn Grocery")');
  await box.press('Enter');
  await popup.locator('.popup-source').waitFor();
  await popup.locator('a.record-link').click();
  await page.waitForURL(/\/coops\/coops-uk\./);
  assert.match(await page.locator('h1').textContent(), /Unicorn Grocery/);
  clean(page);
  await page.context().close();
});

test('a filter changes the count and the URL; the URL reproduces the view', async () => {
  const page = await open('/#map=9/53.48000/-2.24000');
  await page.click('[data-panel="filters-panel"]');
  const before = await count(page);
  const housing = page.locator('fieldset[data-facet="sector"] li', { hasText: 'Housing' }).first();
  const label = await housing.locator('label').textContent();
  await housing.locator('input').check();
  const after = await count(page);
  assert.notEqual(after, before);
  const n = Number(after.split(' ')[0].replace(/,/g, ''));
  assert.equal(`(${n.toLocaleString('en-GB')})`, label.match(/\([\d,]+\)$/)[0], 'the count matches the facet count');
  assert.match(page.url(), /sector=Housing/);
  await page.locator('.leaflet-control-zoom-in').click();
  await page.waitForFunction(() => /#map=10\//.test(location.hash));
  const url = page.url();
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-filters.png') });
  clean(page);
  await page.context().close();

  const again = await open(url.slice(server.base.length));
  assert.equal(await count(again), after);
  assert.equal(again.url(), url);
  assert.match(again.url(), /#map=10\/53\.48\d*\/-2\.24\d*/);
  await again.click('[data-panel="filters-panel"]');
  assert.ok(await again.locator('fieldset[data-facet="sector"] li', { hasText: 'Housing' }).first().locator('input').isChecked());
  clean(again);
  await again.context().close();
});

test('list view is operable by keyboard alone', async () => {
  const page = await open('/#map=11/53.48000/-2.24000');
  await page.focus('#view-map');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'view-list');
  await page.keyboard.press('Enter');
  await page.locator('#list').waitFor();
  assert.equal(await page.locator('#map').isHidden(), true);
  assert.match(page.url(), /view=list/);
  const rows = page.locator('#results tbody tr');
  assert.ok(await rows.count() > 5);
  assert.match(await page.locator('#list-count').textContent(), /co-ops, showing 1–/);
  // Sort by sector with the keyboard.
  await page.focus('button[data-sort="sector"]');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('th:has(button[data-sort="sector"])').getAttribute('aria-sort'), 'ascending');
  // Tab into the table, arrow down a row, open it.
  await page.focus('button[data-sort="postcode"]');
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement.textContent);
  assert.equal(first, await rows.first().locator('a').textContent());
  await page.keyboard.press('ArrowDown');
  const second = await page.evaluate(() => document.activeElement.getAttribute('href'));
  assert.equal(second, await rows.nth(1).locator('a').getAttribute('href'));
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-list.png') });
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === second);
  assert.ok(await page.locator('h1').count() === 1);
  clean(page);
  await page.context().close();
});

test('the co-ops come in two parts, and a source that changes between them is read again in one piece', async () => {
  // As loaded: positions and labels, nothing else.
  const asked = (page) => {
    const urls = [];
    page.on('request', (r) => { if (r.url().includes('/map/points/')) urls.push(new URL(r.url()).pathname); });
    return urls;
  };
  let page = await newPage(browser, server.base);
  let urls = asked(page);
  await page.goto(`${server.base}/?source=coops-uk&view=list#map=11/53.48000/-2.24000`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.deepEqual(urls.sort(), ['/map/points/coops-uk/labels', '/map/points/coops-uk/positions']);
  const names = await page.$$eval('#results tbody tr a', (as) => as.slice(0, 5).map((a) => [a.textContent, a.getAttribute('href')]));
  clean(page);
  await page.context().close();
  // The labels are of a newer version than the positions: the whole
  // point set is read instead, and the map and list are the same.
  page = await newPage(browser, server.base);
  urls = asked(page);
  await page.route('**/map/points/coops-uk/labels', async (route) => {
    const res = await route.fetch();
    const doc = await res.json();
    await route.fulfill({ response: res, json: { ...doc, version: doc.version + 1 } });
  });
  await page.goto(`${server.base}/?source=coops-uk&view=list#map=11/53.48000/-2.24000`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.ok(urls.includes('/map/points/coops-uk'), `asked for ${urls}`);
  assert.match(await count(page), /^7,097 of 7,097 co-ops match/);
  assert.deepEqual(await page.$$eval('#results tbody tr a', (as) => as.slice(0, 5).map((a) => [a.textContent, a.getAttribute('href')])), names);
  assert.ok(names.every(([name, href]) => name && href.startsWith('/coops/coops-uk.')), JSON.stringify(names));
  clean(page);
  await page.context().close();
  // Neither can be had: the markers stay, and the status says so.
  page = await newPage(browser, server.base);
  await page.route(/\/map\/points\/coops-uk(\/labels)?$/, (route) => route.fulfill({ status: 503, body: '' }));
  await page.goto(`${server.base}/?source=coops-uk`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.match(await page.locator('#status').textContent(), /Could not load the co-ops' names \(coops-uk: 503\)/);
  // The status line fades once the page is ready; a problem stays on show.
  await page.waitForTimeout(4500);
  assert.equal(await page.locator('#status').evaluate((e) => getComputedStyle(e).opacity), '1');
  assert.ok(await page.locator('.leaflet-marker-icon.cluster').count() > 10, 'clusters drawn from the positions');
  clean(page);
  await page.context().close();
});

test('co-ops at one spot are listed by their cluster', async () => {
  // Many co-ops are registered at 1 Angel Square, Manchester (M60 0AS):
  // one postcode centroid that no zoom can split.
  const doc = await (await fetch(`${server.base}/map/points/coops-uk`)).json();
  const k = doc.postcodes.indexOf('M60 0AS');
  const [lon, lat] = [doc.coords[2 * k], doc.coords[2 * k + 1]];
  const page = await open(`/#map=17/${lat.toFixed(5)}/${lon.toFixed(5)}`);
  await page.locator('.leaflet-marker-icon.cluster').first().waitFor();
  const counts = await page.$$eval('.leaflet-marker-icon.cluster', (cs) => cs.map((c) => Number(c.textContent)));
  const n = Math.max(...counts);
  const cluster = page.locator('.leaflet-marker-icon.cluster').nth(counts.indexOf(n));
  assert.ok(n >= 3, `${n} co-ops at M60 0AS`);
  await cluster.focus();
  await page.keyboard.press('Enter');
  const leaves = page.locator('.leaflet-popup .leaves button');
  await leaves.first().waitFor();
  assert.equal(await leaves.count(), Math.min(n, 50));
  const name = await leaves.nth(1).textContent();
  await leaves.nth(1).click();
  await page.waitForFunction((nm) => document.querySelector('.leaflet-popup .popup h3')?.textContent === nm, name);
  assert.match(page.url(), /sel=coops-uk\./);
  clean(page);
  await page.context().close();
});

test('record page shows provenance and a map', async () => {
  const page = await newPage(browser, server.base);
  const res = await page.goto(`${server.base}/coops/coops-uk.R002167`);
  assert.equal(res.status(), 200);
  assert.match(await page.title(), /Unicorn Grocery.* · coopmap/);
  const prov = page.locator('section.provenance');
  assert.match(await prov.textContent(), /Open Data Commons Attribution License v1\.0/);
  assert.match(await prov.textContent(), /Contains data from Co-operatives UK/);
  assert.match(await prov.textContent(), /Record last updated/);
  assert.equal(await page.locator('meta[property="og:title"]').getAttribute('content'), await page.locator('h1').textContent());
  await page.locator('#record-map .point').waitFor();
  const geo = await page.request.get(server.base + await page.locator('a[type="application/geo+json"]').getAttribute('href'));
  assert.equal(geo.status(), 200);
  assert.equal((await geo.json()).id, 'coops-uk.R002167');
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-record.png'), fullPage: true });
  clean(page);
  await page.context().close();
});

test('the XSS fixture renders as inert text', async () => {
  const page = await open(`/?sel=${XSS_ID}`);
  const popup = page.locator('.leaflet-popup .popup');
  await popup.locator('.popup-source').waitFor();
  await page.waitForFunction(() => !document.querySelector('.popup-loading'));
  assert.equal(await popup.locator('h3').textContent(), '<img src=x onerror=alert(1)>');
  assert.equal(await page.locator('img[src="x"], svg[onload], script:not([src]):not([type])').count(), 0);
  assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
  await page.click('[data-panel="filters-panel"]');
  assert.ok(await page.locator('fieldset[data-facet="source"] label', { hasText: 'XSS fixture <b>bold</b>' }).count() === 1);
  await page.click('[data-panel="layers-panel"]');
  assert.ok(await page.locator('.layer-attribution', { hasText: 'Fixture <script>alert(4)</script>' }).count() === 1);
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-xss.png') });
  await page.goto(`${server.base}/coops/${XSS_ID}`);
  assert.equal(await page.locator('h1').textContent(), '<img src=x onerror=alert(1)>');
  assert.match(await page.locator('main').textContent(), /javascript:alert\(1\)/);
  assert.equal(await page.locator('img[src="x"], svg[onload], a[href^="javascript:"]').count(), 0);
  await page.waitForTimeout(300);
  clean(page);
  await page.context().close();
});

test('a download link returns a file with its licence', async () => {
  const page = await open('/#map=12/53.48000/-2.24000');
  await page.click('[data-panel="downloads-panel"]');
  const section = page.locator('section.download', { hasText: 'Co-operatives UK open data' });
  assert.match(await section.locator('.licence').textContent(), /Open Data Commons Attribution License/);
  const link = section.locator('.formats').nth(1).locator('a', { hasText: 'GeoJSON' });
  const href = await link.getAttribute('href');
  assert.match(href, /^\/collections\/coops-uk\/download\?f=geojson&bbox=/);
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const file = await download.path();
  const { readFileSync } = await import('node:fs');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(doc.type, 'FeatureCollection');
  assert.ok(doc.features.length > 0 && doc.features.length < 7097, `${doc.features.length} features in the view`);
  assert.ok(JSON.stringify(doc).includes('ODC-By'), 'the licence travels with the file');
  clean(page);
  await page.context().close();
});

test('an overlay layer toggles with its attribution and stays in the URL', async () => {
  const page = await open('/#map=13/53.48000/-2.24000');
  await page.click('[data-panel="layers-panel"]');
  await page.locator('label', { hasText: 'Test orchards' }).click();
  await page.waitForSelector('path.leaflet-interactive');
  assert.match(page.url(), /layer=test-orchards/);
  assert.match(await page.locator('.attribution summary').textContent(), /Test orchards \(OGL-UK-3\.0\)/);
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-layers.png') });
  const again = await open(page.url().slice(server.base.length));
  await again.waitForSelector('path.leaflet-interactive');
  await page.locator('label', { hasText: 'Test orchards' }).click();
  assert.equal(await page.locator('path.leaflet-interactive').count(), 0);
  assert.doesNotMatch(page.url(), /layer=/);
  clean(page);
  clean(again);
  await page.context().close();
  await again.context().close();
});

test('embed dialog gives an iframe for the current view', async () => {
  const page = await open('/?sector=Housing#map=8/53.00000/-2.00000');
  await page.click('#embed-button');
  const code = await page.locator('#embed-code').inputValue();
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/\?sector=Housing&amp;embed=1#map=8\/53\.00000\/-2\.00000"/);
  await page.keyboard.press('Escape');
  const frame = await open('/?sector=Housing&embed=1#map=8/53.00000/-2.00000');
  assert.equal(await frame.locator('header.top').isHidden(), true);
  assert.equal(await frame.locator('a.larger').count(), 1);
  clean(page);
  await page.context().close();
  await frame.context().close();
});

test('phone viewport has no horizontal scroll', async () => {
  const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  const page = await open('/', phone);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await overflow(), 0, 'map');
  await page.screenshot({ path: join(ARTIFACTS, 'phone-map.png') });
  await page.click('[data-panel="filters-panel"]');
  assert.equal(await overflow(), 0, 'filters');
  await page.screenshot({ path: join(ARTIFACTS, 'phone-filters.png') });
  await page.click('#filters-panel .close');
  await page.click('#view-list');
  assert.equal(await overflow(), 0, 'list');
  await page.screenshot({ path: join(ARTIFACTS, 'phone-list.png') });
  await page.goto(`${server.base}/coops/coops-uk.R002167`);
  assert.equal(await overflow(), 0, 'record page');
  await page.screenshot({ path: join(ARTIFACTS, 'phone-record.png'), fullPage: true });
  clean(page);
  await page.context().close();
});
