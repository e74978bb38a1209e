// The tour pages and the planner in a real browser: Debian's chromium
// driven by playwright-core against a real `coopmap serve` with the demo
// data, its routing graph and the four demo tours. Requests off the test
// server are blocked. GPX downloads are validated with xmllint against
// the GPX 1.1 schema. Screenshots go to web/frontend/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newPage } from './browser.mjs';
import { startServer, ROOT } from './server.mjs';
import * as planState from '../src/plan-state.js';

const ARTIFACTS = join(ROOT, 'web/frontend/artifacts');
const SCHEMA = join(ROOT, 'testdata/schemas/gpx.xsd');
let server;
let browser;
let scratch;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'coopmap-tours-'));
  server = await startServer({ graph: true });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** open loads path and waits until its script has drawn the page. */
async function open(path, options) {
  const page = await newPage(browser, server.base, options);
  await page.goto(server.base + path);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

function clean(page) {
  assert.deepEqual(page.errors, [], 'uncaught errors');
  assert.deepEqual(page.dialogs, [], 'dialogs (script from data ran)');
  assert.deepEqual(page.cspViolations, [], 'CSP violations');
}

/** validGPX downloads url and validates it with xmllint; it returns the document. */
async function validGPX(url, name) {
  const res = await fetch(new URL(url, server.base));
  assert.equal(res.status, 200, `${url}: ${res.status}`);
  assert.equal(res.headers.get('content-type'), 'application/gpx+xml');
  assert.match(res.headers.get('content-disposition') || '', /^attachment; filename="[a-z0-9-]+\.gpx"$/);
  const body = await res.text();
  const file = join(scratch, name);
  writeFileSync(file, body);
  // xmllint exits non-zero, and the test fails, unless the file validates.
  const out = execFileSync('xmllint', ['--noout', '--nonet', '--schema', SCHEMA, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(out, '');
  return body;
}

const waypoints = (gpx) => [...gpx.matchAll(/<wpt [^>]*><name>([^<]*)<\/name>/g)].map((m) => m[1]);
const noHorizontalScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

test('the tours list shows the four demo tours, and API clients still get JSON', async () => {
  const page = await open('/tours');
  const cards = page.locator('.tour-card');
  assert.equal(await cards.count(), 4);
  const titles = await cards.locator('h2').allTextContents();
  for (const side of ['North', 'East', 'South', 'West']) assert.ok(titles.some((t) => t.startsWith(`${side}:`)), `${side} tour listed: ${titles}`);
  assert.equal(await page.locator('.tour-card a[href$=".gpx"]').count(), 4);
  assert.match(await cards.first().locator('.tour-figures').textContent(), /\d stops · \d+\.\d km · about \d+ min by bike/);
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-tours.png'), fullPage: true });
  clean(page);
  await page.context().close();

  for (const [url, accept] of [['/tours', '*/*'], ['/tours?f=json', 'text/html']]) {
    const res = await fetch(server.base + url, { headers: { Accept: accept } });
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal((await res.json()).tours.length, 4);
  }
});

test('a tour page shows the route over the cycle layer, numbered stops linked to records, distance and a valid GPX', async () => {
  const page = await open('/tours/demo-north');
  assert.match(await page.title(), /^North: Palmers Green to Friern Barnet · coopmap$/);
  // The routed line, and the cycle layer, shown by default.
  assert.equal(await page.locator('#tour-map path.route-line').count(), 1);
  await page.waitForFunction(() => document.querySelectorAll('.leaflet-cycle-pane path').length > 20);
  assert.ok(await page.locator('#cycle-toggle').isChecked());
  assert.match(await page.locator('.attribution').textContent(), /Cycle map © OpenStreetMap contributors/);
  // Five numbered stops; the first and last share a postcode, so a marker.
  const labels = await page.locator('.stop-marker span').allTextContents();
  assert.deepEqual(labels.sort(), ['1·5', '2', '3', '4']);
  const stops = page.locator('#stops .stop');
  assert.equal(await stops.count(), 5);
  const links = await stops.locator('a.stop-name').evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
  assert.equal(links.length, 5);
  for (const l of links) assert.match(l, /^\/coops\/coops-uk\.R\d+$/);
  // Distance and time, per leg and in total.
  assert.match(await page.locator('#tour-summary').textContent(), /5 stops · \d+\.\d km · about \d+ min by bike/);
  assert.equal(await page.locator('#legs tbody tr').count(), 4);
  assert.match(await page.locator('#legs tfoot').textContent(), /Total\s*\d+\.\d km\s*\d+ min/);
  // Licence and attribution of the route and of the stops' records.
  const licence = await page.locator('.provenance').textContent();
  assert.match(licence, /Open Database License/);
  assert.match(licence, /Co-operatives UK/);
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-tour.png'), fullPage: true });

  // A marker opens a popup linking to the record.
  await page.locator('.stop-marker', { hasText: /^2$/ }).click();
  const popupLink = page.locator('.leaflet-popup a.record-link');
  await popupLink.waitFor();
  assert.equal(new URL(await popupLink.getAttribute('href'), server.base).pathname, links[1]);

  // The cycle layer can be turned off.
  await page.locator('#cycle-toggle').uncheck();
  assert.equal(await page.locator('.leaflet-cycle-pane path').count(), 0);

  // The GPX link works and validates.
  const gpx = await validGPX(await page.locator('#gpx-link').getAttribute('href'), 'demo-north.gpx');
  assert.equal(waypoints(gpx).length, 5);
  assert.match(gpx, /<trkpt /);
  assert.match(gpx, /OpenStreetMap/);

  // A stop's link opens its record page.
  await stops.first().locator('a.stop-name').click();
  await page.waitForURL(/\/coops\/coops-uk\.R\d+$/);
  assert.match(await page.locator('h1').textContent(), /Participatory Economy Project/);
  clean(page);
  await page.context().close();
});

test('the cue sheet lists the stops and the turns, and prints without the site chrome', async () => {
  const page = await open('/tours/demo-north/cues');
  assert.equal(await page.locator('#cue-stops tbody tr').count(), 5);
  assert.equal(await page.locator('.cue-leg').count(), 4);
  const cues = await page.locator('.cue-table tbody tr').allTextContents();
  assert.ok(cues.length > 20, `${cues.length} cues`);
  assert.ok(cues.some((c) => /Turn (left|right) onto [A-Z]\w+ (Road|Lanes|Grove|Avenue)/.test(c)), 'turns name streets');
  assert.match(cues[0], /^\s*0 m\s*Head \w+ on /);
  assert.match(cues.at(-1), /\d+\.\d km\s*Arrive at stop 5, Glowbox Web Design Limited/);
  assert.equal(await page.locator('#print-button').isVisible(), true);
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-cues.png'), fullPage: true });
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.tour-header').isVisible(), false, 'no site header on paper');
  assert.equal(await page.locator('#print-button').isVisible(), false, 'no print button on paper');
  await page.pdf({ path: join(ARTIFACTS, 'cue-sheet.pdf'), format: 'A4' });
  clean(page);
  await page.context().close();
});

/** stopNames lists the planner's stops as shown. */
const stopNames = (page) => page.locator('#plan-stops .stop-name').allTextContents();

/** routed waits for the planner's route after a change and returns its distance. */
async function routed(page) {
  await page.waitForSelector('body[data-route="ok"]');
  return Number(await page.evaluate(() => document.body.dataset.routeDistance));
}

/** addBySearch adds the co-op whose hit shows postcode. */
async function addBySearch(page, words, postcode) {
  await page.locator('#search-input').fill(words);
  const hit = page.locator('#search-results [role="option"]', { hasText: postcode });
  await hit.first().click();
}

test('planning a 5-stop tour end to end: search, click, drag, optimise, share, GPX', async () => {
  const page = await open('/plan');
  assert.equal(await page.locator('#plan-gpx').getAttribute('aria-disabled'), 'true');
  await addBySearch(page, 'Cavendish Club', 'N22 8YD');
  await addBySearch(page, 'Haringey Rhinos', 'N22 5QW');
  // The view is now on Haringey Rhinos, zoomed in: a co-op marker nearby
  // is added from its popup.
  const gida = page.locator('.leaflet-marker-icon.coop[title="Gida Housing Co-operative Limited"]');
  await gida.waitFor();
  await gida.click();
  await page.locator('.leaflet-popup button.add-stop').click();
  await addBySearch(page, 'Myddleton Road Community', 'N22 8PW');
  await addBySearch(page, 'New Southgate Conservative', 'N11 1PP');
  assert.deepEqual(await stopNames(page), ['Cavendish Club Limited', 'Haringey Rhinos Rugby Football Club', 'Gida Housing Co-operative Limited',
    'Myddleton Road Community Benefit Society Limited', 'New Southgate Conservative Club Limited']);
  const first = await routed(page);
  assert.ok(first > 3000, `route of ${first} m`);
  assert.equal(await page.locator('#map path.route-line').count(), 1);
  assert.equal(await page.locator('#plan-legs tbody tr').count(), 4);
  assert.equal(await page.locator('.stop-marker').count(), 5);

  // Drag stop 5 to second place.
  const handle = (i) => page.locator('#plan-stops .plan-stop').nth(i).locator('.drag');
  const from = await handle(4).boundingBox();
  const to = await handle(1).boundingBox();
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  for (let k = 1; k <= 12; k++) {
    await page.mouse.move(from.x + from.width / 2, from.y + (to.y - from.y - 8) * (k / 12) + from.height / 2);
    await page.waitForTimeout(20);
  }
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelectorAll('#plan-stops .stop-name')[1]?.textContent === 'New Southgate Conservative Club Limited');
  const dragged = await routed(page);
  assert.notEqual(dragged, first, 'the distance changes with the order');
  assert.match(await page.locator('#plan-status').textContent(), /Moved New Southgate Conservative Club Limited to position 2/);

  // The keyboard alternative: move stop 3 up.
  const before = await stopNames(page);
  await page.locator('#plan-stops .plan-stop').nth(2).locator('button.move-up').press('Enter');
  await page.waitForFunction((name) => document.querySelectorAll('#plan-stops .stop-name')[1]?.textContent === name, before[2]);
  await routed(page);

  // Optimise: the quickest order is no longer than the dragged one.
  const manual = await routed(page);
  await page.locator('#plan-optimise').click();
  await page.waitForFunction(() => /^Optimised/.test(document.getElementById('plan-status').textContent));
  const optimised = await routed(page);
  assert.ok(optimised < manual, `optimised ${optimised} m < ${manual} m`);
  assert.match(await page.locator('#plan-distance').textContent(), /^\d+\.\d km$/);
  const order = await stopNames(page);
  assert.equal(order[0], 'Cavendish Club Limited', 'the start stays first');
  assert.equal(order.length, 5);
  await page.screenshot({ path: join(ARTIFACTS, 'desktop-plan.png') });

  // The URL is the plan: reloading it reproduces the stops and the route.
  const shared = page.url();
  assert.match(shared, /\/plan\?stops=coops-uk\.R\d+(;coops-uk\.R\d+){4}$/);
  assert.equal(await page.locator('#plan-share').inputValue(), shared);
  const again = await open(new URL(shared).pathname + new URL(shared).search);
  assert.deepEqual(await stopNames(again), order);
  assert.equal(await routed(again), optimised);
  clean(again);
  await again.context().close();

  // The GPX of the plan validates and has the stops in order.
  const gpx = await validGPX(await page.locator('#plan-gpx').getAttribute('href'), 'plan.gpx');
  assert.deepEqual(waypoints(gpx), order.map((n, i) => `${i + 1}. ${n}`));
  // Saving: the command that stores the plan.
  const cli = await page.locator('#plan-cli').textContent();
  assert.match(cli, /^coopmap tour create --graph \.\/coopmap\.graph --id co-op-bike-tour --title 'Co-op bike tour' --stops 'coops-uk\.R\d+(;coops-uk\.R\d+){4}'$/);
  clean(page);
  await page.context().close();
});

test('"edit or plan from this tour" opens the planner with the tour', async () => {
  const page = await open('/tours/demo-east');
  await page.locator('#plan-link').click();
  await page.waitForURL(/\/plan\?/);
  await page.waitForSelector('body[data-ready="true"]');
  await routed(page);
  assert.equal((await stopNames(page)).length, 4);
  assert.equal(await page.locator('#plan-title').inputValue(), 'East: Palmers Green to Wood Green');
  assert.match(await page.locator('#plan-cli').textContent(), /^coopmap tour update --graph \.\/coopmap\.graph --id demo-east --title 'East: Palmers Green to Wood Green' --stops 'coops-uk\./);
  assert.match(page.url(), /tour=demo-east&title=East:%20Palmers%20Green%20to%20Wood%20Green&stops=coops-uk\./);
  // A round trip adds the ride back.
  const oneWay = await routed(page);
  await page.locator('#plan-round').check();
  await page.waitForFunction(() => document.querySelectorAll('#plan-legs tbody tr').length === 4);
  assert.ok(await routed(page) > oneWay);
  assert.match(await page.locator('#plan-cli').textContent(), /--stops '(coops-uk\.R\d+);(coops-uk\.R\d+;){3}\1'$/);
  clean(page);
  await page.context().close();
});

test('the main map links to the tours', async () => {
  const page = await open('/');
  await page.locator('a[href="/tours"]').click();
  await page.waitForURL(/\/tours$/);
  assert.equal(await page.locator('.tour-card').count(), 4);
  await page.context().close();
});

test('phone width 360 px: no horizontal scrolling on the tour pages and the planner', async () => {
  const phone = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
  for (const [path, shot] of [['/tours', 'phone-tours.png'], ['/tours/demo-north', 'phone-tour.png'], ['/tours/demo-north/cues', 'phone-cues.png'],
    ['/plan?tour=demo-north', 'phone-plan.png']]) {
    const page = await open(path, phone);
    if (path.startsWith('/plan')) await routed(page);
    assert.ok(await noHorizontalScroll(page), `${path} scrolls sideways`);
    await page.screenshot({ path: join(ARTIFACTS, shot), fullPage: !path.startsWith('/plan') });
    clean(page);
    await page.context().close();
  }
});

test('plan state: the URL, stops syntax, command and order helpers', () => {
  const plan = planState.readPlan('?tour=demo-east&title=My%20%27tour%27&stops=coops-uk.R1;Bowes%20Park%40-0.1195,51.6072;bad;X@999,1&round=1&end=free');
  assert.deepEqual(plan.stops, [{ ref: 'coops-uk.R1', name: 'coops-uk.R1', lon: NaN, lat: NaN }, { ref: '', name: 'Bowes Park', lon: -0.1195, lat: 51.6072 }]);
  assert.equal(plan.round, true);
  assert.equal(plan.freeEnd, true);
  assert.equal(plan.tour, 'demo-east');
  plan.stops[0] = { ref: 'coops-uk.R1', name: 'One', lon: -0.1, lat: 51.6 };
  assert.equal(planState.planQuery(plan), "?tour=demo-east&title=My%20'tour'&stops=coops-uk.R1;Bowes%20Park@-0.1195,51.6072&round=1&end=free");
  assert.deepEqual(planState.readPlan(planState.planQuery(plan)).stops[1], plan.stops[1]);
  assert.equal(planState.routeQuery(plan), 'points=-0.1,51.6;-0.1195,51.6072&roundtrip=true');
  assert.equal(planState.routeQuery({ ...plan, round: false }, { optimise: true }), 'points=-0.1,51.6;-0.1195,51.6072&order=optimize&end=free');
  assert.equal(planState.gpxURL(plan), "/route.gpx?stops=coops-uk.R1;Bowes%20Park@-0.1195,51.6072&roundtrip=true&title=My%20'tour'");
  assert.equal(planState.cliCommand(plan), "coopmap tour update --graph ./coopmap.graph --id demo-east --title 'My '\\''tour'\\''' --stops 'coops-uk.R1;Bowes Park@-0.1195,51.6072;coops-uk.R1'");
  assert.equal(planState.cliCommand({ ...plan, tour: '', round: false }), "coopmap tour create --graph ./coopmap.graph --id my-tour --title 'My '\\''tour'\\''' --stops 'coops-uk.R1;Bowes Park@-0.1195,51.6072'");
  assert.equal(planState.stopSpec({ ref: '', name: 'A;b@c', lon: 1.23456789, lat: 2 }), 'A b c@1.234568,2');
  assert.deepEqual(planState.tourJSON(plan).stops, [{ feature_id: 'coops-uk.R1' }, { name: 'Bowes Park', location: [-0.1195, 51.6072] }, { feature_id: 'coops-uk.R1' }]);
  assert.deepEqual(planState.move(['a', 'b', 'c'], 2, 0), ['c', 'a', 'b']);
  assert.deepEqual(planState.move(['a', 'b'], 5, 0), ['a', 'b']);
  assert.deepEqual(planState.reorder(['a', 'b', 'c'], [0, 2, 1, 0]), ['a', 'c', 'b']);
  assert.deepEqual(planState.reorder(['a', 'b', 'c'], [0, 1]), ['a', 'b', 'c'], 'a partial order is ignored');
  assert.equal(planState.slug('  Été — à Paris! '), 'ete-a-paris');
  assert.equal(planState.slug('!!!'), 'my-tour');
});
