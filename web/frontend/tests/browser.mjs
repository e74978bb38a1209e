// Launches Debian's chromium through playwright-core, with every request
// that leaves the test server blocked (the basemap included), so the map
// must work without them and no test reaches the network.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** launch starts headless chromium as the probe of this machine does. */
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/**
 * newPage opens a page in a fresh context whose requests to anything but
 * base are aborted; blocked lists the URLs refused, errors the page's
 * uncaught errors and dialogs (an alert would mean script ran).
 */
export async function newPage(browser, base, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
  const page = await context.newPage();
  page.blocked = [];
  page.errors = [];
  page.dialogs = [];
  page.cspViolations = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
    page.blocked.push(url);
    return route.abort('blockedbyclient');
  });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) page.cspViolations.push(m.text()); });
  return page;
}

/** clean checks that a page had no uncaught error, no dialog (script from data) and no CSP violation. */
export function clean(page) {
  assert.deepEqual(page.errors, [], 'uncaught errors');
  assert.deepEqual(page.dialogs, [], 'dialogs (script from data ran)');
  assert.deepEqual(page.cspViolations, [], 'CSP violations');
}

/** noTokenLeak checks that none of tokens is in the page's URL or localStorage. */
export async function noTokenLeak(page, tokens) {
  const url = page.url();
  const local = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  for (const t of Object.values(tokens)) {
    assert.ok(!url.includes(t), 'token in the URL');
    assert.ok(!local.includes(t), 'token in localStorage');
  }
  return url;
}
