#!/usr/bin/env node
// The congso real-browser suite. run.sh starts a demo node and calls:
//
//   node suite.mjs --base http://127.0.0.1:PORT --totp-secret BASE32 [--screenshot DIR] [--only WORD,...]
//
// It drives headless Debian Chromium through playwright-core and prints one
// PASS/FAIL line per check, then "browser: N passed, M failed" (or, with
// --summary FILE, writes "N M" there for run.sh to add its own checks to);
// it exits 1 if any check failed. Scenarios (see README.md): axe-core WCAG 2.1 AA on
// every page in both languages, keyboard use, no JavaScript, 200 % text and
// 320 px reflow, the administrator's account flow, and the language switch.
import fs from 'node:fs';

import { Harness, ensure, ensureContains, ensureEqual } from './lib/harness.mjs';
import { selfCheck } from './lib/selfcheck.mjs';
import { documentChecks } from './documents.mjs';
import { TotpClock, totpAtStep } from './lib/totp.mjs';
import {
  DEMO_PASSWORD, clickAndWait, describeViolations, focusState, launch, layoutState, login, logout,
  newContext, pathOf, pressAndWait, runAxe, screenshot, setLanguage,
} from './lib/browser.mjs';

function parseArgs(argv) {
  const options = { base: null, secret: null, shots: null, only: null, summary: null, chromium: process.env.CHROMIUM || '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i += 1) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--base': options.base = value.replace(/\/+$/, ''); i += 1; break;
      case '--totp-secret': options.secret = value; i += 1; break;
      case '--screenshot': options.shots = value; i += 1; break;
      case '--only': options.only = value.split(','); i += 1; break;
      case '--chromium': options.chromium = value; i += 1; break;
      case '--summary': options.summary = value; i += 1; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!options.base || !options.secret) {
    throw new Error('usage: node suite.mjs --base URL --totp-secret BASE32 [--screenshot DIR] [--only WORD,...] [--chromium PATH] [--summary FILE]');
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const base = options.base;
const shots = options.shots;
if (shots) fs.mkdirSync(shots, { recursive: true });
const t = new Harness({ only: options.only });
const adminTotp = new TotpClock(options.secret);

// Words each language must show, so a check cannot pass on the wrong page
// or in the wrong language.
const WORDS = {
  vi: { home: 'Trang chủ', login: 'Đăng nhập', logout: 'Đăng xuất', staffHello: 'Xin chào', switchTo: 'English' },
  en: { home: 'Home', login: 'Log in', logout: 'Log out', staffHello: 'Hello', switchTo: 'Tiếng Việt' },
};

/** Checks what every page of the interface must satisfy besides axe. */
async function pageBasics(page, lang) {
  ensureEqual(await page.getAttribute('html', 'lang'), lang, '<html lang>');
  ensureEqual(await page.locator('script').count(), 0, 'number of <script> elements (the interface ships no JavaScript)');
  ensureEqual(await page.locator('main#main').count(), 1, 'number of <main id="main"> landmarks');
  ensureEqual(await page.locator('h1').count(), 1, 'number of <h1> headings');
  const title = await page.title();
  ensure(title.trim().length > 3, `page title is empty or too short: ${JSON.stringify(title)}`);
}

// ---------------------------------------------------------------- TOTP self-check

await t.check('totp: RFC 6238 appendix B SHA-1 vectors (Node crypto, independent of the server)', async () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of "12345678901234567890"
  for (const [time, code] of [[59, '287082'], [1111111109, '081804'], [1111111111, '050471'],
    [1234567890, '005924'], [2000000000, '279037'], [20000000000, '353130']]) {
    ensureEqual(totpAtStep(secret, Math.floor(time / 30)), code, `TOTP at t=${time}`);
  }
});

const browser = await launch(options.chromium);
console.log(`# Chromium ${browser.version()}, ${base}${shots ? `, screenshots in ${shots}` : ''}`);

try {
  await selfCheck(t, browser);

  // ------------------------------------------------------------ sessions
  // One context per kind of visitor, each with its own cookies.
  const anon = await newContext(browser);
  const anonPage = await anon.newPage();
  const halfway = await newContext(browser); // quantri after the password, before the code
  const halfwayPage = await halfway.newPage();
  const clerk = await newContext(browser);
  const clerkPage = await clerk.newPage();
  const admin = await newContext(browser);
  const adminPage = await admin.newPage();
  let sessionsReady = false;
  let clerkUserPath = null;
  let ledgerEntryPath = null;

  await t.check('setup: vanthu (clerk) logs in; quantri logs in with password and TOTP; quantri stops at the code page', async () => {
    await login(clerkPage, base, 'vanthu');
    ensureEqual(new URL(clerkPage.url()).pathname, '/staff', 'clerk lands on');
    await login(adminPage, base, 'quantri', { totp: adminTotp });
    ensureEqual(new URL(adminPage.url()).pathname, '/staff', 'administrator lands on');
    await halfwayPage.goto(`${base}/login`);
    await halfwayPage.fill('#username', 'quantri');
    await halfwayPage.fill('#password', DEMO_PASSWORD);
    await clickAndWait(halfwayPage, halfwayPage.locator('main form button[type=submit]'));
    ensureEqual(new URL(halfwayPage.url()).pathname, '/login/2fa', 'administrator after the password');
    // A user page to look at, and a signed checkpoint so that ledger entries
    // show their inclusion proof.
    await adminPage.goto(`${base}/admin/users`);
    clerkUserPath = await adminPage.locator('main table a', { hasText: /^vanthu$/ }).getAttribute('href');
    ensure(/^\/admin\/users\/\d+$/.test(clerkUserPath || ''), `link to vanthu's page: ${clerkUserPath}`);
    await adminPage.goto(`${base}/admin/ledger`);
    await clickAndWait(adminPage, adminPage.locator('main form[action="/admin/ledger"] button'));
    ensureContains(pathOf(adminPage), '/admin/ledger?signed=', 'page after signing a checkpoint');
    ledgerEntryPath = await adminPage.locator('main table tbody tr a').first().getAttribute('href');
    ensure(/^\/admin\/ledger\/\d+$/.test(ledgerEntryPath || ''), `link to a ledger entry: ${ledgerEntryPath}`);
    sessionsReady = true;
  }, { always: true });

  // ------------------------------------------------------------ 1. axe-core
  const pages = [
    { name: 'home', page: anonPage, path: '/' },
    { name: 'login', page: anonPage, path: '/login' },
    {
      name: 'login with an error', page: anonPage, path: '/login',
      act: async (page) => {
        await page.fill('#username', 'khong-co-tai-khoan');
        await page.fill('#password', 'mat-khau-sai-123');
        await clickAndWait(page, page.locator('main form button[type=submit]'));
        ensure(await page.locator('.error-box[role=alert]').isVisible(), 'no error message shown after a wrong password');
        ensureEqual(await page.getAttribute('#username', 'aria-describedby'), 'login-error', 'username field aria-describedby');
      },
    },
    { name: '2FA code page', page: halfwayPage, path: '/login/2fa' },
    { name: 'password reset', page: anonPage, path: '/password-reset' },
    {
      name: 'password reset, request sent', page: anonPage, path: '/password-reset',
      act: async (page) => {
        await page.fill('#identifier', 'khong-co-tai-khoan');
        await clickAndWait(page, page.locator('main form button[type=submit]'));
        ensure(await page.locator('.notice[role=status]').isVisible(), 'no confirmation shown after the request');
      },
    },
    { name: 'staff home', page: clerkPage, path: '/staff' },
    { name: 'account', page: clerkPage, path: '/account' },
    { name: 'account 2FA setup', page: clerkPage, path: '/account/2fa' },
    { name: 'account password', page: clerkPage, path: '/account/password' },
    { name: 'admin user list', page: adminPage, path: '/admin/users' },
    { name: 'admin new-user form', page: adminPage, path: '/admin/users/new' },
    { name: 'admin user detail', page: adminPage, path: () => clerkUserPath },
    { name: 'admin ledger list', page: adminPage, path: '/admin/ledger' },
    {
      name: 'admin ledger entry', page: adminPage, path: () => ledgerEntryPath,
      act: async (page) => {
        ensure(await page.locator('main .notice[role=status]').isVisible(), 'the entry page does not say its inclusion proof is valid');
      },
    },
    { name: '404 page', page: anonPage, path: '/no-such-page', status: 404 },
  ];
  for (const lang of ['vi', 'en']) {
    if (sessionsReady) {
      for (const page of [anonPage, halfwayPage, clerkPage, adminPage]) await setLanguage(page, base, lang);
    }
    for (const spec of pages) {
      await t.check(`axe ${lang}: ${spec.name}`, async () => {
        ensure(sessionsReady || spec.page === anonPage, 'setup failed, so this page cannot be reached');
        const target = typeof spec.path === 'function' ? spec.path() : spec.path;
        spec.page.context().problems(); // forget what earlier steps in this context saw
        const response = await spec.page.goto(`${base}${target}`);
        ensureEqual(response.status(), spec.status ?? 200, `HTTP status of ${target}`);
        ensureEqual(pathOf(spec.page), target, 'page shown (a redirect went elsewhere)');
        if (spec.act) await spec.act(spec.page);
        await pageBasics(spec.page, lang);
        const result = await runAxe(spec.page);
        await screenshot(spec.page, shots, `${lang}-${spec.name.replace(/[^a-z0-9]+/gi, '-')}`);
        const problems = spec.page.context().problems();
        const report = [];
        if (result.violations.length) report.push(describeViolations(result.violations));
        if (problems.length) report.push(...problems);
        ensure(!report.length, `${result.violations.length} axe violation(s) on ${pathOf(spec.page)}\n${report.join('\n')}`);
      });
    }
  }
  for (const page of [anonPage, halfwayPage, clerkPage, adminPage]) {
    if (sessionsReady || page === anonPage) await setLanguage(page, base, 'vi').catch(() => {});
  }
  await halfway.close();

  // ------------------------------------------------------------ 2. keyboard
  await t.check('keyboard: the first Tab on the home page reaches the skip link, and Enter moves focus to main', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.keyboard.press('Tab');
    let focus = await page.evaluate(focusState);
    ensure(!focus.none && focus.name.startsWith('a.skip-link'), `first Tab focused ${focus.name ?? 'nothing'}`);
    ensure(focus.onScreen, 'the focused skip link is not on screen');
    ensure(focus.outline || focus.shadow, 'the focused skip link has no visible focus indicator');
    await screenshot(page, shots, 'keyboard-skip-link');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'main', null, { timeout: 3000 })
      .catch(() => {});
    focus = await page.evaluate(focusState);
    ensureEqual(focus.id, 'main', 'id of the focused element after activating the skip link');
    await page.keyboard.press('Tab');
    focus = await page.evaluate(focusState);
    ensure(focus.inMain, `the Tab after the skip link went to ${focus.name ?? 'nothing'}, outside main`);
    await context.close();
  });

  const tabPages = [
    { name: 'home', page: anonPage, path: '/' },
    { name: 'login', page: anonPage, path: '/login' },
    { name: 'staff home', page: clerkPage, path: '/staff' },
    { name: 'account', page: clerkPage, path: '/account' },
    { name: 'admin new-user form', page: adminPage, path: '/admin/users/new' },
    { name: 'admin user detail', page: adminPage, path: () => clerkUserPath },
  ];
  for (const spec of tabPages) {
    await t.check(`keyboard: every Tab stop on ${spec.name} shows a visible focus indicator on screen`, async () => {
      ensure(sessionsReady || spec.page === anonPage, 'setup failed, so this page cannot be reached');
      const target = typeof spec.path === 'function' ? spec.path() : spec.path;
      await spec.page.goto(`${base}${target}`);
      const stops = [];
      const bad = [];
      for (let i = 0; i < 80; i += 1) {
        await spec.page.keyboard.press('Tab');
        const focus = await spec.page.evaluate(focusState);
        if (focus.none || (stops.length && focus.name === stops[0])) break;
        stops.push(focus.name);
        if (!(focus.outline || focus.shadow)) bad.push(`${focus.name}: no outline or box-shadow`);
        else if (!focus.onScreen) bad.push(`${focus.name}: focused but off screen`);
      }
      ensure(stops.length >= 3, `only ${stops.length} Tab stop(s) found: ${stops.join(', ')}`);
      ensure(!bad.length, `${bad.length} of ${stops.length} Tab stops without visible focus:\n${bad.join('\n')}`);
      return `${stops.length} stops`;
    });
  }

  await t.check('keyboard: the login form is filled and submitted with the keyboard alone', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    let presses = 0;
    for (; presses < 30; presses += 1) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(focusState)).id === 'username') break;
    }
    ensure(presses < 30, 'Tab never reached the username field');
    await page.keyboard.type('chuyenvien');
    await page.keyboard.press('Tab');
    ensureEqual((await page.evaluate(focusState)).id, 'password', 'field after the username');
    await page.keyboard.type(DEMO_PASSWORD);
    await page.keyboard.press('Tab');
    const button = await page.evaluate(focusState);
    ensure(button.name.startsWith('button') && (button.outline || button.shadow), `after the password, focus is on ${button.name} (visible: ${button.outline || button.shadow})`);
    await pressAndWait(page, 'Enter');
    ensureEqual(new URL(page.url()).pathname, '/staff', 'page after submitting with Enter');
    ensureContains(await page.locator('h1').textContent(), 'Phạm Quốc Bảo', 'staff page heading');
    await context.close();
  });

  // ------------------------------------------------------------ 3. no JavaScript
  await t.check('no JavaScript: vanthu logs in, sees the staff page and logs out', async () => {
    const context = await newContext(browser, { javaScriptEnabled: false });
    const page = await context.newPage();
    // First make sure scripts really are off in this context.
    await page.goto('data:text/html,<p id=p>off</p><script>document.getElementById("p").textContent="on"</script>');
    ensureEqual(await page.textContent('#p'), 'off', 'a page script ran in the no-JavaScript context');
    await page.goto(`${base}/staff`);
    ensureEqual(pathOf(page), '/login?next=%2Fstaff', 'a signed-out visit to /staff redirects to');
    await page.fill('#username', 'vanthu');
    await page.fill('#password', DEMO_PASSWORD);
    await clickAndWait(page, page.getByRole('button', { name: WORDS.vi.login, exact: true }));
    ensureEqual(new URL(page.url()).pathname, '/staff', 'page after logging in');
    ensureContains(await page.locator('h1').textContent(), 'Xin chào, Lê Thị Hoa', 'staff heading');
    ensureContains(await page.locator('main').textContent(), 'Văn thư', 'roles listed on the staff page');
    await clickAndWait(page, page.getByRole('link', { name: 'Tài khoản', exact: true }).first());
    ensureEqual(new URL(page.url()).pathname, '/account', 'page behind the account link');
    await clickAndWait(page, page.getByRole('button', { name: WORDS.vi.logout }));
    ensureEqual(pathOf(page), '/login?notice=logged-out', 'page after logging out');
    ensureContains(await page.locator('.notice[role=status]').textContent(), 'Bạn đã đăng xuất', 'logout notice');
    await page.goto(`${base}/staff`);
    ensureEqual(new URL(page.url()).pathname, '/login', 'the staff page after logging out redirects to');
    ensureEqual(context.problems().length, 0, 'console errors or failed requests');
    await context.close();
  });

  // ------------------------------------------------------------ 4. text size and reflow
  const layouts = [
    { name: '200% text at 1280 px', width: 1280, height: 900, fontSize: '200%', expectFont: '32px', shot: 'text200' },
    { name: '320 px reflow', width: 320, height: 640, fontSize: null, expectFont: '16px', axe: true },
    { name: '360 px phone', width: 360, height: 740, fontSize: null, expectFont: '16px', shot: 'phone360', axe: true },
    { name: '200% text at 360 px', width: 360, height: 740, fontSize: '200%', expectFont: '32px' },
    { name: 'WCAG 1.4.12 text spacing at 320 px', width: 320, height: 640, fontSize: null, expectFont: '16px', spacing: true },
    { name: 'WCAG 1.4.12 text spacing at 1280 px', width: 1280, height: 900, fontSize: null, expectFont: '16px', spacing: true },
  ];
  const layoutPages = [
    { name: 'home', page: anonPage, path: '/' },
    { name: 'login', page: anonPage, path: '/login' },
    { name: 'staff home', page: clerkPage, path: '/staff' },
    { name: 'admin user list', page: adminPage, path: '/admin/users' },
    { name: 'admin new-user form', page: adminPage, path: '/admin/users/new' },
    { name: 'admin ledger list', page: adminPage, path: '/admin/ledger' },
  ];
  for (const layout of layouts) {
    for (const spec of layoutPages) {
      const also = layout.axe ? ' (and axe finds nothing at this width)' : '';
      await t.check(`layout ${layout.name}: ${spec.name} has no horizontal scrolling and no clipped text${also}`, async () => {
        ensure(sessionsReady || spec.page === anonPage, 'setup failed, so this page cannot be reached');
        await spec.page.setViewportSize({ width: layout.width, height: layout.height });
        try {
          await spec.page.goto(`${base}${spec.path}`);
          ensureEqual(pathOf(spec.page), spec.path, 'page shown');
          if (layout.fontSize) {
            // The CSSOM is not subject to the page's CSP, unlike an injected <style>.
            await spec.page.evaluate((size) => { document.documentElement.style.fontSize = size; }, layout.fontSize);
          }
          if (layout.spacing) {
            // The spacing WCAG 1.4.12 asks pages to survive, as a constructed
            // style sheet (which the CSP does not govern either).
            await spec.page.evaluate(() => {
              const sheet = new CSSStyleSheet();
              sheet.replaceSync(`* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
                word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }`);
              document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
            });
            const applied = await spec.page.evaluate(() => getComputedStyle(document.querySelector('main h1')).letterSpacing);
            ensure(applied !== 'normal' && parseFloat(applied) > 0, `the text spacing was not applied (letter-spacing ${applied})`);
          }
          const state = await spec.page.evaluate(layoutState);
          ensureEqual(state.bodyFontSize, layout.expectFont, 'body text size');
          if (layout.shot) await screenshot(spec.page, shots, `${layout.shot}-${spec.name.replace(/[^a-z0-9]+/gi, '-')}`);
          const report = [];
          if (state.scrollWidth > state.viewport + 1) {
            report.push(`the page scrolls sideways: scrollWidth ${state.scrollWidth} > clientWidth ${state.viewport}`);
          }
          if (state.outside.length) report.push(`sticking out on the right:\n  ${state.outside.join('\n  ')}`);
          if (state.clipped.length) report.push(`clipped content:\n  ${state.clipped.join('\n  ')}`);
          if (layout.axe) {
            // Narrow screens make regions scroll that do not at 1280 px, and a
            // scrolling region must be reachable by keyboard.
            const result = await runAxe(spec.page);
            if (result.violations.length) report.push(describeViolations(result.violations));
          }
          ensure(!report.length, report.join('\n'));
        } finally {
          await spec.page.setViewportSize({ width: 1280, height: 900 });
        }
      });
    }
  }

  // ------------------------------------------------------------ 5. administrator flow
  await t.check('admin flow: quantri (password + TOTP) creates a user, who must change the temporary password and then works', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await login(page, base, 'quantri', { totp: adminTotp });
    ensureEqual(new URL(page.url()).pathname, '/staff', 'administrator lands on');
    ensureContains(await page.locator('h1').textContent(), 'Nguyễn Văn Quân', 'staff heading');
    await clickAndWait(page, page.locator('header nav a[href="/admin/users"]'));
    await clickAndWait(page, page.getByRole('link', { name: 'Tạo tài khoản mới' }));
    ensureEqual(new URL(page.url()).pathname, '/admin/users/new', 'page behind the new-account button');
    const username = `thu-${Date.now().toString(36)}`;
    await page.fill('#username', username);
    await page.fill('#display_name', 'Trịnh Thị Thử Nghiệm');
    await page.fill('#email', `${username}@demo.congso.vn`);
    await page.selectOption('#kind', 'staff');
    await page.selectOption('#unit', { label: 'Phòng Công nghệ thông tin' });
    await page.fill('#position', 'Chuyên viên thử nghiệm');
    await page.getByLabel('Chuyên viên', { exact: true }).check();
    await clickAndWait(page, page.getByRole('button', { name: 'Tạo tài khoản' }));
    const notice = (await page.locator('main .notice[role=status]').textContent()) || '';
    const match = notice.match(/Mật khẩu tạm thời \(chỉ hiển thị một lần\): (\S+)/);
    ensure(match, `no temporary password on the page after creating ${username}; notice: ${JSON.stringify(notice)}`);
    const temporary = match[1];
    ensureContains(await page.locator('h1').textContent(), username, 'heading of the new account page');
    ensureContains(await page.locator('main dl').textContent(), 'Trịnh Thị Thử Nghiệm', 'facts of the new account');
    const axeCreated = await runAxe(page);
    ensure(!axeCreated.violations.length, `axe on the new account page:\n${describeViolations(axeCreated.violations)}`);
    await screenshot(page, shots, 'flow-user-created');
    await logout(page);

    await login(page, base, username, { password: temporary });
    ensureEqual(new URL(page.url()).pathname, '/account/password', 'a new user with a temporary password lands on');
    ensureContains(await page.locator('main .warning').textContent(), 'Bạn cần đặt mật khẩu mới', 'forced-change warning');
    await page.goto(`${base}/staff`);
    ensureEqual(new URL(page.url()).pathname, '/account/password', 'before changing the password, /staff redirects to');
    const axeForced = await runAxe(page);
    ensure(!axeForced.violations.length, `axe on the forced password change:\n${describeViolations(axeForced.violations)}`);
    await screenshot(page, shots, 'flow-must-change-password');
    const fresh = 'Tre-xanh-ven-song-2026';
    await page.fill('#current', temporary);
    await page.fill('#password', fresh);
    await page.fill('#confirm', fresh);
    await clickAndWait(page, page.locator('main form button[type=submit]'));
    ensureEqual(pathOf(page), '/account?notice=account-password-changed', 'page after changing the password');
    ensureContains(await page.locator('main .notice').textContent(), 'Đã đổi mật khẩu', 'confirmation');
    await clickAndWait(page, page.locator('header nav a[href="/staff"]'));
    ensureEqual(new URL(page.url()).pathname, '/staff', 'the work area after the change');
    ensureContains(await page.locator('h1').textContent(), 'Xin chào, Trịnh Thị Thử Nghiệm', 'staff heading of the new user');
    ensureContains(await page.locator('main').textContent(), 'Chuyên viên', 'role of the new user');
    await logout(page);

    // The new password is the one that works now, the temporary one is gone.
    await login(page, base, username, { password: fresh });
    ensureEqual(new URL(page.url()).pathname, '/staff', 'logging in with the new password lands on');
    await logout(page);
    await page.goto(`${base}/login`);
    await page.fill('#username', username);
    await page.fill('#password', temporary);
    await clickAndWait(page, page.locator('main form button[type=submit]'));
    ensureEqual(new URL(page.url()).pathname, '/login', 'the temporary password after the change');
    ensureEqual(context.problems().length, 0, 'console errors or failed requests');
    await context.close();
  });

  // ------------------------------------------------------------ 6. language switch
  await t.check('language: the English link switches <html lang> and the text, and the Vietnamese link switches back', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    for (const path of ['/', '/login']) {
      await page.goto(`${base}${path}`);
      ensureEqual(await page.getAttribute('html', 'lang'), 'vi', `<html lang> of ${path} at first`);
      ensureContains(await page.locator('header nav').textContent(), WORDS.vi.home, 'Vietnamese navigation');
      const toEnglish = page.locator('header nav a[hreflang=en]');
      ensureEqual(await toEnglish.getAttribute('lang'), 'en', 'lang of the English link');
      ensureEqual((await toEnglish.textContent()).trim(), WORDS.vi.switchTo, 'text of the English link');
      await clickAndWait(page, toEnglish);
      ensureEqual(new URL(page.url()).pathname, path, 'page after switching to English');
      ensureEqual(await page.getAttribute('html', 'lang'), 'en', `<html lang> of ${path} in English`);
      ensureContains(await page.locator('header nav').textContent(), WORDS.en.home, 'English navigation');
      ensure(!(await page.locator('body').textContent()).includes(WORDS.vi.home), 'Vietnamese navigation text is still shown in English');
      if (path === '/login') ensureEqual((await page.locator('h1').textContent()).trim(), 'Log in', 'English login heading');
      const toVietnamese = page.locator('header nav a[hreflang=vi]');
      ensureEqual(await toVietnamese.getAttribute('lang'), 'vi', 'lang of the Vietnamese link');
      ensureEqual((await toVietnamese.textContent()).trim(), WORDS.en.switchTo, 'text of the Vietnamese link');
      await clickAndWait(page, toVietnamese);
      ensureEqual(new URL(page.url()).pathname, path, 'page after switching back');
      ensureEqual(await page.getAttribute('html', 'lang'), 'vi', `<html lang> of ${path} back in Vietnamese`);
      ensureContains(await page.locator('header nav').textContent(), WORDS.vi.home, 'Vietnamese navigation again');
      if (path === '/login') ensureEqual((await page.locator('h1').textContent()).trim(), 'Đăng nhập', 'Vietnamese login heading');
    }
    await context.close();
  });

  await documentChecks({ t, browser, base, shots });
} finally {
  await browser.close();
}

process.exit(t.finish(options.summary));
