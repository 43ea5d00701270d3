// The SPA end to end in a real Chromium (playwright-core, Debian's chromium)
// against wrangler dev, as a new user meets it: a fresh profile, the first
// visit mints a token, two PDFs uploaded through the file input reach
// `completed` live, a password-protected one shows its error, a big one goes
// up resumably and resumes by itself after a dropped connection, a result's chart
// and numbers match the API's report, the CSV downloads, a job is deleted, and
// a PDF whose title is markup shows it as text. Screenshots of the main screens
// go to DOCKET_SCREENSHOTS. Run by `cargo xtask test`; exits non-zero on the
// first failed check.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { check, checks, numbersPdf, paddedPdf, pagePdf, violations } from './helpers.mjs';

const base = process.env.DOCKET_URL;
const corpus = process.env.DOCKET_CORPUS;
const shots = process.env.DOCKET_SCREENSHOTS;
const browserPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
assert.ok(base && corpus && shots, 'DOCKET_URL, DOCKET_CORPUS and DOCKET_SCREENSHOTS are set by cargo xtask test');
fs.mkdirSync(shots, { recursive: true });

/** A one-page PDF with numbers, whose /Title is markup. */
function markupPdf(title) {
  return numbersPdf([`<< /Title (${title}) >>`], '/Info 6 0 R ');
}

/** A one-page PDF of 120 amounts: 60 spread as Benford's law spreads them,
 * 60 starting 47 — a spike the first-two-digits test flags. */
function spikedPdf() {
  const lines = [];
  for (let k = 0; k < 60; k++) lines.push(`Item cost ${(10 ** (1 + k / 60 + 0.004)).toFixed(2)}`);
  for (let k = 0; k < 60; k++) lines.push(`Claim paid 47${String(k).padStart(2, '0')}.10`);
  const text = `BT /F1 6 Tf 40 770 Td 6.2 TL\n${lines.map((l) => `(${l}) Tj T*`).join('\n')}\nET`;
  return pagePdf(text);
}

const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
const page = await context.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));

const shot = async (name) => page.screenshot({ path: path.join(shots, name), fullPage: true });
const row = (name) => page.locator('li.job', { hasText: name });

try {
  // First visit: a token is minted and kept; the list says how it is kept current.
  await page.goto(base);
  await page.waitForFunction(() => localStorage.getItem('docket.token')?.startsWith('dkt_'));
  await page.waitForFunction(() => document.querySelector('.mode')?.textContent === 'live updates', null, { timeout: 15000 });
  await page.getByText('No jobs yet').waitFor();
  await shot('1-first-visit.png');
  check('first visit mints a token and goes live');

  // Two PDFs and a password-protected one through the file input.
  const good = ['pdfplumber-nics-background-checks-2015-11.pdf', 'pdfplumber-senate-expenditures.pdf'];
  const locked = 'pdfplumber-password-example.pdf';
  await page.setInputFiles('input[type=file]', [...good, locked].map((f) => path.join(corpus, f)));
  for (const name of good) {
    await row(name).locator('.state-completed').waitFor({ timeout: 60000 });
  }
  await row(locked).locator('.state-error').waitFor({ timeout: 60000 });
  assert.match(await row(locked).locator('.state').textContent(), /encrypted/);
  assert.equal(await page.locator('.mode').textContent(), 'live updates');
  await shot('2-jobs.png');
  check('uploads reach completed (and error) live');

  // The result: chart and numbers against the API's report.
  const id = await row(good[0]).getAttribute('data-job');
  await row(good[0]).getByRole('button', { name: 'View result' }).click();
  await page.locator('svg.benford-chart').waitFor();
  const report = await page.evaluate(async (jobId) => {
    const token = localStorage.getItem('docket.token');
    const r = await fetch(`/api/v1/jobs/${jobId}/result`, { headers: { authorization: `Bearer ${token}` } });
    return r.json();
  }, id);
  assert.equal(await page.locator('svg.benford-chart rect.bar').count(), 9);
  const tips = await page.locator('svg.benford-chart g.bar-group title').allTextContents();
  report.benford.first_digit.counts.forEach((count, i) => {
    assert.ok(tips[i].startsWith(`digit ${i + 1}: ${count} numbers`), `${tips[i]} vs ${count}`);
  });
  const fact = async (label) =>
    page.locator('.facts dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]').textContent();
  assert.equal(await fact('Pages'), String(report.pages));
  assert.equal(await fact('Numbers found'), String(report.numbers.found));
  assert.equal(await fact('Numbers used'), String(report.numbers.used));
  assert.match(await page.locator('.verdict').textContent(), /MAD/);
  await shot('3-result.png');
  check('the result matches the API');

  // The result has its own address: a reload opens it again, back closes it,
  // forward opens it.
  assert.equal(new URL(page.url()).pathname, `/jobs/${id}`);
  await page.reload();
  await page.locator('svg.benford-chart').waitFor();
  assert.equal(await fact('Pages'), String(report.pages));
  await page.goBack();
  await page.waitForFunction(() => location.pathname === '/');
  await page.locator('svg.benford-chart').waitFor({ state: 'detached' });
  await page.goForward();
  await page.waitForFunction((jobId) => location.pathname === `/jobs/${jobId}`, id);
  await page.locator('svg.benford-chart').waitFor();
  check('a result has its own address (reload, back, forward)');

  // The CSV downloads.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  assert.ok(csv.startsWith('test,digits,count,observed,expected'), csv.slice(0, 80));
  assert.equal(download.suggestedFilename(), `docket-${id}.csv`);
  check('the CSV downloads');

  // Evidence: a flagged bucket opens its numbers, a number its page, drawn
  // with the suspects highlighted; the result is free of accessibility
  // violations (axe-core) and reachable by keyboard.
  const spiked = 'spiked-47.pdf';
  await page.setInputFiles('input[type=file]', { name: spiked, mimeType: 'application/pdf', buffer: spikedPdf() });
  await row(spiked).locator('.state-completed').waitFor({ timeout: 60000 });
  await row(spiked).getByRole('button', { name: 'View result' }).click();
  await page.locator('svg.benford-chart').waitFor();
  await page.getByText('First two digits —').click();
  const toSuspects = page.getByRole('button', { name: 'Show the numbers starting 47' });
  await toSuspects.focus();
  await page.keyboard.press('Enter');
  const bucket = page.locator('#suspects-47');
  await bucket.locator('li.place').first().waitFor();
  assert.equal(await bucket.evaluate((d) => d.open), true);
  assert.match(await bucket.locator('summary').textContent(), /Numbers starting 47: 60 of them/);
  assert.equal(await bucket.locator('li.place').count(), 10);
  assert.match(await bucket.locator('li.place').first().textContent(), /page 1: 4700\.10 — “Claim paid 4700\.10”/);
  const showPage = bucket.getByRole('button', { name: 'Show on page 1' }).first();
  await showPage.focus();
  await page.keyboard.press('Enter');
  await page.locator('svg.page-view').waitFor();
  assert.equal(await page.locator('svg.page-view rect.suspect-mark').count(), 10);
  assert.ok(await page.locator('svg.page-view text.page-line').count() >= 120);
  assert.match(await page.locator('svg.page-view').getAttribute('aria-label'), /10 of numbers starting 47 highlighted/);
  await shot('7-evidence.png');
  check('a flagged bucket opens its numbers, and a number its page with the suspects highlighted');

  // Each digit test of up to 100 bins has its chart, with the 95 % bounds.
  assert.equal(await page.locator('svg.digit-chart').count(), 4);
  const twoDigits = page.locator('svg.digit-chart[aria-label^="First two digits"]');
  assert.equal(await twoDigits.locator('rect.bar').count(), 90);
  assert.equal(await twoDigits.locator('polyline.bound-line').count(), 2);
  // The suspects download as CSV, a row per place.
  const [suspectsCsv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download the suspects (CSV)' }).click(),
  ]);
  const rows = fs.readFileSync(await suspectsCsv.path(), 'utf8').trim().split('\n');
  assert.equal(rows[0], 'kind,key,count,statistic,page,text,role,x0,y0,x1,y1,line');
  assert.equal(rows.filter((r) => r.startsWith('bucket,47,60,')).length, 10);
  check('every digit test has its chart with bounds, and the suspects download as CSV');

  const found = await violations(page);
  assert.deepEqual(found, [], `accessibility violations:\n${found.join('\n')}`);
  check('the result, its suspects and the page view have no accessibility violations (axe-core)');

  // Delete, with confirmation.
  page.once('dialog', (d) => d.accept());
  await row(locked).getByRole('button', { name: 'Delete' }).click();
  await row(locked).waitFor({ state: 'detached' });
  check('a job is deleted after confirmation');

  // Cancel a running job (117 pages, slowed to 200 ms a page by a test hook).
  const slow = 'inject-slow-pages.pdf';
  await page.setInputFiles('input[type=file]', {
    name: slow,
    mimeType: 'application/pdf',
    buffer: fs.readFileSync(path.join(corpus, 'samplefiles-GeoTopo-komprimiert.pdf')),
  });
  await row(slow).locator('.state-processing').waitFor({ timeout: 60000 });
  await row(slow).getByRole('button', { name: 'Cancel' }).click();
  await row(slow).locator('.state-cancelled').waitFor({ timeout: 15000 });
  assert.equal(await row(slow).getByRole('button', { name: 'Cancel' }).count(), 0);
  assert.equal(await row(slow).getByRole('button', { name: 'View result' }).count(), 0);
  await shot('6-cancelled.png');
  check('a running job is cancelled from its row');

  // A waiting job shows its place in the queue (its first message held 4 s
  // by a test hook), pushed by the hub, then completes.
  const held = 'inject-late-first-4000.pdf';
  await page.setInputFiles('input[type=file]', {
    name: held,
    mimeType: 'application/pdf',
    buffer: fs.readFileSync(path.join(corpus, good[1])),
  });
  await page.waitForFunction(
    (name) => [...document.querySelectorAll('li.job')]
      .some((li) => li.textContent.includes(name) && /queued · #\d+ in line · done in about/.test(li.querySelector('.state')?.textContent ?? '')),
    held,
    { timeout: 15000 },
  );
  await row(held).locator('.state-completed').waitFor({ timeout: 60000 });
  check('a waiting job shows its place in the queue');

  // A big PDF goes up resumably, in appends of 16 MiB; the second append's
  // connection drops, and the upload goes on from where the server stands.
  const bigName = 'big-resumable.pdf';
  let patches = 0;
  await page.route(/\/api\/v1\/uploads\//, async (route) => {
    if (route.request().method() === 'PATCH' && ++patches === 2) return route.abort('connectionreset');
    return route.continue();
  });
  // Every text the upload rows show is recorded as it appears: the note
  // after the resume can be gone again within a poll once the rest is sent.
  await page.evaluate(() => {
    window.uploadNotes = [];
    const list = document.querySelector('ul.uploads');
    new MutationObserver(() => {
      for (const s of list.querySelectorAll('.upload-status')) window.uploadNotes.push(s.textContent);
    }).observe(list, { subtree: true, childList: true, characterData: true });
  });
  await page.setInputFiles('input[type=file]', {
    name: bigName,
    mimeType: 'application/pdf',
    buffer: paddedPdf(3 * 8 * 1024 * 1024 + 700000),
  });
  await row(bigName).locator('.state-completed').waitFor({ timeout: 120000 });
  const notes = await page.evaluate(() => window.uploadNotes);
  assert.ok(
    notes.some((n) => n.includes('reconnecting… resumed at 16.0 MiB')),
    `the row said: ${[...new Set(notes)].filter((n) => n.includes('reconnecting')).join(' | ') || 'no reconnect'}`,
  );
  await page.unroute(/\/api\/v1\/uploads\//);
  assert.ok(patches >= 3, `${patches} appends`);
  check('a big PDF goes up resumably and resumes by itself after a dropped connection');

  // A title that is markup stays text.
  const title = '<img src=x onerror=alert(1)> <b>Q3</b> & more';
  await page.setInputFiles('input[type=file]', { name: 'markup.pdf', mimeType: 'application/pdf', buffer: markupPdf(title) });
  await row('markup.pdf').locator('.state-completed').waitFor({ timeout: 60000 });
  await row('markup.pdf').getByRole('button', { name: 'View result' }).click();
  await page.locator('.facts dt', { hasText: /^Title$/ }).waitFor();
  assert.equal(await fact('Title'), title);
  assert.equal(await page.locator('.facts img, .facts b').count(), 0);
  check('text from the PDF is shown as text');

  // Without the WebSocket (a proxy that drops it), the same events come as
  // Server-Sent Events, and the app says so.
  const noSocket = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await noSocket.routeWebSocket(/\/api\/v1\/events/, (ws) => ws.close());
  const streaming = await noSocket.newPage();
  streaming.on('pageerror', (e) => errors.push(e.message));
  await streaming.goto(base);
  await streaming.waitForFunction(() => document.querySelector('.mode')?.textContent === 'live updates (event stream)', null, { timeout: 15000 });
  await streaming.setInputFiles('input[type=file]', path.join(corpus, good[0]));
  await streaming.locator('li.job', { hasText: good[0] }).locator('.state-completed').waitFor({ timeout: 60000 });
  assert.equal(await streaming.locator('.mode').textContent(), 'live updates (event stream)');
  await noSocket.close();
  check('without a WebSocket the list follows Server-Sent Events, and says so');

  // Without either (the event stream refused too), the app polls, and says so.
  const offline = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await offline.routeWebSocket(/\/api\/v1\/events/, (ws) => ws.close());
  await offline.route(/\/api\/v1\/events\?/, (route) => route.abort());
  const polling = await offline.newPage();
  polling.on('pageerror', (e) => errors.push(e.message));
  await polling.goto(base);
  await polling.waitForFunction(() => document.querySelector('.mode')?.textContent.startsWith('polling'), null, { timeout: 15000 });
  await polling.setInputFiles('input[type=file]', path.join(corpus, good[1]));
  await polling.locator('li.job', { hasText: good[1] }).locator('.state-completed').waitFor({ timeout: 60000 });
  assert.match(await polling.locator('.mode').textContent(), /^polling/);
  await polling.screenshot({ path: path.join(shots, '5-polling.png'), fullPage: true });
  await offline.close();
  check('without a WebSocket or an event stream the list polls, and says so');

  // A phone's width.
  await page.setViewportSize({ width: 380, height: 800 });
  await shot('4-phone.png');
  assert.deepEqual(errors, [], 'no errors in the page');
  check('no page errors');
  console.log(`browser end-to-end: ${checks.length} passed, 0 failed; screenshots in ${shots}`);
} catch (e) {
  await shot('failure.png').catch(() => {});
  console.error(e);
  console.log(`browser end-to-end: ${checks.length} passed, 1 failed; screenshots in ${shots}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
