// Checks of the checks: before the suite trusts a detector on congso's
// pages, it runs it on two local pages, one clean and one with known
// defects, served with congso's Content-Security-Policy. A detector that
// stopped working (axe not injected, a measurement that always passes)
// fails here instead of letting every real check pass.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensure, ensureEqual } from './harness.mjs';
import { focusState, layoutState, newContext, runAxe } from './browser.mjs';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8' };
// The policy congso sends (crates/web/src/middleware.rs), so that axe is
// shown to run under it.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
  + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

function serve() {
  const server = http.createServer((request, response) => {
    const name = path.basename(new URL(request.url, 'http://x').pathname);
    const file = path.join(fixtures, name);
    if (!name || !TYPES[path.extname(name)] || !fs.existsSync(file)) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[path.extname(name)], 'content-security-policy': CSP });
    response.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Tabs through a page and returns the stops that lack a visible focus indicator. */
async function unmarkedStops(page) {
  const stops = [];
  const bad = [];
  for (let i = 0; i < 30; i += 1) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(focusState);
    if (focus.none || (stops.length && focus.name === stops[0])) break;
    stops.push(focus.name);
    if (!(focus.outline || focus.shadow) || !focus.onScreen) bad.push(focus.name);
  }
  return { stops, bad };
}

export async function selfCheck(t, browser) {
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const context = await newContext(browser);
  const page = await context.newPage();
  try {
    await t.check('self-check: axe-core runs under congso\'s CSP and tells a defective page from a clean one', async () => {
      await page.goto(`${base}/good.html`);
      const good = await runAxe(page);
      ensureEqual(good.violations.map((v) => v.id).join(','), '', 'violations on the clean page');
      ensure(good.testEngine.version === '4.14.1', `axe-core version ${good.testEngine.version}`);
      await page.goto(`${base}/bad.html`);
      const found = (await runAxe(page)).violations.map((v) => v.id);
      for (const rule of ['image-alt', 'label', 'color-contrast']) {
        ensure(found.includes(rule), `axe did not report ${rule} on the defective page (found: ${found.join(', ') || 'nothing'})`);
      }
      return `found ${found.join(', ')}`;
    });
    await t.check('self-check: the focus detector flags a link without a focus indicator and passes a clean page', async () => {
      await page.goto(`${base}/good.html`);
      const good = await unmarkedStops(page);
      ensure(good.stops.length === 4 && !good.bad.length, `clean page: stops ${good.stops.join(', ')}; unmarked ${good.bad.join(', ')}`);
      await page.goto(`${base}/bad.html`);
      const bad = await unmarkedStops(page);
      ensure(bad.bad.length === 1 && bad.bad[0].includes('no-focus'), `defective page: unmarked stops ${bad.bad.join(', ') || 'none'}`);
    });
    await t.check('self-check: the layout detector flags a 600 px block and clipped text at 320 px and passes a clean page', async () => {
      await page.setViewportSize({ width: 320, height: 640 });
      await page.goto(`${base}/good.html`);
      const good = await page.evaluate(layoutState);
      ensure(good.scrollWidth <= good.viewport + 1 && !good.outside.length && !good.clipped.length,
        `clean page: ${JSON.stringify(good)}`);
      await page.goto(`${base}/bad.html`);
      const bad = await page.evaluate(layoutState);
      ensure(bad.scrollWidth > bad.viewport + 1, `defective page does not scroll sideways: ${JSON.stringify(bad)}`);
      ensure(bad.outside.some((line) => line.startsWith('div.wide')), `the wide block is not reported: ${bad.outside.join('; ')}`);
      ensure(bad.clipped.some((line) => line.startsWith('div.clip')), `the clipped text is not reported: ${bad.clipped.join('; ')}`);
    });
  } finally {
    await context.close();
    await new Promise((resolve) => server.close(resolve));
  }
}
