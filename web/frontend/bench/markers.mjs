// Times the web map in headless chromium on this machine: from navigation
// to the first co-op cluster painted (the browser's own Element Timing of
// the cluster's label), with the Co-operatives UK demo data (7,097
// points), 12,000 points spread evenly over a box around Great Britain,
// 12,000 at real UK postcode centroids, and all sources together, and
// once more as playwright's selector sees it; from navigation to the first
// vector tile of a generated 200,000-point overlay on screen (src/tiles.js);
// and the JS + CSS the page transfers, gzipped. The basemap is blocked
// (not part of the figure). Run it with bench/web.sh.
import { execFileSync } from 'node:child_process';
import { writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync, gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { launch } from '../tests/browser.mjs';
import { startServer, ROOT } from '../tests/server.mjs';
import { importPoints } from '../tests/generated.mjs';

const RUNS = Number(process.env.RUNS || 7);
// ROUTE=1 blocks other hosts as the browser tests do, by routing every
// request through playwright (which adds a round trip to node to each of
// the page's requests); by default the browser itself refuses the basemap
// host (CDP Network.setBlockedURLs) and the page's requests go straight
// to the server, as a visitor's do.
const ROUTE = process.env.ROUTE === '1';

/** openPage opens a page in a fresh context, the basemap blocked. */
async function openPage(browser, base, options = { viewport: { width: 1440, height: 900 } }) {
  const context = await browser.newContext(options);
  if (ROUTE) await context.route('**/*', (r) => (r.request().url().startsWith(base) ? r.continue() : r.abort()));
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  if (!ROUTE) {
    await cdp.send('Network.enable');
    await cdp.send('Network.setBlockedURLs', { urls: ['*://tile.openstreetmap.org/*', '*://*.tile.openstreetmap.org/*'] });
  }
  return { context, page, cdp };
}

/**
 * observed returns a CDP expression that waits, in the page's own world,
 * for the first performance entry of type named name and gives its time
 * in ms after navigation: for an element (Element Timing), when the
 * browser painted it; for a mark, when it was set. Unlike playwright's
 * selectors it puts no script of its own into the page while it loads.
 */
const observed = (type, name) => `new Promise((resolve) => new PerformanceObserver((list, obs) => {
  const e = list.getEntries().find((x) => (x.identifier || x.name) === ${JSON.stringify(name)});
  if (e) { obs.disconnect(); resolve(e.renderTime || e.loadTime || e.startTime); }
}).observe({ type: ${JSON.stringify(type)}, buffered: true }))`;

/** waitObserved navigates page to url and waits for observed(type, name), giving its time. */
async function waitObserved(page, cdp, url, type, name) {
  await page.goto(url, { waitUntil: 'commit' });
  const { result, exceptionDetails } = await cdp.send('Runtime.evaluate', { expression: observed(type, name), awaitPromise: true, returnByValue: true, timeout: 120000 });
  if (exceptionDetails) throw new Error(`waiting for ${name}: ${exceptionDetails.text}`);
  return Math.round(result.value);
}

/** loadMarkers loads the map with source (all sources when empty) once and returns when the first cluster is on screen, with the page's marks. */
async function loadMarkers(browser, base, source, playwright) {
  const { context, page, cdp } = await openPage(browser, base);
  const url = base + (source ? `/?source=${source}` : '/');
  let ms;
  if (playwright) {
    const t0 = Date.now();
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForSelector('.leaflet-marker-icon.cluster', { state: 'visible', timeout: 60000 });
    ms = Date.now() - t0;
  } else {
    ms = await waitObserved(page, cdp, url, 'element', 'coopmap-cluster');
  }
  await page.waitForSelector('body[data-ready="true"]');
  const points = await page.evaluate(() => document.getElementById('filter-count')?.textContent || '');
  const marks = await page.evaluate(() => Object.fromEntries(['coopmap-start', 'coopmap-points', 'coopmap-markers', 'coopmap-frame']
    .map((n) => [n.slice(8), Math.round(performance.getEntriesByName(n)[0]?.startTime ?? -1)])));
  await context.close();
  return { ms, marks, points: points.split(' co-ops')[0] };
}

/**
 * timeMarkers times each case ({label, source, playwright}) until the
 * first cluster marker is on screen: by default as the browser's Element
 * Timing records its paint, the page loaded with nothing else in it;
 * with playwright, until playwright's selector sees it visible (which
 * evaluates playwright's injected script in the page while it loads, and
 * polls). The cases take turns, one load each per round, so that a
 * change in the machine's load falls on all of them alike; a first round
 * warms the server's point sets and is not counted.
 */
async function timeMarkers(browser, base, cases) {
  const runs = cases.map(() => []);
  let loaded = [];
  for (let i = 0; i < RUNS + 1; i++) {
    loaded = [];
    for (const [k, c] of cases.entries()) {
      const r = await loadMarkers(browser, base, c.source, c.playwright);
      if (i > 0) runs[k].push(r);
      loaded.push(r.points);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [k, c] of cases.entries()) {
    const ms = runs[k].map((r) => r.ms);
    const mark = (n) => median(runs[k].map((r) => r.marks[n]));
    console.log(`${c.label} (${loaded[k]} records): ${c.playwright ? 'visible to playwright' : 'first cluster painted'} after ${median(ms)} ms median ` +
      `(min ${Math.min(...ms)}, max ${Math.max(...ms)}, ${RUNS} runs)`);
    console.log(`  page marks, median ms after navigation: script started ${mark('start')}, points read ${mark('points')}, ` +
      `markers in the DOM ${mark('markers')}, frame with them started ${mark('frame')}`);
  }
}

/**
 * timeTiles times path (with the 200,000-point layer on) until the first
 * tile of it is on screen: the page marks coopmap-tiles at the first
 * tile's 'tileload' (its canvas drawn) and coopmap-tiles-frame as the
 * next frame, the one that shows it, starts; the figure is the latter.
 * (Element Timing does not cover canvases.) The first run finds the
 * server's tile cache and cluster index cold and is reported apart.
 */
async function timeTiles(browser, base, path) {
  const times = [];
  const marks = [];
  let cold = null;
  for (let i = 0; i < RUNS + 1; i++) {
    const { context, page, cdp } = await openPage(browser, base);
    const ms = await waitObserved(page, cdp, base + path, 'mark', 'coopmap-tiles-frame');
    const m = await page.evaluate(() => Object.fromEntries(['coopmap-start', 'coopmap-tiles']
      .map((n) => [n.slice(8), Math.round(performance.getEntriesByName(n)[0]?.startTime ?? -1)])));
    if (i === 0) cold = { ms, ...m };
    else { times.push(ms); marks.push(m); }
    await context.close();
  }
  times.sort((a, b) => a - b);
  const med = (k) => marks.map((m) => m[k]).sort((a, b) => a - b)[Math.floor(marks.length / 2)];
  console.log(`  cold server (first run): on screen after ${cold.ms} ms (script started ${cold.start}, tile drawn ${cold.tiles})`);
  console.log(`  page marks, median ms after navigation: script started ${med('start')}, first tile drawn ${med('tiles')}`);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}

function generated(db, bin) {
  const features = [];
  for (let i = 0; i < 12000; i++) {
    const lon = -5.5 + ((i * 7919) % 7000) / 1000;
    const lat = 50.2 + ((i * 104729) % 8500) / 1000;
    features.push({ type: 'Feature', id: `g${i}`, geometry: { type: 'Point', coordinates: [lon, lat] },
      properties: { name: `Generated co-op ${i}`, sector: ['Food', 'Housing', 'Retail', 'Energy'][i % 4] } });
  }
  const file = join(db, '..', 'generated.geojson');
  writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features }));
  execFileSync(bin, ['import', '--db', db, '--source', 'bench-12k', '--kind', 'coops', '--licence', 'CC0-1.0',
    '--attribution', 'Generated for the benchmark', '--format', 'geojson', '--show', '0', file], { stdio: 'ignore' });
  // The same number of records where real ones are: 12,000 of the UK
  // postcode units the server embeds (postcodes/data, OGL), the places
  // co-ops were registered at in 2016.
  const units = gunzipSync(readFileSync(join(ROOT, 'postcodes/data/postcodes.csv.gz'))).toString().trim().split('\n').slice(1, 12001);
  const places = units.map((line, i) => {
    const [postcode, lat, lon] = line.split(',');
    return { type: 'Feature', id: `p${i}`, geometry: { type: 'Point', coordinates: [Number(lon), Number(lat)] },
      properties: { name: `Place ${i}`, postcode, sector: ['Food', 'Housing', 'Retail', 'Energy'][i % 4] } };
  });
  const placesFile = join(db, '..', 'places.geojson');
  writeFileSync(placesFile, JSON.stringify({ type: 'FeatureCollection', features: places }));
  execFileSync(bin, ['import', '--db', db, '--source', 'bench-12k-places', '--kind', 'coops', '--licence', 'OGL-UK-3.0',
    '--attribution', 'Contains OS data © Crown copyright and database right 2016', '--format', 'geojson', '--show', '0', placesFile], { stdio: 'ignore' });
  importPoints(db, bin, { id: 'bench-200k', title: 'Generated 200k', n: 200000 });
}

const assets = join(ROOT, 'web/frontend/dist/app/assets');
let gz = 0;
for (const f of readdirSync(assets)) if (/\.(js|css)$/.test(f)) gz += gzipSync(readFileSync(join(assets, f)), { level: 9 }).length;
console.log(`JS + CSS, gzipped, every file of the build (all pages and lazy chunks): ${(gz / 1024).toFixed(1)} KiB`);

/** transferred sums the JS and CSS bytes a fresh load of path fetches, as sent (gzipped). */
async function transferred(browser, base, path) {
  const { context, page } = await openPage(browser, base, {});
  const sizes = [];
  page.on('requestfinished', (req) => {
    if (/\/assets\/.*\.(js|css)$/.test(req.url())) sizes.push(req.sizes().then((s) => s.responseBodySize));
  });
  await page.goto(base + path);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  await page.waitForLoadState('networkidle');
  const total = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  await context.close();
  return `${(total / 1024).toFixed(1)} KiB in ${sizes.length} files`;
}

/** baseline times what this machine takes for a near-empty page and for
 * the co-ops as compact points against the same as OGC API GeoJSON. */
async function baseline(browser, base) {
  // /healthz carries the API's deny-all CSP; the anchor fetches run on it.
  const { context, page } = await openPage(browser, base, { bypassCSP: true });
  const blank = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = Date.now();
    await page.goto(`${base}/healthz`, { waitUntil: 'load' });
    blank.push(Date.now() - t0);
  }
  blank.sort((a, b) => a - b);
  console.log(`anchor: navigating to /healthz (a 16-byte page): ${blank[Math.floor(RUNS / 2)]} ms median`);
  // timeFetch: the median of 5 fetches of url, read as JSON (parsed) or as bytes.
  const timeFetch = (url, as = 'json') => page.evaluate(async ([u, how]) => {
    const t = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await fetch(u, { cache: 'no-store' });
      const body = how === 'json' ? await res.json() : await res.arrayBuffer();
      t.push(performance.now() - t0);
      if (!body) throw new Error('empty');
    }
    return Math.round(t.sort((a, b) => a - b)[2]);
  }, [url, as]);
  await timeFetch('/map/points/coops-uk'); // warm
  console.log(`anchor: fetch of the co-ops' parts, median of 5: /map/points/coops-uk/positions ${await timeFetch('/map/points/coops-uk/positions', 'bytes')} ms, ` +
    `/labels + JSON.parse ${await timeFetch('/map/points/coops-uk/labels')} ms`);
  console.log(`anchor: fetch + JSON.parse of the co-ops, median of 5: /map/points/coops-uk ${await timeFetch('/map/points/coops-uk')} ms; ` +
    `/collections/coops-uk/items?limit=10000 (GeoJSON) ${await timeFetch('/collections/coops-uk/items?limit=10000')} ms`);
  await context.close();
}

const server = await startServer({ extra: generated });
// The imports above leave the machine busy for a while; the figures are
// taken once it has settled (1-minute load average under 1.5, or after
// two minutes at most, which the output then says).
const settleFrom = Date.now();
while (loadavg()[0] >= 1.5 && Date.now() - settleFrom < 120000) await new Promise((r) => setTimeout(r, 2000));
console.log(`settled for ${Math.round((Date.now() - settleFrom) / 1000)} s after the setup; load average ${loadavg()[0].toFixed(2)}`);
const browser = await launch();
try {
  await baseline(browser, server.base);
  console.log(`JS + CSS transferred by the map page: ${await transferred(browser, server.base, '/')}; ` +
    `with the 200,000-point layer on (tiles.js loaded): ${await transferred(browser, server.base, '/?layer=bench-200k')}`);
  await timeMarkers(browser, server.base, [
    { label: 'Co-operatives UK', source: 'coops-uk' },
    { label: 'Co-operatives UK, as playwright sees it', source: 'coops-uk', playwright: true },
    { label: '12,000 points spread evenly over a box around Great Britain', source: 'bench-12k' },
    { label: '12,000 points at real UK postcode centroids', source: 'bench-12k-places' },
    { label: 'all co-op sources', source: '' },
  ]);
  const tilesAlone = await timeTiles(browser, server.base, '/?source=none&layer=bench-200k');
  console.log(`200,000-point overlay from tiles, no co-ops: first tile on screen after ${tilesAlone.median} ms median (min ${tilesAlone.min}, max ${tilesAlone.max}, ${RUNS} runs)`);
  const tilesAll = await timeTiles(browser, server.base, '/?layer=bench-200k');
  console.log(`200,000-point overlay from tiles, with all co-ops loading: first tile on screen after ${tilesAll.median} ms median (min ${tilesAll.min}, max ${tilesAll.max}, ${RUNS} runs)`);
} finally {
  await browser.close();
  await server.stop();
}
