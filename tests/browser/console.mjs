// console.mjs - drives the operator's web console in Debian's headless
// Chromium through playwright-core, as an operator would: log in (a wrong
// password first), upload a CSV with an error and read the line number,
// upload a good one and land on its batch, decide an appeal, download a
// batch's results, see the workers (numbers masked, a name with markup shown
// as text). A screenshot is saved after each step.
// Run by tests/integration/console_browser.sh, which starts the daemon, makes
// the data, installs playwright-core (package.json, package-lock.json here)
// into KAZI_NODE_DIR and checks what this leaves behind against the database.
// Environment: KAZI_URL (http://127.0.0.1:PORT), KAZI_PASSWORD, KAZI_CHROMIUM
// (the browser), KAZI_NODE_DIR, KAZI_SHOTS (screenshot dir), KAZI_WORK (the
// CSV files to upload; the downloads are written there), KAZI_APPEAL (the id
// of the open appeal), KAZI_BAD_LINE (the line of the CSV's error),
// KAZI_ODD_NAME (a worker's name with markup, as stored).
// Prints "ok: ..." or "FAIL: ..." per check, "screenshot: PATH" per picture,
// and ends with "N passed, N failed". Never waits without a bound.
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.log(`FAIL: ${name} is not set`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  return v;
};
const base = env('KAZI_URL');
const password = env('KAZI_PASSWORD');
const chromiumPath = env('KAZI_CHROMIUM');
const nodeDir = env('KAZI_NODE_DIR');
const shots = env('KAZI_SHOTS');
const work = env('KAZI_WORK');
const appeal = env('KAZI_APPEAL');
const badLine = env('KAZI_BAD_LINE');
const oddName = env('KAZI_ODD_NAME');

const require = createRequire(path.join(nodeDir, 'package.json'));
const { chromium } = require('playwright-core');

let passed = 0;
let failed = 0;
const check = (cond, what) => {
  if (cond) {
    passed++;
    console.log(`ok: ${what}`);
  } else {
    failed++;
    console.log(`FAIL: ${what}`);
  }
};

let shotNo = 0;
const shoot = async (page, name) => {
  shotNo++;
  const file = path.join(shots, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
};

// The text of the first element matching sel, or '' when there is none.
const textOf = async (page, sel) => {
  const loc = page.locator(sel).first();
  return (await loc.count()) ? (await loc.innerText()).trim() : '';
};

const pathOf = (page) => new URL(page.url()).pathname;

async function login(page) {
  const resp = await page.goto(`${base}/`);
  check(resp && resp.ok(), `GET / answered (status ${resp && resp.status()})`);
  check(pathOf(page) === '/login', `without a login / leads to /login (at ${page.url()})`);
  check(await page.locator('#login #password').count() === 1, 'the login form has #password');
  await shoot(page, 'login');

  await page.fill('#password', 'not the password');
  await Promise.all([page.waitForLoadState(), page.click('#login-submit')]);
  check(pathOf(page) === '/login', 'a wrong password stays on /login');
  check((await textOf(page, '#errors')).length > 0, 'a wrong password shows an error');
  const cookies = await page.context().cookies();
  check(!cookies.some((c) => c.name === 'kazi_session'), 'a wrong password gets no session cookie');
  await shoot(page, 'login-wrong');

  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${base}/`), page.click('#login-submit')]);
  check(pathOf(page) === '/', `the right password leads to the dashboard (at ${page.url()})`);
  check(await page.locator('#summary').count() === 1, 'the dashboard shows #summary');
  check(await page.locator('#nav').count() === 1, 'the page has the navigation');
  const session = (await page.context().cookies()).find((c) => c.name === 'kazi_session');
  check(session && session.httpOnly, 'the session cookie is HttpOnly');
  check(session && session.sameSite === 'Strict', 'the session cookie is SameSite=Strict');
  check(session && session.path === '/', 'the session cookie has Path=/');
  check(await page.evaluate(() => document.cookie.includes('kazi_session')) === false,
    'the page\'s script cannot read the session cookie');
  await shoot(page, 'dashboard');
}

async function uploadBad(page) {
  await page.goto(`${base}/batches`);
  check(await page.locator('#upload').count() === 1, 'the batches page has the upload form');
  await page.setInputFiles('#file', path.join(work, 'bad.csv'));
  await page.fill('#batch', 'broken');
  await page.fill('#requester', 'Acme');
  await Promise.all([page.waitForLoadState(), page.click('#upload-submit')]);
  const errors = await textOf(page, '#errors');
  check(errors.length > 0, 'an upload with an error shows #errors');
  check(new RegExp(`line ${badLine}\\b`).test(errors), `the error names line ${badLine}: ${errors}`);
  check(await page.locator('#errors li').count() >= 1, 'each error is a list item');
  check(await page.inputValue('#batch') === 'broken', 'the form keeps what was typed');
  await shoot(page, 'upload-error');
}

async function uploadGood(page) {
  await page.goto(`${base}/batches`);
  await page.setInputFiles('#file', path.join(work, 'good.csv'));
  await page.fill('#batch', 'roads');
  await page.fill('#requester', 'County roads office');
  await page.fill('#reward', '4');
  await Promise.all([page.waitForURL(/\/batches\/roads/), page.click('#upload-submit')]);
  check(pathOf(page) === '/batches/roads', `a good upload leads to the batch (at ${page.url()})`);
  const notice = await textOf(page, '#notice');
  check(/3 tasks added/.test(notice), `the notice counts the tasks: ${notice}`);
  check((await textOf(page, '#info-requester')).includes('County roads office'),
    'the batch page names the requester');
  check((await textOf(page, '#info-tasks')).includes('3'), 'the batch page counts 3 tasks');
  await shoot(page, 'batch');
  await page.goto(`${base}/batches`);
  check(await page.locator('#batch-roads').count() === 1, 'the batch list has the new batch');
  check(await page.locator('#batch-broken').count() === 0, 'the refused upload made no batch');
  await shoot(page, 'batches');
}

async function decideAppeal(page) {
  await page.goto(`${base}/appeals`);
  check(await page.locator(`#appeal-${appeal}`).count() === 1, `appeal ${appeal} is listed`);
  const row = await textOf(page, `#appeal-${appeal}`);
  check(!row.includes('+254711000001'), 'the worker\'s number is masked in the list');
  await shoot(page, 'appeals');
  await page.fill(`#note-${appeal}`, 'Checked the photo again: the shop was open.');
  await Promise.all([page.waitForURL(/decided=/), page.click(`#overturn-${appeal}`)]);
  const notice = await textOf(page, '#notice');
  check(notice.includes(`Appeal ${appeal} overturned`), `the decision is shown: ${notice}`);
  check(await page.locator(`#appeal-${appeal}`).count() === 0, 'the appeal left the open list');
  check(await page.locator(`#decided-${appeal}`).count() === 1, 'it is among the decided');
  await shoot(page, 'appeal-decided');
}

async function download(page, batch) {
  await page.goto(`${base}/batches/${batch}`);
  check(await page.locator('#results-link').count() === 1, `batch ${batch} has a results link`);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#results-link')]);
  const file = path.join(work, `downloaded-${batch}.csv`);
  await dl.saveAs(file);
  check(fs.existsSync(file) && fs.statSync(file).size > 0, `results of ${batch} downloaded`);
  console.log(`download: ${file}`);
  await shoot(page, `results-${batch}`);
}

// Workers: numbers masked until asked for; a name with markup (made by the
// script) shows as text and adds no element to the page.
async function workers(page) {
  await page.goto(`${base}/workers`);
  const text = await textOf(page, '#workers');
  check(text.includes(oddName), `the name with markup shows as text: ${oddName} in ${text}`);
  check(await page.locator('main img, main script, main iframe').count() === 0,
    'no element came from data');
  check(!text.includes('+254722000002') && text.includes('****'), 'numbers are masked');
  await shoot(page, 'workers');
  await Promise.all([page.waitForURL(/full=1/), page.click('#show-numbers')]);
  check((await textOf(page, '#workers')).includes('+254722000002'), 'asked for, numbers show in full');
  await shoot(page, 'workers-full');
}

async function logout(page) {
  await Promise.all([page.waitForURL(/\/login/), page.click('#logout-submit')]);
  check(pathOf(page) === '/login', 'logging out leads to /login');
  await page.goto(`${base}/appeals`);
  check(pathOf(page) === '/login', 'after logging out the console needs a login again');
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  timeout: 30000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // A phone-width window: the console must be usable there.
  const context = await browser.newContext({ viewport: { width: 412, height: 915 },
    acceptDownloads: true });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  // No dialog may ever open: one would mean script from data ran.
  page.on('dialog', async (d) => {
    check(false, `a dialog opened: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  const steps = [['login', login], ['upload with an error', uploadBad],
    ['good upload', uploadGood], ['appeal', decideAppeal],
    ['download shops', (p) => download(p, 'shops')],
    ['download roads', (p) => download(p, 'roads')], ['workers', workers], ['logout', logout]];
  for (const [name, step] of steps) {
    try {
      await step(page);
    } catch (e) {
      check(false, `step '${name}' threw: ${String(e.message || e).split('\n')[0]}`);
      await shoot(page, `error-${name.replace(/ /g, '-')}`).catch(() => {});
    }
  }
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
