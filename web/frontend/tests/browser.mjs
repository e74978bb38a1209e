// Launches Debian's chromium through playwright-core, with every request
// that leaves the test server blocked (the basemap included), so the map
// must work without them and no test reaches the network.
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
