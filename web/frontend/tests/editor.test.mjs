// The web editor, "suggest a change", the moderation page and the
// planner's save in a real browser: Debian's chromium driven by
// playwright-core against a real `coopmap serve` (demo data and routing
// graph, the XSS fixture) with tokens made by `coopmap token create`.
// Screenshots go to web/frontend/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, newPage, clean, noTokenLeak as sharedNoTokenLeak } from './browser.mjs';
import { startServer, ROOT } from './server.mjs';

const ARTIFACTS = join(ROOT, 'web/frontend/artifacts');
const XSS_ID = 'xss-fixture.xss-1';
const tokens = {};
let server;
let browser;
let coops; // a few coops-uk records, as GeoJSON

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer({
    graph: true,
    extra(db, bin) {
      const make = (name, ...scopes) => execFileSync(bin, ['token', 'create', '--db', db, '--name', name, ...scopes.flatMap((s) => ['--scope', s])],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      tokens.editor = make('alice-editor', 'source:coops-uk:write', 'source:xss-fixture:write');
      tokens.moderator = make('mo-moderator', 'source:coops-uk:moderate', 'source:xss-fixture:moderate');
      tokens.api = make('bob-api', 'admin');
      tokens.tours = make('tess-tours', 'tours:write');
    },
  });
  browser = await launch();
  const res = await fetch(`${server.base}/collections/coops-uk/items?limit=8`, { headers: { Accept: 'application/geo+json' } });
  coops = (await res.json()).features.filter((f) => f.geometry?.type === 'Point');
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** noTokenLeak checks that no token is in the URL or localStorage, nor anything token-shaped in the URL. */
async function noTokenLeak(page) {
  const url = await sharedNoTokenLeak(page, tokens);
  assert.ok(!/cm_/.test(url));
}

/** api calls the API as Node, with a token. */
async function api(path, { method = 'GET', body, token, headers = {} } = {}) {
  const res = await fetch(server.base + path, {
    method, body: body && JSON.stringify(body),
    headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
  });
  return { res, doc: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() };
}

/** openRecord loads a record page; signIn enters the token through its Edit button. */
async function openRecord(page, id) {
  await page.goto(`${server.base}/coops/${id}`);
  await page.locator('#record-actions button').first().waitFor();
}
async function editFromRecordPage(page, token) {
  const signIn = page.locator('#record-actions .editor-signin');
  if (await signIn.count()) {
    await signIn.click();
    await page.locator('#editor-token').fill(token);
    await page.locator('.session-dialog button[type="submit"]').click();
  } else {
    await page.locator('#record-actions .edit-record').click();
  }
  await page.waitForFunction(() => document.querySelector('#ed-name')?.value);
}

/** drag moves the editor's marker by dx, dy pixels with the mouse. */
async function drag(page, selector, dx, dy) {
  // Wait until the map has settled: the marker is where it was a moment ago.
  let box = await page.locator(selector).boundingBox();
  for (;;) {
    await page.waitForTimeout(100);
    const again = await page.locator(selector).boundingBox();
    if (again.x === box.x && again.y === box.y) break;
    box = again;
  }
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.waitForTimeout(100);
  await page.mouse.down();
  // Leaflet moves a dragged marker in animation frames and drops the last
  // pending one on release: let a frame run after each step.
  for (let i = 1; i <= 8; i++) {
    await page.mouse.move(x + (dx * i) / 8, y + (dy * i) / 8);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  }
  await page.mouse.up();
}

// dragMarker drags the dialog map's marker by (dx, dy) pixels and returns
// the new value of the coordinate input that should change. On a loaded
// machine a synthetic drag can land before the dialog's map has settled
// and move nothing, as a person's first drag might; like a person, it
// then drags again (at most three times).
async function dragMarker(page, coordInput, dx, dy, watched = coordInput) {
  const before = await page.locator(watched).inputValue();
  for (let attempt = 0; attempt < 3; attempt++) {
    await drag(page, '.editor-map .leaflet-marker-icon', dx, dy);
    if ((await page.locator(watched).inputValue()) !== before) break;
  }
  // Leaflet may still apply a pending drag frame after the release: read
  // the input once it has stopped changing.
  let value = await page.locator(coordInput).inputValue();
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(150);
    const again = await page.locator(coordInput).inputValue();
    if (again === value) break;
    value = again;
  }
  return Number(value);
}

test('a token holder edits a name and moves the marker; it is saved, shown after a reload and in the history', async () => {
  const rec = coops[0];
  const page = await newPage(browser, server.base);
  await openRecord(page, rec.id);
  await editFromRecordPage(page, tokens.editor);
  assert.equal(await page.locator('#ed-name').inputValue(), rec.properties.name);
  const lat0 = Number(await page.locator('#ed-lat').inputValue());
  await page.locator('#ed-name').fill('Renamed in the browser');
  const lat1 = await dragMarker(page, '#ed-lat', 60, 40);
  assert.ok(lat1 < lat0 - 1e-5, `dragging down moves the record south (${lat0} → ${lat1})`);
  await page.locator('#ed-note').fill('fixing the name');
  await page.screenshot({ path: join(ARTIFACTS, 'editor-edit.png') });
  await page.locator('#ed-save').click();
  await page.locator('.editor-dialog .editor-status.ok', { hasText: 'Saved' }).waitFor();
  await noTokenLeak(page);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('coopmap-token')), tokens.editor);

  await page.reload();
  assert.equal(await page.locator('h1').textContent(), 'Renamed in the browser');
  assert.match(await page.locator('main').textContent(), new RegExp(`${lat1.toFixed(5)}`));
  // The token is remembered for the tab: Edit opens straight away.
  await editFromRecordPage(page, tokens.editor);
  assert.equal(await page.locator('#ed-name').inputValue(), 'Renamed in the browser');
  await page.locator('#ed-history').click();
  const top = page.locator('.editor-history li.revision').first();
  await top.waitFor();
  const topText = await top.textContent();
  assert.match(topText, /by alice-editor/);
  assert.match(topText, /Name/);
  assert.match(topText, /fixing the name/);
  assert.ok(await page.locator('.editor-history button.revert').count() >= 1, 'older versions have revert buttons');
  await page.screenshot({ path: join(ARTIFACTS, 'editor-history.png') });
  // Reverting makes a new version with the old name.
  await page.locator('.editor-history button.revert').first().click();
  await page.locator('.editor-dialog .editor-status.ok', { hasText: 'Reverted' }).waitFor();
  const { doc } = await api(`/collections/coops-uk/items/${rec.id}`);
  assert.equal(doc.properties.name, rec.properties.name);
  await noTokenLeak(page);
  clean(page);
  await page.context().close();
});

test('a save over someone else\'s change opens the conflict view, and re-applying saves both', async () => {
  const rec = coops[1];
  const page = await newPage(browser, server.base);
  await openRecord(page, rec.id);
  await editFromRecordPage(page, tokens.editor);
  await page.locator('#ed-name').fill('My name for it');
  // Meanwhile someone changes the record through the API.
  const cur = await api(`/collections/coops-uk/items/${rec.id}`);
  const changed = await api(`/collections/coops-uk/items/${rec.id}`, { method: 'PATCH', token: tokens.api,
    body: { properties: { description: 'Changed by the API meanwhile' } }, headers: { 'If-Match': cur.res.headers.get('ETag') } });
  assert.equal(changed.res.status, 200);
  await page.locator('#ed-save').click();
  await page.locator('#ed-reapply').waitFor();
  const view = await page.locator('.editor-conflict').textContent();
  assert.match(view, /My name for it/);
  assert.match(view, /Description/); // what the other change touched
  assert.doesNotMatch(view, /\bnull\b/); // no empty note written as text
  await page.screenshot({ path: join(ARTIFACTS, 'editor-conflict.png') });
  await page.locator('#ed-reapply').click();
  await page.locator('.editor-dialog .editor-status.ok', { hasText: 'Saved' }).waitFor();
  const { doc } = await api(`/collections/coops-uk/items/${rec.id}`);
  assert.equal(doc.properties.name, 'My name for it');
  assert.equal(doc.properties.description, 'Changed by the API meanwhile');
  assert.equal(doc.properties.version, changed.doc.properties.version + 1);
  clean(page);
  await page.context().close();
});

test('a token holder adds a record by clicking the map and deletes it after confirming', async () => {
  const page = await newPage(browser, server.base);
  await page.goto(`${server.base}/#map=15/51.5074/-0.1278`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.locator('#editor-open').click();
  await page.locator('#editor-token').fill(tokens.editor);
  await page.locator('.session-dialog button[type="submit"]').click();
  await page.locator('#editor-add').click();
  await page.locator('.placing-hint').waitFor();
  const map = await page.locator('#map').boundingBox();
  await page.mouse.click(map.x + map.width / 2 + 40, map.y + map.height / 2 + 20);
  await page.locator('#ed-name').waitFor();
  await page.locator('#ed-source').selectOption('coops-uk');
  await page.locator('#ed-name').fill('Browser-added Co-op');
  await page.locator('#ed-sector').fill('Food');
  await page.locator('#ed-save').click();
  await page.locator('.editor-status.ok', { hasText: 'Added as coops-uk.' }).waitFor();
  const id = (await page.locator('.editor-status.ok').textContent()).match(/coops-uk\.[\w-]+/)[0];
  let got = await api(`/collections/coops-uk/items/${id}`);
  assert.equal(got.res.status, 200);
  assert.equal(got.doc.properties.name, 'Browser-added Co-op');
  // It is on the map without a reload (once the clustering worker has it).
  await page.locator('.leaflet-marker-icon[title="Browser-added Co-op"]').waitFor();
  assert.equal(await page.locator('.leaflet-marker-icon[title="Browser-added Co-op"]').count(), 1);
  await page.locator('#ed-delete').click();
  await page.locator('#ed-delete-yes').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'editor-delete-confirm.png') });
  await page.locator('#ed-delete-yes').click();
  await page.locator('.editor-confirm .editor-status.ok', { hasText: 'Deleted' }).waitFor();
  got = await api(`/collections/coops-uk/items/${id}`);
  assert.equal(got.res.status, 404);
  await page.locator('.leaflet-marker-icon[title="Browser-added Co-op"]').waitFor({ state: 'detached' });
  await page.locator('.editor-dialog .close').click();
  // Forgetting the token removes it from the tab.
  await page.locator('#editor-open').click();
  await page.locator('#editor-forget').click();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('coopmap-token')), null);
  await noTokenLeak(page);
  clean(page);
  await page.context().close();
});

test('a stranger suggests a correction from a popup; a moderator accepts it; the history credits both', async () => {
  const rec = coops[2];
  const page = await newPage(browser, server.base);
  await page.goto(`${server.base}/?sel=${rec.id}`);
  await page.locator('.leaflet-popup .suggest-change').click();
  assert.equal(await page.locator('.leaflet-popup .edit-record').count(), 0, 'no Edit button without a token');
  await page.locator('#sg-postcode').waitFor();
  await page.locator('#sg-postcode').fill('ZZ1 1ZZ');
  await dragMarker(page, '#sg-lat', -50, 0, '#sg-lon');
  await page.locator('#sg-by').fill('Pat Passer-by');
  await page.locator('#sg-contact').fill('pat@example.org');
  await page.locator('#sg-note').fill('They moved last year.');
  await page.screenshot({ path: join(ARTIFACTS, 'suggest-form.png') });
  await page.locator('.suggest-form button[type="submit"]').click();
  await page.locator('.editor-status.ok', { hasText: 'Thank you' }).waitFor();
  // Nothing changes until a moderator accepts.
  assert.equal((await api(`/collections/coops-uk/items/${rec.id}`)).doc.properties.version, rec.properties.version);
  clean(page);
  await page.context().close();

  const mod = await newPage(browser, server.base);
  await mod.goto(`${server.base}/moderate`);
  await mod.locator('#moderate-signin').click();
  await mod.locator('#editor-token').fill(tokens.moderator);
  await mod.locator('.session-dialog button[type="submit"]').click();
  await mod.locator('.editor-dialog .close').click();
  const card = mod.locator('article.suggestion', { hasText: 'pat@example.org' });
  await card.waitFor();
  const text = await card.textContent();
  assert.match(text, /Postcode/);
  assert.match(text, /ZZ1 1ZZ/);
  assert.match(text, /Position/);
  assert.match(text, /They moved last year\./);
  await card.locator('.moderate-map .leaflet-marker-icon').first().waitFor();
  await mod.screenshot({ path: join(ARTIFACTS, 'moderate.png'), fullPage: true });
  await card.locator('button.accept').click();
  await card.locator('.editor-status.ok', { hasText: 'Accepted' }).waitFor();
  const after = (await api(`/collections/coops-uk/items/${rec.id}`)).doc;
  assert.equal(after.properties.postcode, 'ZZ1 1ZZ');
  assert.ok(after.geometry.coordinates[0] < rec.geometry.coordinates[0], 'moved west');
  const hist = (await api(`/collections/coops-uk/items/${rec.id}/history`)).doc;
  assert.equal(hist.revisions[0].by, 'mo-moderator');
  assert.match(hist.revisions[0].note, /suggested by Pat Passer-by .*accepted by mo-moderator/);
  await noTokenLeak(mod);
  clean(mod);
  await mod.context().close();
});

test('a moderator edits a suggestion before accepting it, and rejects another with a reason', async () => {
  const rec = coops[3];
  for (const name of ['Edit me first', 'Reject me']) {
    const { res } = await api('/collections/coops-uk/suggestions', { method: 'POST', body: { feature_id: rec.id, feature: { properties: { name } }, name: 'Sam' } });
    assert.equal(res.status, 202);
  }
  const mod = await newPage(browser, server.base);
  await mod.goto(`${server.base}/moderate`);
  await mod.locator('#moderate-signin').click();
  await mod.locator('#editor-token').fill(tokens.moderator);
  await mod.locator('.session-dialog button[type="submit"]').click();
  await mod.locator('.editor-dialog .close').click();
  const first = mod.locator('article.suggestion', { hasText: 'Edit me first' });
  await first.locator('button.edit-accept').click();
  const name = mod.locator('.editor-dialog input[id$="-name"]');
  await name.fill('Edited by the moderator');
  await mod.locator('.editor-dialog button[type="submit"]').click();
  await first.locator('.editor-status.ok', { hasText: 'Accepted' }).waitFor();
  assert.equal((await api(`/collections/coops-uk/items/${rec.id}`)).doc.properties.name, 'Edited by the moderator');
  const second = mod.locator('article.suggestion', { hasText: 'Reject me' });
  await second.locator('input[id^="reason-"]').fill('Not the name on the register');
  await second.locator('button.reject').click();
  await second.locator('.editor-status.ok', { hasText: 'Rejected' }).waitFor();
  const list = (await api('/collections/coops-uk/suggestions?status=rejected', { token: tokens.moderator })).doc;
  assert.ok(list.suggestions.some((s) => s.reason === 'Not the name on the register'));
  clean(mod);
  await mod.context().close();
});

test('script in a record and in a suggestion stays inert in the editor, the suggestion form and the moderation page', async () => {
  const { res } = await api('/collections/xss-fixture/suggestions', { method: 'POST', body: {
    feature_id: XSS_ID, feature: { properties: { address: '<svg onload=alert(7)>' } }, name: '<script>alert(8)</script>', note: '<img src=x onerror=alert(9)>' } });
  assert.equal(res.status, 202);
  const page = await newPage(browser, server.base);
  await openRecord(page, XSS_ID);
  await page.locator('#record-actions .suggest-change').click();
  await page.locator('#sg-by').waitFor();
  assert.equal(await page.locator('.suggest-dialog h2').textContent(), 'Suggest a change to <img src=x onerror=alert(1)>');
  assert.equal(await page.locator('#sg-description').inputValue(), '<script>alert(3)</script>');
  await page.locator('.suggest-dialog .close').click();
  await editFromRecordPage(page, tokens.editor);
  assert.equal(await page.locator('#ed-name').inputValue(), '<img src=x onerror=alert(1)>');
  assert.equal(await page.locator('.editor-dialog h2').textContent(), 'Edit <img src=x onerror=alert(1)>');
  await page.locator('#ed-history').click();
  await page.locator('.editor-history li.revision').first().waitFor();
  assert.equal(await page.locator('img[src="x"], svg[onload], script:not([src]):not([type])').count(), 0);
  await page.screenshot({ path: join(ARTIFACTS, 'editor-xss.png') });
  await page.waitForTimeout(300);
  clean(page);
  await page.context().close();

  const mod = await newPage(browser, server.base);
  await mod.goto(`${server.base}/moderate`);
  await mod.locator('#moderate-signin').click();
  await mod.locator('#editor-token').fill(tokens.moderator);
  await mod.locator('.session-dialog button[type="submit"]').click();
  await mod.locator('.editor-dialog .close').click();
  const card = mod.locator('section[data-source="xss-fixture"] article.suggestion').first();
  await card.waitFor();
  assert.match(await card.locator('h3').textContent(), /<img src=x onerror=alert\(1\)>/);
  assert.match(await card.textContent(), /<svg onload=alert\(7\)>/);
  assert.match(await card.textContent(), /by <script>alert\(8\)<\/script>/);
  assert.equal(await card.locator('.suggestion-note').textContent(), '<img src=x onerror=alert(9)>');
  assert.equal(await mod.locator('img[src="x"], svg[onload], script:not([src]):not([type])').count(), 0);
  await mod.screenshot({ path: join(ARTIFACTS, 'moderate-xss.png'), fullPage: true });
  await mod.waitForTimeout(300);
  clean(mod);
  await mod.context().close();
});

test('a suggestion that is refused shows the problem\'s detail, and 429 says when to try again', async () => {
  const page = await newPage(browser, server.base);
  // Use up this address's suggestions; the form must then say when to retry.
  let status = 0;
  for (let i = 0; i < 20 && status !== 429; i++) {
    status = (await api('/collections/coops-uk/suggestions', { method: 'POST', body: { feature_id: coops[4].id, feature: { properties: { sector: `s${i}` } } } })).res.status;
  }
  assert.equal(status, 429);
  await openRecord(page, coops[4].id);
  await page.locator('#record-actions .suggest-change').click();
  await page.waitForFunction(() => document.querySelector('#sg-sector'));
  await page.locator('#sg-sector').fill('A sector nobody has');
  await page.locator('.suggest-form button[type="submit"]').click();
  const err = page.locator('.suggest-form .editor-status.error');
  await err.waitFor();
  assert.match(await err.textContent(), /Not sent: .*suggestions per .*try again in \d+ (seconds|minutes)/);
  await page.screenshot({ path: join(ARTIFACTS, 'suggest-429.png') });
  clean(page);
  await page.context().close();
});

test('the planner saves a plan as a new tour and over an existing one; a missing tour is an HTML 404', async () => {
  // Stops the demo graph routes: those of a demo tour.
  const [a, b, c] = (await api('/tours/demo-east.json')).doc.stops.map((st) => ({ id: st.feature_id }));
  const page = await newPage(browser, server.base);
  await page.goto(`${server.base}/plan?title=Browser%20tour&stops=${a.id};${b.id}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.locator('#plan-token').fill(tokens.tours);
  await page.locator('#plan-save-button').click();
  await page.locator('#plan-saved-link').waitFor();
  assert.match(await page.locator('#plan-status').textContent(), /Saved as \/tours\/browser-tour\./);
  await noTokenLeak(page);
  await page.goto(`${server.base}/tours`);
  assert.ok(await page.locator('a', { hasText: 'Browser tour' }).count() >= 1, 'the tour is listed at /tours');
  // Editing it: the planner sends PUT with If-Match; the token is remembered.
  await page.goto(`${server.base}/plan?tour=browser-tour&title=Browser%20tour%20v2&stops=${a.id};${b.id};${c.id}`);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.locator('#plan-token').isVisible(), false);
  await page.locator('#plan-save-button').click();
  await page.locator('#plan-saved-link').waitFor();
  const tour = (await api('/tours/browser-tour.json')).doc;
  assert.equal(tour.title, 'Browser tour v2');
  assert.equal(tour.stops.length, 3);
  await page.screenshot({ path: join(ARTIFACTS, 'plan-saved.png') });
  const res = await page.goto(`${server.base}/tours/no-such-tour`);
  assert.equal(res.status(), 404);
  assert.match(res.headers()['content-type'], /^text\/html/);
  assert.match(await page.locator('h1').textContent(), /not found/i);
  const json = await api('/tours/no-such-tour');
  assert.equal(json.res.status, 404);
  assert.match(json.res.headers.get('content-type'), /problem\+json/);
  clean(page);
  await page.context().close();
});

test('a deleted record is listed under "Deleted records" in the editor; Restore brings it back to the map', async () => {
  // Made and deleted through the API: the page loads without it.
  const made = await api('/collections/coops-uk/items', { method: 'POST', token: tokens.api,
    body: { type: 'Feature', geometry: { type: 'Point', coordinates: [-0.1262, 51.5081] }, properties: { name: 'Restorable <b>Co-op</b>' } } });
  assert.equal(made.res.status, 201);
  const id = made.doc.id;
  const gone = await api(`/collections/coops-uk/items/${encodeURIComponent(id)}`, { method: 'DELETE', token: tokens.api,
    headers: { 'If-Match': made.res.headers.get('ETag') } });
  assert.equal(gone.res.status, 200);
  const page = await newPage(browser, server.base);
  await page.goto(`${server.base}/#map=16/51.5081/-0.1262`);
  await page.waitForSelector('body[data-ready="true"]');
  const marker = page.locator('.leaflet-marker-icon[title="Restorable <b>Co-op</b>"]');
  assert.equal(await marker.count(), 0);
  await page.locator('#editor-open').click();
  await page.locator('#editor-token').fill(tokens.editor);
  await page.locator('.session-dialog button[type="submit"]').click();
  await page.locator('#editor-deleted').click();
  const row = page.locator(`.deleted-record[data-id="${id}"]`);
  await row.waitFor();
  // Shown as text: the markup in the name is not markup.
  assert.match(await row.textContent(), /Restorable <b>Co-op<\/b>/);
  assert.match(await row.textContent(), /by bob-api/);
  assert.equal(await page.locator('.deleted-dialog b').count(), 0);
  await page.screenshot({ path: join(ARTIFACTS, 'editor-deleted-list.png') });
  await row.locator('button.restore').click();
  await page.locator('.deleted-dialog .editor-status.ok', { hasText: 'Restored' }).waitFor();
  assert.equal(await row.count(), 0);
  // Back in the API, as a new version credited to the token, and on the map.
  const back = await api(`/collections/coops-uk/items/${encodeURIComponent(id)}`);
  assert.equal(back.res.status, 200);
  const hist = await api(`/collections/coops-uk/items/${encodeURIComponent(id)}/history`);
  assert.deepEqual(hist.doc.revisions.map((r) => `${r.version}:${r.op}:${r.by}`), ['3:restore:alice-editor', '2:delete:bob-api', '1:create:bob-api']);
  await page.locator('.deleted-dialog .close').click();
  await marker.waitFor();
  assert.equal(await marker.count(), 1);
  await noTokenLeak(page);
  clean(page);
  await page.context().close();
});
