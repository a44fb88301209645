// The browser side of tests/bats/85_browser.bats: Debian's chromium,
// headless, driven by playwright-core through nginx. One scenario per
// run (node run.mjs SCENARIO ARGS...); it prints what the bats file
// checks and exits non-zero with a message when a step fails.
//
// Environment: AUTH (http://auth.authd.test:PORT, authd's PUBLIC_URL),
// APP (http://app.authd.test:PORT, the protected app in a server block of
// its own), SHOTS (where screenshots go), STATE (a directory for a
// signed-in browser's cookies between runs). Both host names resolve to
// 127.0.0.1 inside the browser (--host-resolver-rules).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const AUTH = process.env.AUTH;
const APP = process.env.APP;
const SHOTS = process.env.SHOTS || '';
const STATE = process.env.STATE || os.tmpdir();

const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--host-resolver-rules=MAP *.authd.test 127.0.0.1',
];

function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

function check(cond, msg) {
  if (!cond) fail(msg);
}

// A fresh browser (its own --user-data-dir), optionally with the cookies
// a previous run saved under name.
async function browser(viewport, stateName) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authd-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: viewport || { width: 1280, height: 860 },
  });
  if (stateName) {
    const cookies = JSON.parse(fs.readFileSync(path.join(STATE, `${stateName}.json`)));
    await ctx.addCookies(cookies);
  }
  const page = ctx.pages()[0] || await ctx.newPage();
  page.setDefaultTimeout(15000);
  return { ctx, page, close: async () => { await ctx.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

async function saveCookies(ctx, name) {
  fs.writeFileSync(path.join(STATE, `${name}.json`), JSON.stringify(await ctx.cookies()));
}

async function signIn(page, login, password) {
  await page.fill('#username', login);
  await page.fill('#password', password);
  const [resp] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  if (new URL(page.url()).pathname === '/auth/login') {
    const req = resp.request();
    const sent = await (req.redirectedFrom() || req).allHeaders();
    console.error(`sign-in answered ${resp.status()}; sent ${JSON.stringify(sent)}`);
  }
}

const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

// Every page taken fits the window's width: no sideways scrolling on a
// phone (SPEC §9 "fit a phone screen").
async function shot(page, name) {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(over <= 0, `${name}: ${over}px wider than the window`);
  if (!SHOTS) return;
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const scenarios = {
  // Sign in through the protected app's redirect, land on the app with
  // X-User-Name, sign out, and be sent to sign-in again by the app.
  async signin(login, password, username) {
    const b = await browser();
    const { page } = b;
    let resp = await page.goto(`${APP}/dashboard?tab=1`);
    check(page.url().startsWith(`${AUTH}/auth/login?rd=`), `not sent to sign-in: ${page.url()}`);
    await signIn(page, login, password);
    check(page.url() === `${APP}/dashboard?tab=1`, `not back on the app: ${page.url()}`);
    const text = await page.textContent('body');
    const seen = JSON.parse(text);
    check(seen.service === 'demo', 'not the app');
    check(seen.user_name === username, `app got X-User-Name ${seen.user_name}`);
    console.log(`app saw user_name=${seen.user_name}`);
    await page.goto(`${AUTH}/auth/account`);
    check((await page.textContent('#who-name')).trim() === username, 'account page name');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/auth/logout"] button')]);
    check(page.url() === `${AUTH}/auth/login`, `after sign out: ${page.url()}`);
    resp = await page.goto(`${APP}/dashboard`);
    check(page.url().startsWith(`${AUTH}/auth/login?rd=`), `app not redirecting after sign out: ${page.url()}`);
    console.log('signed out: the app redirects to sign-in');
    await b.close();
  },

  // Sign in and keep the cookies for a later run.
  async keep(login, password, name) {
    const b = await browser();
    await b.page.goto(`${AUTH}/auth/login`);
    await signIn(b.page, login, password);
    check(b.page.url() === `${AUTH}/auth/account`, `sign-in failed: ${b.page.url()}`);
    const r = await b.page.goto(`${APP}/`);
    check(r.status() === 200, `app status ${r.status()}`);
    await saveCookies(b.ctx, name);
    await b.close();
  },

  // With saved cookies: the app must not be reached (authd is stopped).
  async down(name) {
    const b = await browser(DESKTOP, name);
    const r = await b.page.goto(`${APP}/secret`);
    const text = await b.page.textContent('body');
    check(!text.includes('"service":"demo"'), 'the app was reached with authd stopped');
    check(r.status() >= 500 || r.url().startsWith(`${AUTH}/auth/login`), `status ${r.status()}`);
    console.log(`authd stopped: status ${r.status()}, app not reached`);
    await b.close();
  },

  // Ask for a reset link.
  async forgot(email) {
    const b = await browser();
    await b.page.goto(`${AUTH}/auth/forgot-password`);
    await b.page.fill('#email', email);
    await Promise.all([b.page.waitForNavigation(), b.page.click('button[type=submit]')]);
    check((await b.page.textContent('main')).includes('If the email exists'), 'no confirmation');
    await b.close();
  },

  // Open the mailed reset link, set a new password, sign in with it.
  async reset(link, email, newPassword) {
    const b = await browser();
    await b.page.goto(link);
    check((await b.page.textContent('h1')).includes('new password'), 'no reset form');
    await b.page.fill('#new_password', newPassword);
    await Promise.all([b.page.waitForNavigation(), b.page.click('button[type=submit]')]);
    check((await b.page.textContent('main')).includes('Password has been reset'), 'reset failed');
    await Promise.all([b.page.waitForNavigation(), b.page.click('main a')]);
    await signIn(b.page, email, newPassword);
    check(b.page.url() === `${AUTH}/auth/account`, `sign-in with the new password failed: ${b.page.url()}`);
    console.log('signed in with the new password');
    await b.close();
  },

  // Open the mailed verification link and confirm.
  async verify(link) {
    const b = await browser();
    await b.page.goto(link);
    await Promise.all([b.page.waitForNavigation(), b.page.click('button[type=submit]')]);
    check((await b.page.textContent('main')).includes('verified'), 'not verified');
    console.log('email verified');
    await b.close();
  },

  // Two browsers signed in; the first ends the second's session on the
  // account page, then the API session apiSession when given. Prints the
  // second's cookie for validate.
  async endother(login, password, apiSession) {
    const a = await browser();
    const c = await browser();
    for (const x of [a, c]) {
      await x.page.goto(`${AUTH}/auth/login`);
      await signIn(x.page, login, password);
    }
    const other = (await c.ctx.cookies()).find((k) => k.name === 'authd_session');
    await a.page.goto(`${AUTH}/auth/account`);
    const rows = a.page.locator('li.session[data-kind=browser]');
    check(await rows.count() >= 2, 'sessions not listed');
    const row = rows.filter({ hasNot: a.page.locator('.current') }).first();
    await Promise.all([a.page.waitForNavigation(), row.locator('button').click()]);
    check(a.page.url() === `${AUTH}/auth/account`, `after ending: ${a.page.url()}`);
    await c.page.goto(`${AUTH}/auth/account`);
    check(c.page.url() === `${AUTH}/auth/login`, 'the ended browser is still signed in');
    console.log(`ended=${other.value}`);
    if (apiSession) {
      // An API session of the same user (its id given by the caller):
      // signed out from the same list; the caller checks its Bearer token.
      const api = a.page.locator('li.session[data-kind=api]').filter({
        has: a.page.locator(`input[name=session_id][value="${apiSession}"]`),
      });
      check(await api.count() === 1, 'the API session is not listed');
      await Promise.all([a.page.waitForNavigation(), api.locator('button').click()]);
      check(a.page.url() === `${AUTH}/auth/account`, `after ending the API session: ${a.page.url()}`);
      check(await a.page.locator(`input[value="${apiSession}"]`).count() === 0, 'the API session is still listed');
    }
    await a.close();
    await c.close();
  },

  // A form on another origin (the app) posting to authd with a valid
  // csrf token copied from authd's page: refused by the Origin check.
  async crossorigin(login, password) {
    const b = await browser();
    await b.page.goto(`${AUTH}/auth/login`);
    await signIn(b.page, login, password);
    await b.page.goto(`${AUTH}/auth/account`);
    const csrf = await b.page.getAttribute('input[name=csrf]', 'value');
    await b.page.goto(`${APP}/elsewhere`);
    const [resp] = await Promise.all([
      b.page.waitForNavigation(),
      b.page.evaluate(([action, token]) => {
        const f = document.createElement('form');
        f.method = 'POST';
        f.action = action;
        const i = document.createElement('input');
        i.name = 'csrf';
        i.value = token;
        f.appendChild(i);
        document.body.appendChild(f);
        f.submit();
      }, [`${AUTH}/auth/account/sessions/end-all`, csrf]),
    ]);
    check(resp.status() === 403, `cross-origin post answered ${resp.status()}`);
    await b.page.goto(`${AUTH}/auth/account`);
    check(b.page.url() === `${AUTH}/auth/account`, 'signed out by a cross-origin post');
    console.log('cross-origin form refused with 403, still signed in');
    await b.close();
  },

  // Every open-redirect form lands on /auth/account.
  async openredirect(login, password) {
    const forms = ['https://evil.example/', '//evil.example/', '/\\evil.example/',
      'javascript:alert(1)', `http://user@${new URL(AUTH).host}/`, 'http://evil.example\\@auth.authd.test/'];
    for (const rd of forms) {
      const b = await browser();
      await b.page.goto(`${AUTH}/auth/login?rd=${encodeURIComponent(rd)}`);
      await signIn(b.page, login, password);
      check(b.page.url() === `${AUTH}/auth/account`, `rd ${rd} led to ${b.page.url()}`);
      await b.close();
    }
    console.log(`${forms.length} open-redirect forms landed on /auth/account`);
  },

  // Screenshots of every page at desktop and phone widths.
  async screenshots(login, password, resetLink, verifyLink) {
    for (const [vp, suffix] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
      const b = await browser(vp);
      const { page } = b;
      await page.goto(`${AUTH}/auth/login`);
      await shot(page, `login-${suffix}`);
      await page.fill('#username', login);
      await page.fill('#password', 'wrong-password1');
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      await shot(page, `login-error-${suffix}`);
      await page.goto(`${AUTH}/auth/register`);
      await shot(page, `register-${suffix}`);
      await page.fill('#email', 'grace@localhost');
      await page.fill('#username', 'ab');
      await page.fill('#password', 'short');
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      await shot(page, `register-errors-${suffix}`);
      await page.goto(`${AUTH}/auth/forgot-password`);
      await shot(page, `forgot-password-${suffix}`);
      await page.goto(resetLink);
      await shot(page, `reset-password-${suffix}`);
      await page.goto(verifyLink);
      await shot(page, `verify-email-${suffix}`);
      await page.goto(`${AUTH}/auth/login`);
      await signIn(page, login, password);
      await shot(page, `account-${suffix}`);
      await b.close();
    }
    console.log('screenshots taken');
  },
};

const [name, ...args] = process.argv.slice(2);
if (!scenarios[name]) fail(`unknown scenario ${name}`);
try {
  await scenarios[name](...args);
} catch (e) {
  fail(`${name}: ${e.message}`);
}
