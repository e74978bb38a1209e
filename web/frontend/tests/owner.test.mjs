// What an owner manages in the browser beyond single records: a source's
// details (and the conflict view when someone else changed them), a
// re-import uploaded as a file (dry run first), the history of a source's
// details with revert, and a tour's history with revert and restore.
// Debian's chromium driven by playwright-core against a real `coopmap
// serve` with the demo data, a small source made from
// tests/fixtures/owner.csv and tokens made by `coopmap token create`.
// Screenshots go to web/frontend/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, newPage, clean, noTokenLeak as sharedNoTokenLeak } from './browser.mjs';
import { startServer, ROOT } from './server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, 'fixtures');
const ARTIFACTS = join(ROOT, 'web/frontend/artifacts');
const SRC = 'owner-test';
const TITLE = 'Owner test co-ops';
const XSS = '<img src=x onerror=alert(1)>';
const tokens = {};
let server;
let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer({
    extra(db, bin) {
      execFileSync(bin, ['import', '--db', db, '--source', SRC, '--kind', 'coops', '--title', TITLE,
        '--licence', 'CC0-1.0', '--attribution', 'Owner test fixture (CC0)', '--owner', 'The test suite', '--format', 'csv', '--show', '0',
        join(FIXTURES, 'owner.csv')], { stdio: ['ignore', 'ignore', 'inherit'] });
      const make = (name, ...scopes) => execFileSync(bin, ['token', 'create', '--db', db, '--name', name, ...scopes.flatMap((s) => ['--scope', s])],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      tokens.owner = make('olive-owner', `source:${SRC}:write`);
      tokens.api = make('bob-api', 'admin');
      tokens.tours = make('tess-tours', 'tours:write');
    },
  });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** noTokenLeak checks that no token is in the URL or localStorage. */
const noTokenLeak = (page) => sharedNoTokenLeak(page, tokens);

/** api calls the API as Node, with a token. */
async function api(path, { method = 'GET', body, token, headers = {} } = {}) {
  const res = await fetch(server.base + path, {
    method, body: body && JSON.stringify(body),
    headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
  });
  const type = res.headers.get('content-type') || '';
  return { res, doc: type.includes('json') ? await res.json() : await res.text() };
}

/** source reads the test source as /collections/{id} describes it. */
async function source() {
  const { doc } = await api(`/collections/${SRC}`);
  return { ...doc.sources[0], description: doc.description };
}

/**
 * manage opens the map, enters the owner's token in the editor and opens
 * "Manage source…" on the test source, on tab (details, upload, history).
 */
async function manage(tab = 'details') {
  const page = await newPage(browser, server.base);
  await page.goto(`${server.base}/`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.locator('#editor-open').click();
  await page.locator('#editor-token').fill(tokens.owner);
  await page.locator('.session-dialog button[type="submit"]').click();
  await page.locator('#editor-source').click();
  await page.locator('#src-choose').selectOption(SRC);
  if (tab === 'details') await page.waitForFunction((src) => document.querySelector('#src-choose')?.value === src && document.querySelector('#src-title'), SRC);
  else await page.locator(`#src-tab-${tab}`).click();
  return page;
}

/** follow clicks what selector finds and waits for the page it loads to be ready. */
async function follow(page, selector) {
  const loaded = page.waitForEvent('load');
  await page.locator(selector).click();
  await loaded;
  await page.waitForSelector('body[data-ready="true"]');
}

/** closeAndReload closes the dialog, which reloads the page after a change. */
const closeAndReload = (page) => follow(page, '.source-dialog .close');

/** layerLabel is the layers panel's label of the test source. */
const layerLabel = (page) => page.locator(`label[for="layer-${SRC}"]`).textContent();

test('an owner changes a source\'s details in the editor; the layers panel and the API show them', async () => {
  const page = await manage();
  assert.equal(await page.locator('#src-title').inputValue(), TITLE);
  assert.equal(await page.locator('#src-licence').inputValue(), 'CC0-1.0');
  assert.equal(await page.locator('#src-owner').inputValue(), 'The test suite');
  await page.locator('#src-title').fill('Owner test co-ops, renamed');
  await page.locator('#src-licence').fill('CC-BY-4.0');
  await page.locator('#src-attribution').fill('Contains owner test data (CC BY 4.0)');
  await page.locator('#src-note').fill('relicensed');
  await page.screenshot({ path: join(ARTIFACTS, 'owner-details.png') });
  await page.locator('#src-save').click();
  await page.locator('.source-dialog .editor-status.ok', { hasText: 'Saved: Title, Licence, Attribution.' }).waitFor();
  assert.equal(await page.locator(`#src-choose option[value="${SRC}"]`).textContent(), 'Owner test co-ops, renamed');
  const s = await source();
  assert.equal(s.title, 'Owner test co-ops, renamed');
  assert.deepEqual(s.licence, { id: 'CC-BY-4.0', name: 'Creative Commons Attribution 4.0 International', url: 'https://creativecommons.org/licenses/by/4.0/' });
  assert.equal(s.attribution, 'Contains owner test data (CC BY 4.0)');
  assert.equal(s.owner, 'The test suite');
  // Closing the dialog reloads the map, which shows the source as it now is.
  await closeAndReload(page);
  await page.locator('[data-panel="layers-panel"]').click();
  assert.equal(await layerLabel(page), 'Owner test co-ops, renamed (3)');
  assert.match(await page.locator('#layers').textContent(), /Contains owner test data \(CC BY 4\.0\)/);
  await page.screenshot({ path: join(ARTIFACTS, 'owner-layers.png') });
  await noTokenLeak(page);
  clean(page);
  await page.context().close();
});

test('a save over someone else\'s change of the details opens the conflict view: keep mine, or use theirs', async () => {
  const page = await manage();
  await page.locator('#src-title').fill('My title for it');
  // Meanwhile someone changes the owner through the API.
  let s = await source();
  const theirs = await api(`/collections/${SRC}`, { method: 'PATCH', token: tokens.api, body: { owner: 'Changed by the API meanwhile' },
    headers: { 'If-Match': `W/"v${s.version}"` } });
  assert.equal(theirs.res.status, 200);
  await page.locator('#src-save').click();
  await page.locator('#src-reapply').waitFor();
  const view = await page.locator('.source-dialog .editor-conflict').textContent();
  assert.match(view, /My title for it/);
  assert.match(view, /They also changed: Owner/);
  assert.doesNotMatch(view, /null|undefined/);
  assert.match(await page.locator('.source-dialog .editor-status.error').textContent(), /Someone else changed this source/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'src-reapply', 'the conflict view takes the focus');
  await page.screenshot({ path: join(ARTIFACTS, 'owner-conflict.png') });
  await page.keyboard.press('Enter'); // keep mine, by keyboard
  await page.locator('.source-dialog .editor-status.ok', { hasText: 'Saved: Title.' }).waitFor();
  s = await source();
  assert.equal(s.title, 'My title for it');
  assert.equal(s.owner, 'Changed by the API meanwhile');

  // Again, and this time their version wins.
  await page.locator('#src-description').fill('My description');
  const again = await api(`/collections/${SRC}`, { method: 'PATCH', token: tokens.api, body: { description: 'Their description' },
    headers: { 'If-Match': `W/"v${s.version}"` } });
  assert.equal(again.res.status, 200);
  await page.locator('#src-save').click();
  await page.locator('#src-theirs').click();
  assert.equal(await page.locator('#src-description').inputValue(), 'Their description');
  assert.equal((await source()).description, 'Their description');
  // Saving now starts from their version.
  await page.locator('#src-title').fill(TITLE);
  await page.locator('#src-save').click();
  await page.locator('.source-dialog .editor-status.ok', { hasText: 'Saved: Title.' }).waitFor();
  s = await source();
  assert.equal(s.title, TITLE);
  assert.equal(s.description, 'Their description');
  clean(page);
  await page.context().close();
});

test('an upload is checked by a dry run, then imported for real; the map shows the new records', async () => {
  const before = await source();
  assert.equal(before.numberOfFeatures, 3);
  const page = await manage('upload');
  assert.equal(await page.locator('#src-dry').isChecked(), true, 'a dry run is the default');
  await page.locator('#src-file').setInputFiles(join(FIXTURES, 'owner-reimport.csv'));
  await page.locator('#src-upload').click();
  const report = page.locator('#src-report');
  await report.locator('#src-import-real').waitFor();
  const counts = (k) => report.locator(`.count-${k} dd`).textContent();
  assert.equal(await counts('read'), '5');
  assert.equal(await counts('imported'), '5');
  assert.equal(await counts('added'), '2');
  assert.equal(await counts('updated'), '1');
  assert.equal(await counts('unchanged'), '2');
  assert.equal(await counts('removed'), '0');
  assert.match(await page.locator('.source-dialog .editor-status').textContent(), /Dry run of owner-reimport\.csv: nothing has changed/);
  assert.equal((await source()).numberOfFeatures, 3, 'a dry run changes nothing');
  assert.doesNotMatch(await report.textContent(), /null|undefined/);
  await page.screenshot({ path: join(ARTIFACTS, 'owner-dry-run.png') });
  await report.locator('#src-import-real').click();
  await page.locator('.source-dialog .editor-status.ok', { hasText: 'Imported owner-reimport.csv' }).waitFor();
  assert.equal((await source()).numberOfFeatures, 5);
  const renamed = await api(`/collections/${SRC}/items/${SRC}.own-2`);
  assert.equal(renamed.doc.properties?.name, 'Owner Test Bikes and Repairs');
  await closeAndReload(page);
  assert.equal(await layerLabel(page), `${TITLE} (5)`);
  // A new record is on the map, and its popup opens.
  await page.goto(`${server.base}/?sel=${SRC}.own-5`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.locator('.leaflet-popup h3', { hasText: 'Owner Test Printers' }).waitFor();
  await page.locator('.leaflet-marker-icon[title="Owner Test Printers"]').waitFor();
  clean(page);
  await page.context().close();
});

test('a bad upload lists its problems with file:line, or shows the problem and field; nothing changes', async () => {
  const before = await source();
  const page = await manage('upload');
  await page.locator('#src-file').setInputFiles(join(FIXTURES, 'owner-bad.csv'));
  await page.locator('#src-upload').click();
  const report = page.locator('#src-report');
  await report.locator('.import-problem').first().waitFor();
  const problems = await report.locator('.import-problem').allTextContents();
  assert.equal(problems.length, 2);
  assert.match(problems[0], /^owner-bad\.csv:3: /);
  assert.match(problems[1], /^owner-bad\.csv:5: /);
  assert.equal(await report.locator('.count-skipped dd').textContent(), '2');
  await page.screenshot({ path: join(ARTIFACTS, 'owner-bad-upload.png') });
  // A file that is no format coopmap reads, imported at once: the
  // problem's field and detail, and nothing imported.
  await page.locator('#src-dry').uncheck();
  await page.locator('#src-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('\u0000\u0001 not a data file \u0002') });
  await page.locator('#src-upload').click();
  const err = page.locator('.source-dialog .editor-status.error');
  await err.waitFor();
  assert.match(await err.textContent(), /^Not imported: .*notes\.txt.*\(field: format\)\. Nothing has changed\.$/);
  const after = await source();
  assert.equal(after.numberOfFeatures, before.numberOfFeatures);
  assert.equal(after.version, before.version);
  clean(page);
  await page.context().close();
});

test('markup in a source\'s title and attribution stays text in the dialog, the layers panel and the history', async () => {
  const page = await manage();
  await page.locator('#src-title').fill(XSS);
  await page.locator('#src-attribution').fill('<script>alert(5)</script>');
  await page.locator('#src-save').click();
  await page.locator('.source-dialog .editor-status.ok', { hasText: 'Saved' }).waitFor();
  assert.equal(await page.locator(`#src-choose option[value="${SRC}"]`).textContent(), XSS);
  await closeAndReload(page);
  assert.equal(await layerLabel(page), `${XSS} (5)`);
  assert.match(await page.locator('#layers').textContent(), /<script>alert\(5\)<\/script>/);
  assert.equal(await page.locator('img[src="x"], script:not([src]):not([type])').count(), 0);
  await page.waitForTimeout(300);
  clean(page);
  await page.context().close();
});

test('the history of a source\'s details lists every version; revert brings an old one back', async () => {
  const page = await manage('history');
  const items = page.locator('.source-history li.revision');
  await items.first().waitFor();
  const texts = await items.allTextContents();
  assert.ok(texts.length >= 5, `versions listed: ${texts.length}`);
  assert.match(texts[0], /by olive-owner/);
  assert.match(texts[0], /Title/);
  assert.ok(texts[0].includes(XSS), 'the newest version has the markup as text');
  assert.ok(texts.some((t) => /relicensed/.test(t)), 'notes are listed');
  assert.ok(texts.some((t) => /by bob-api/.test(t)), 'the API change is listed');
  assert.equal(await page.locator('.source-dialog img[src="x"]').count(), 0);
  assert.doesNotMatch(await page.locator('#src-panel').textContent(), /null|undefined/);
  await page.screenshot({ path: join(ARTIFACTS, 'owner-history.png') });
  // The oldest version is the source as imported.
  const oldest = items.last();
  assert.match(await oldest.textContent(), new RegExp(TITLE));
  const n = Number(await oldest.getAttribute('data-version'));
  await oldest.locator('button.revert').focus();
  await page.keyboard.press('Enter');
  await page.locator('.source-dialog .editor-status.ok', { hasText: `Reverted to version ${n}` }).waitFor();
  const s = await source();
  assert.equal(s.title, TITLE);
  assert.equal(s.licence.id, 'CC0-1.0');
  assert.equal(s.attribution, 'Owner test fixture (CC0)');
  assert.match(await items.first().textContent(), /revert/);
  await closeAndReload(page);
  assert.equal(await layerLabel(page), `${TITLE} (5)`);
  clean(page);
  await page.context().close();
});

/** signIn enters the tours token through the history's button, by keyboard. */
async function signIn(page) {
  await page.locator('#tour-history-signin').focus();
  await page.keyboard.press('Enter');
  await page.locator('#editor-token').waitFor();
  await page.keyboard.type(tokens.tours);
  await page.keyboard.press('Enter');
}

test('a tour\'s page lists its history; a token holder reverts it, by keyboard', async () => {
  const made = await api('/tours', { method: 'POST', token: tokens.tours, body: { id: 'owner-tour', title: 'Owner tour', region: 'Islington',
    stops: [{ name: 'Start <b>here</b>', location: [-0.1, 51.54] }, { name: 'End', location: [-0.11, 51.55] }], note: 'first draft' } });
  assert.equal(made.res.status, 201, JSON.stringify(made.doc));
  const put = await api('/tours/owner-tour', { method: 'PUT', token: tokens.tours, headers: { 'If-Match': made.res.headers.get('ETag') },
    body: { id: 'owner-tour', title: 'Owner tour, renamed', region: 'Islington', stops: [{ name: 'Start <b>here</b>', location: [-0.1, 51.54] }, { name: 'End', location: [-0.11, 51.55] }], note: 'a better title' } });
  assert.equal(put.res.status, 200, JSON.stringify(put.doc));

  const page = await newPage(browser, server.base);
  await page.goto(`${server.base}/tours/owner-tour`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.locator('#history-button').focus();
  await page.keyboard.press('Enter');
  const items = page.locator('#tour-history-list li.revision');
  await items.first().waitFor();
  assert.equal(await page.locator('#history-button').getAttribute('aria-expanded'), 'true');
  const texts = await items.allTextContents();
  assert.equal(texts.length, 2);
  assert.doesNotMatch(await page.locator('#tour-history-list').textContent(), /null|undefined/);
  assert.match(texts[0], /Version 2 .*by tess-tours · update: title/);
  assert.match(texts[0], /a better title/);
  assert.match(texts[1], /Version 1 .*by tess-tours · create/);
  assert.match(texts[1], /“Owner tour”, Islington · 2 stops/);
  // Without a token there is nothing to press but "Enter a token".
  assert.equal(await page.locator('#tour-history-list button.revert').count(), 0);
  await signIn(page);
  const revert = items.nth(1).locator('button.revert');
  await revert.waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'tour-history.png'), fullPage: true });
  await revert.focus();
  await page.keyboard.press('Enter');
  await page.locator('#tour-history-list .editor-status.ok', { hasText: 'Reverted to version 1: the tour is now version 3.' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('editor-status')), true, 'the outcome takes the focus');
  assert.equal((await api('/tours/owner-tour')).doc.title, 'Owner tour');
  assert.match(await items.first().textContent(), /Version 3 .*by tess-tours · revert/);
  // The page itself shows the new version after a reload.
  await follow(page, '#tour-history-open');
  assert.equal(await page.locator('h1').textContent(), 'Owner tour');
  await noTokenLeak(page);
  clean(page);
  await page.context().close();
});

test('a deleted tour is found by its id on the tours list and restored from its history', async () => {
  const cur = await api('/tours/owner-tour');
  const del = await api('/tours/owner-tour', { method: 'DELETE', token: tokens.tours, headers: { 'If-Match': cur.res.headers.get('ETag') }, body: { note: 'not needed' } });
  assert.equal(del.res.status, 204);
  assert.equal((await api('/tours/owner-tour')).res.status, 404);

  const page = await newPage(browser, server.base);
  await page.goto(`${server.base}/tours`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.locator('.tour-card', { hasText: 'Owner tour' }).count(), 0);
  // An id that never was a tour says so.
  await page.locator('#deleted-tour-id').fill('never-a-tour');
  await page.locator('#deleted-tour-id').press('Enter');
  await page.locator('#deleted-tour-history .editor-status.error', { hasText: 'There is no tour “never-a-tour”' }).waitFor();
  // The tour's address works as well as its id.
  await page.locator('#deleted-tour-id').fill(`${server.base}/tours/owner-tour`);
  await page.locator('#deleted-tour-id').press('Enter');
  await page.locator('#deleted-tour-history .editor-status.error', { hasText: 'This tour is deleted (version 4)' }).waitFor();
  assert.match(await page.locator('#deleted-tour-history li.revision').first().textContent(), /Version 4 .*by tess-tours · deleted.*not needed/);
  await signIn(page);
  await page.locator('#tour-restore').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'tour-restore.png'), fullPage: true });
  await page.locator('#tour-restore').focus();
  await page.keyboard.press('Enter');
  await page.locator('#deleted-tour-history .editor-status.ok', { hasText: 'Restored “Owner tour”: it is back, as version 5.' }).waitFor();
  const back = await api('/tours/owner-tour');
  assert.equal(back.res.status, 200);
  assert.equal(back.doc.title, 'Owner tour');
  assert.equal(await page.locator('#deleted-tour-history button.revert').count(), 3, 'live again: the older live versions can be reverted to');
  await follow(page, '#tour-history-open');
  assert.equal(await page.locator('h1').textContent(), 'Owner tour');
  assert.equal(await page.locator('main b').count(), 0, 'a stop name\'s markup stays text');
  assert.match(await page.locator('#stops').textContent(), /Start <b>here<\/b>/);
  await noTokenLeak(page);
  clean(page);
  await page.context().close();
});
