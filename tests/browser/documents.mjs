// Browser checks of the document screens (issue 4), run by suite.mjs after
// its own checks: axe-core WCAG 2.1 AA with zero violations on every
// document page in both languages (registers, forms, search, overdue,
// notifications, registers for printing, an incoming and a signed outgoing
// document's page) and on the portal's staff screens (items, the writing
// form, an item, categories, search lists), and keyboard-only use of the
// register and a workflow step. The demo node seeds documents at every
// workflow stage.
import { ensure, ensureContains, ensureEqual } from './lib/harness.mjs';
import {
  clickAndWait, describeViolations, focusState, login, newContext, pathOf, runAxe, screenshot, setLanguage,
} from './lib/browser.mjs';

/** The same page basics suite.mjs checks (one h1, one main, no script). */
async function basics(page, lang) {
  ensureEqual(await page.getAttribute('html', 'lang'), lang, '<html lang>');
  ensureEqual(await page.locator('script').count(), 0, 'number of <script> elements');
  ensureEqual(await page.locator('main#main').count(), 1, 'number of <main id="main"> landmarks');
  ensureEqual(await page.locator('h1').count(), 1, 'number of <h1> headings');
}

export async function documentChecks({ t, browser, base, shots }) {
  const clerk = await newContext(browser);
  const clerkPage = await clerk.newPage();
  const specialist = await newContext(browser);
  const specialistPage = await specialist.newPage();
  const leader = await newContext(browser);
  const leaderPage = await leader.newPage();
  let ready = false;
  let incomingPath = null;
  let signedPath = null;
  let portalItemPath = null;

  await t.check('documents setup: vanthu, chuyenvien and giamdoc log in; the demo registers hold documents', async () => {
    await login(clerkPage, base, 'vanthu');
    await login(specialistPage, base, 'chuyenvien');
    await login(leaderPage, base, 'giamdoc');
    await clerkPage.goto(`${base}/staff`);
    ensure(await clerkPage.locator('main a[href="/documents"]').count() === 1, 'the staff home links to the documents');
    await clerkPage.goto(`${base}/documents/incoming`);
    incomingPath = await clerkPage.locator('main table tbody a').first().getAttribute('href');
    ensure(/^\/documents\/\d+$/.test(incomingPath || ''), `link to an incoming document: ${incomingPath}`);
    await clerkPage.goto(`${base}/documents/outgoing?state=dispatched`);
    signedPath = await clerkPage.locator('main table tbody a').first().getAttribute('href');
    ensure(/^\/documents\/\d+$/.test(signedPath || ''), `link to a dispatched document: ${signedPath}`);
    await leaderPage.goto(`${base}/staff/portal`);
    portalItemPath = await leaderPage.locator('main table tbody a[href^="/staff/portal/"]').first().getAttribute('href');
    ensure(/^\/staff\/portal\/\d+$/.test(portalItemPath || ''), `link to a portal item: ${portalItemPath}`);
    ready = true;
  }, { always: true });

  const pages = [
    { name: 'documents hub', page: clerkPage, path: '/documents' },
    { name: 'incoming register', page: clerkPage, path: '/documents/incoming' },
    { name: 'register incoming form', page: clerkPage, path: '/documents/incoming/new' },
    { name: 'outgoing register', page: clerkPage, path: '/documents/outgoing' },
    { name: 'draft form', page: specialistPage, path: '/documents/outgoing/new' },
    { name: 'search with results', page: clerkPage, path: '/documents/search?q=chuyen+doi+so' },
    { name: 'overdue, whole agency', page: leaderPage, path: '/documents/overdue?scope=all' },
    { name: 'notifications', page: specialistPage, path: '/documents/notifications' },
    { name: 'register for printing', page: clerkPage, path: '/documents/registers?direction=incoming&from=2000-01-01&until=2100-12-31&format=html' },
    { name: 'incoming document', page: leaderPage, path: () => incomingPath },
    { name: 'signed outgoing document', page: clerkPage, path: () => signedPath },
    { name: 'API tokens', page: clerkPage, path: '/account/api-tokens' },
    { area: 'portal staff', name: 'items', page: leaderPage, path: '/staff/portal' },
    { area: 'portal staff', name: 'new item form', page: specialistPage, path: '/staff/portal/new' },
    { area: 'portal staff', name: 'item page', page: leaderPage, path: () => portalItemPath },
    { area: 'portal staff', name: 'categories', page: leaderPage, path: '/staff/portal/categories' },
    { area: 'portal staff', name: 'search lists', page: leaderPage, path: '/staff/portal/search-lists' },
    { area: 'data services', name: 'services and call log', page: specialistPage, path: '/staff/data-services' },
  ];
  for (const lang of ['vi', 'en']) {
    if (ready) for (const page of [clerkPage, specialistPage, leaderPage]) await setLanguage(page, base, lang);
    for (const spec of pages) {
      await t.check(`axe ${lang}: ${spec.area || 'documents'}, ${spec.name}`, async () => {
        ensure(ready, 'setup failed, so this page cannot be reached');
        const target = typeof spec.path === 'function' ? spec.path() : spec.path;
        spec.page.context().problems();
        const response = await spec.page.goto(`${base}${target}`);
        ensureEqual(response.status(), 200, `HTTP status of ${target}`);
        ensureEqual(pathOf(spec.page), target, 'page shown (a redirect went elsewhere)');
        await basics(spec.page, lang);
        const result = await runAxe(spec.page);
        await screenshot(spec.page, shots, `${(spec.area || 'documents').replace(' ', '-')}-${lang}-${spec.name.replace(/[^a-z0-9]+/gi, '-')}`);
        const problems = spec.page.context().problems();
        const report = [];
        if (result.violations.length) report.push(describeViolations(result.violations));
        if (problems.length) report.push(...problems);
        ensure(!report.length, `${result.violations.length} axe violation(s) on ${target}\n${report.join('\n')}`);
      });
    }
  }
  if (ready) for (const page of [clerkPage, specialistPage, leaderPage]) await setLanguage(page, base, 'vi');

  await t.check('documents keyboard: the register filters are reached with Tab, submitted with Enter, and every focus is visible', async () => {
    ensure(ready, 'setup failed');
    await clerkPage.goto(`${base}/documents/incoming`);
    await clerkPage.locator('#q').focus();
    await clerkPage.keyboard.type('an toan thong tin');
    let focus = await clerkPage.evaluate(focusState);
    ensure(focus.outline || focus.shadow, 'the focused search field has no visible focus indicator');
    for (let i = 0; i < 12; i += 1) {
      await clerkPage.keyboard.press('Tab');
      focus = await clerkPage.evaluate(focusState);
      ensure(!focus.none, 'Tab left the page');
      ensure(focus.outline || focus.shadow, `focused ${focus.name} has no visible focus indicator`);
      if (focus.name.startsWith('button')) break;
    }
    ensure(focus.name.startsWith('button'), `Tab did not reach the filter button (at ${focus.name})`);
    await Promise.all([clerkPage.waitForNavigation(), clerkPage.keyboard.press('Enter')]);
    ensureContains(clerkPage.url(), 'q=an+toan+thong+tin', 'the filtered register address');
    ensureContains(await clerkPage.locator('main table').textContent(), 'an toàn thông tin', 'the filtered register (found without diacritics)');
  });

  await t.check('documents keyboard: the leader assigns an incoming document with the keyboard alone', async () => {
    ensure(ready, 'setup failed');
    await clerkPage.goto(`${base}/documents/incoming?state=registered`);
    const path = await clerkPage.locator('main table tbody a').first().getAttribute('href');
    await leaderPage.goto(`${base}${path}`);
    const form = leaderPage.locator('main form[action$="/transition"]').filter({ has: leaderPage.locator('input[name=transition][value=assign]') });
    ensureEqual(await form.count(), 1, 'assign forms on the page');
    await form.locator('select[name=assignee_user]').focus();
    await leaderPage.keyboard.press('ArrowDown');
    await leaderPage.keyboard.press('Tab');
    await leaderPage.keyboard.press('Tab');
    await leaderPage.keyboard.type('5');
    let focus = await leaderPage.evaluate(focusState);
    ensure(focus.outline || focus.shadow, 'the due-days field has no visible focus indicator');
    await leaderPage.keyboard.press('Tab');
    await leaderPage.keyboard.press('Tab');
    focus = await leaderPage.evaluate(focusState);
    ensure(focus.name.startsWith('button'), `after the comment, Tab reached ${focus.name}, not the submit button`);
    await Promise.all([leaderPage.waitForNavigation(), leaderPage.keyboard.press('Enter')]);
    ensureContains(pathOf(leaderPage), '?notice=doc-step-done', 'page after assigning');
    ensureContains(await leaderPage.locator('main').textContent(), 'Đã phân công', 'the new state');
  });

  await clerk.close();
  await specialist.close();
  await leader.close();
}
