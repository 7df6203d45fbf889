// The public portal as a citizen uses it (issue 6): axe-core WCAG 2.1 AA on
// the home page, an article, search results, the service catalogue and a
// service page, in both languages; the pages work without JavaScript, ship
// no script (JSON-LD metadata is data, not script), stay under 50 KB of
// HTML+CSS, and search finds the Decree 64 article typed without diacritics.
// Called from suite.mjs with its harness and browser.

import { ensure, ensureContains, ensureEqual } from './lib/harness.mjs';
import { describeViolations, newContext, pathOf, runAxe, screenshot, setLanguage } from './lib/browser.mjs';

async function basics(page, lang) {
  ensureEqual(await page.getAttribute('html', 'lang'), lang, '<html lang>');
  ensureEqual(await page.locator('script:not([type="application/ld+json"])').count(), 0, 'executable <script> elements');
  ensureEqual(await page.locator('main#main').count(), 1, '<main id="main"> landmarks');
  ensureEqual(await page.locator('h1').count(), 1, '<h1> headings');
}

async function weight(page) {
  return page.evaluate(async () => {
    const html = new TextEncoder().encode(document.documentElement.outerHTML).length;
    let css = 0;
    for (const link of document.querySelectorAll('link[rel=stylesheet]')) {
      const response = await fetch(link.href);
      css += (await response.arrayBuffer()).byteLength;
    }
    return html + css;
  });
}

export async function portalChecks({ t, browser, base, shots }) {
  const context = await newContext(browser, { javaScriptEnabled: false });
  const page = await context.newPage();
  let articlePath = null;
  let servicePath = null;

  await t.check('portal: the home page lists news and sections; a search without diacritics finds Decree 64', async () => {
    await page.goto(`${base}/`);
    ensure(await page.locator('main ul.cards li').count() >= 3, 'latest news on the home page');
    articlePath = await page.locator('main ul.cards li h3 a').first().getAttribute('href');
    ensure(/^\/noi-dung\/\d+$/.test(articlePath || ''), `article link: ${articlePath}`);
    await page.fill('#q', 'nghi dinh 64 ung dung cntt');
    await Promise.all([page.waitForNavigation(), page.press('#q', 'Enter')]);
    ensureContains(pathOf(page), '/tim-kiem?q=', 'search results page');
    const first = await page.locator('main ol.results li h2').first().textContent();
    ensureContains(first, 'Nghị định 64/2007/NĐ-CP', 'first result');
    ensure(await page.locator('main ol.results mark').count() > 0, 'matched words are highlighted');
    await page.goto(`${base}/dich-vu`);
    servicePath = await page.locator('main ul.results li h2 a').first().getAttribute('href');
    ensure(/^\/dich-vu\/[\w.-]+$/.test(servicePath || ''), `service link: ${servicePath}`);
  }, { always: true });

  const specs = [
    { name: 'portal home', path: () => '/' },
    { name: 'portal article', path: () => articlePath },
    { name: 'portal search results', path: () => '/tim-kiem?q=giay+phep+xay+dung' },
    { name: 'portal search did-you-mean', path: () => '/tim-kiem?q=giay+phep+xay+dungg' },
    { name: 'portal service catalogue', path: () => '/dich-vu' },
    { name: 'portal service page', path: () => servicePath },
    { name: 'portal legal category', path: () => '/chuyen-muc/van-ban-phap-luat' },
  ];
  const jsPage = await (await newContext(browser)).newPage();
  for (const lang of ['vi', 'en']) {
    await setLanguage(jsPage, base, lang);
    for (const spec of specs) {
      await t.check(`axe ${lang}: ${spec.name}`, async () => {
        const target = spec.path();
        ensure(target, 'setup failed, so this page cannot be reached');
        jsPage.context().problems();
        const response = await jsPage.goto(`${base}${target}`);
        ensureEqual(response.status(), 200, `HTTP status of ${target}`);
        await basics(jsPage, lang);
        const bytes = await weight(jsPage);
        ensure(bytes < 50 * 1024, `${target} weighs ${bytes} bytes of HTML+CSS`);
        const result = await runAxe(jsPage);
        await screenshot(jsPage, shots, `${lang}-${spec.name.replace(/[^a-z0-9]+/gi, '-')}`);
        const problems = jsPage.context().problems();
        const report = [];
        if (result.violations.length) report.push(describeViolations(result.violations));
        if (problems.length) report.push(...problems);
        ensure(!report.length, `${result.violations.length} axe violation(s) on ${target}\n${report.join('\n')}`);
      });
    }
  }
  await jsPage.context().close();
  await context.close();
}
