// Browser plumbing for the suite: Debian's Chromium through playwright-core,
// axe-core injection, page measurements that run inside the page, and the
// login steps every scenario shares.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensure, ensureContains } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'package.json'));
const { chromium } = require('playwright-core');
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The password of every demo account (crates/congso/src/demo.rs). */
export const DEMO_PASSWORD = 'congso-demo-2026';

/** The WCAG 2.0 and 2.1 level A and AA rule sets of axe-core. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Launches headless Chromium. Playwright gives the browser a throwaway
 * profile of its own and removes it on close; nothing is downloaded, and the
 * flags keep Chromium from calling home.
 */
export async function launch(executablePath) {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--lang=vi-VN',
    ],
  });
}

/**
 * A fresh browser context (its own cookies) with a watch on what goes wrong
 * in it: console errors (a Content-Security-Policy refusal shows up there)
 * and failed sub-resources. `problems()` hands over and clears the list.
 */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'vi-VN',
    ...options,
  });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(20000);
  const seen = [];
  context.on('console', (message) => {
    if (message.type() !== 'error') return;
    // The failed request itself is reported below with its URL; the console
    // line about it carries none, so it is not repeated here.
    if (message.text().startsWith('Failed to load resource')) return;
    seen.push(`console error: ${message.text()}`);
  });
  context.on('response', (response) => {
    const request = response.request();
    // Main documents may be error pages on purpose (the 404 check), and the
    // interface has no favicon; everything else a page loads must succeed.
    if (request.isNavigationRequest() || new URL(request.url()).pathname === '/favicon.ico') return;
    if (response.status() >= 400) seen.push(`HTTP ${response.status()} for ${request.url()}`);
  });
  context.on('requestfailed', (request) => {
    if (new URL(request.url()).pathname === '/favicon.ico') return;
    seen.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
  });
  context.problems = () => seen.splice(0, seen.length);
  return context;
}

/** The path (and query) of the page's current URL. */
export function pathOf(page) {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/**
 * Clicks `locator` (a submit button or a link) and waits until the page it
 * leads to has loaded, following redirects.
 */
export async function clickAndWait(page, locator) {
  const navigated = page.waitForNavigation({ waitUntil: 'load' });
  await locator.click();
  await navigated;
}

/** Presses `key` on the focused element and waits for the page it leads to. */
export async function pressAndWait(page, key) {
  const navigated = page.waitForNavigation({ waitUntil: 'load' });
  await page.keyboard.press(key);
  await navigated;
}

/** Sets the language cookie of the page's context by following the switch link's URL. */
export async function setLanguage(page, base, code) {
  await page.goto(`${base}/lang/${code}?next=/`);
  const lang = await page.getAttribute('html', 'lang');
  ensure(lang === code, `switching to ${code} left <html lang="${lang}">`);
}

/**
 * Logs in through the form with the password, and with a TOTP code from
 * `totp` when the server asks for one. Returns the page, left on wherever
 * the login led.
 */
export async function login(page, base, username, { password = DEMO_PASSWORD, totp = null } = {}) {
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await clickAndWait(page, page.locator('main form button[type=submit]'));
  if (new URL(page.url()).pathname === '/login/2fa') {
    ensure(totp, `${username}: the server asks for a second factor but the test has no TOTP secret`);
    await page.fill('#code', await totp.nextCode());
    await clickAndWait(page, page.locator('main form button[type=submit]'));
  }
  const where = new URL(page.url()).pathname;
  if (where === '/login' || where === '/login/2fa') {
    const error = await page.locator('.error-box').allTextContents();
    throw new Error(`login as ${username} stayed on ${where}: ${error.join(' ') || 'no error shown'}`);
  }
  return page;
}

/** Logs out with the header's button. */
export async function logout(page) {
  await clickAndWait(page, page.locator('header nav form[action="/logout"] button'));
  ensureContains(pathOf(page), '/login', 'page after logging out');
}

/** Runs axe-core on the page with the WCAG A/AA tags; returns its result. */
export async function runAxe(page) {
  // Evaluated through the DevTools protocol, so the page's strict CSP
  // (script-src 'self') does not have to be loosened for the test.
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
}

/** A readable report of axe violations: rule, impact, and the nodes at fault. */
export function describeViolations(violations) {
  const lines = [];
  for (const violation of violations) {
    lines.push(`${violation.id} [${violation.impact}] ${violation.nodes.length} node(s): ${violation.help}`);
    for (const node of violation.nodes.slice(0, 5)) {
      const why = (node.failureSummary || '').split('\n').map((s) => s.trim()).filter(Boolean).slice(1, 2).join(' ');
      lines.push(`  at ${node.target.join(' ')}: ${why}`);
    }
  }
  return lines.join('\n');
}

/** Saves a full-page screenshot when a screenshot folder was asked for. */
export async function screenshot(page, dir, name) {
  if (!dir) return;
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/**
 * Runs in the page: what the keyboard focus is on and whether it is
 * visibly marked (a non-none outline of some width, or a box shadow) and on
 * screen.
 */
export function focusState() {
  const element = document.activeElement;
  if (!element || element === document.body || element === document.documentElement) {
    return { none: true };
  }
  const style = getComputedStyle(element);
  const rect = element.getBoundingClientRect();
  const text = (element.getAttribute('aria-label') || element.textContent || element.value || '')
    .replace(/\s+/g, ' ').trim().slice(0, 40);
  const name = `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}` +
    `${element.className && typeof element.className === 'string' ? `.${element.className.trim().split(/\s+/).join('.')}` : ''}` +
    `${element.getAttribute('name') ? `[name=${element.getAttribute('name')}]` : ''}` +
    `${element.getAttribute('href') ? `[href=${element.getAttribute('href')}]` : ''}` +
    (text ? ` "${text}"` : '');
  return {
    none: false,
    name,
    id: element.id,
    inMain: Boolean(element.closest('main')),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    shadow: Boolean(style.boxShadow) && style.boxShadow !== 'none',
    onScreen: rect.width > 0 && rect.height > 0 && rect.right > 0 && rect.bottom > 0 &&
      rect.left < window.innerWidth && rect.top < window.innerHeight,
  };
}

/**
 * Runs in the page: horizontal overflow of the document, elements that
 * stick out past the right edge without a scrolling container of their own,
 * and elements whose overflow is hidden while their content is larger
 * (clipped text). Form fields scroll their own text and are left out.
 */
export function layoutState() {
  const root = document.documentElement;
  const viewport = root.clientWidth;
  const describe = (element) => {
    const text = (element.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 40);
    return `${element.tagName.toLowerCase()}${element.className && typeof element.className === 'string' ? `.${element.className.trim().split(/\s+/).join('.')}` : ''}${text ? ` "${text}"` : ''}`;
  };
  const scrolls = (element) => {
    for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if (overflow === 'auto' || overflow === 'scroll') return true;
    }
    return false;
  };
  const outside = [];
  const clipped = [];
  for (const element of document.body.querySelectorAll('*')) {
    if (element.matches('input, select, textarea, option')) continue;
    const style = getComputedStyle(element);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const rect = element.getBoundingClientRect();
    if (rect.width > 0 && rect.right > viewport + 1 && !scrolls(element)) {
      outside.push(`${describe(element)} ends at x=${Math.round(rect.right)}`);
    }
    const hidesX = style.overflowX === 'hidden' || style.overflowX === 'clip';
    const hidesY = style.overflowY === 'hidden' || style.overflowY === 'clip';
    if ((hidesX && element.scrollWidth > element.clientWidth + 1) ||
        (hidesY && element.scrollHeight > element.clientHeight + 1)) {
      clipped.push(describe(element));
    }
  }
  return {
    viewport,
    scrollWidth: root.scrollWidth,
    bodyFontSize: getComputedStyle(document.body).fontSize,
    outside: outside.slice(0, 8),
    clipped: clipped.slice(0, 8),
  };
}
