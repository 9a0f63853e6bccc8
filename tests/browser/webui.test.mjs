// Browser test of hone's web UI: a real experiment run by the real hone binary, the UI in
// Debian's headless Chromium. Checks live updates, sorting, a trial's curve and log,
// the pictures a trial wrote to its output directory (shown, their scripts never run),
// killing a trial from the UI, that a parameter holding HTML is shown as text with no
// dialog, and writes screenshots of every page (light and dark, 1280x800 and 390x844).
//   HONE_BINARY=build/hone HONE_ARTIFACTS=out/ node --test tests/browser/webui.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, launchBrowser, startHone, stopProcess, until } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const kXss = '<img src=x onerror=alert(1)>';
const hone = process.env.HONE_BINARY;
const artifacts = process.env.HONE_ARTIFACTS || path.join(os.tmpdir(), 'hone-browser-artifacts');

let tmp;
let server;
let context;
let page;
let expId;
const dialogs = [];
const pageErrors = [];

async function api(p) {
  const res = await fetch(`${server.origin}/api/v1${p}`);
  assert.equal(res.status, 200, `GET ${p}`);
  return res.json();
}

async function goto(p) {
  await page.goto(`${server.origin}${p}`);
  await page.waitForSelector('main#page > :not(.loading)');
}

before(async () => {
  assert.ok(hone && fs.existsSync(hone), 'HONE_BINARY must name the built hone binary');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-browser-'));
  fs.mkdirSync(artifacts, { recursive: true });
  const port = await freePort();
  const log = fs.createWriteStream(path.join(artifacts, 'hone-run.log'));
  server = await startHone(hone, ['run', path.join(here, 'exp.yaml'), '--port', String(port), '--keep-ui'],
    { HONE_HOME: path.join(tmp, 'home') }, log);
  const m = /\/experiments\/([a-z0-9]+)/.exec(server.address);
  if (m) expId = m[1];
  else expId = (await api('/experiments')).experiments[0].id;

  context = await launchBrowser(path.join(tmp, 'profile'));
  page = context.pages()[0] ?? await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // The address hone printed carries the token in its fragment; it opens the overview.
  const t0 = Date.now();
  await page.goto(server.address);
  await page.waitForSelector('main#page > :not(.loading)');
  console.log(`first page in ${Date.now() - t0} ms`);
});

after(async () => {
  await context?.close().catch(() => {});
  if (server) await stopProcess(server.child);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('trials appear and change state live in the trials table without a reload', async () => {
  await goto(`/experiments/${expId}/trials?sort=seq&order=asc`);
  const rows = () => page.$$eval('#trials tbody tr[data-seq]', (rs) => rs.map((r) => `${r.dataset.seq}:${r.dataset.state}`));
  await page.evaluate(() => { window.__sameDocument = true; });
  const first = await rows();
  // A row that was not there, or a row whose state changed (a trial started or ended).
  await page.waitForFunction((seen) => [...document.querySelectorAll('#trials tbody tr[data-seq]')]
    .some((r) => !seen.includes(`${r.dataset.seq}:${r.dataset.state}`)), first, { timeout: 60000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page reloaded');
  // Until at least one trial has succeeded, seen as it happens.
  await page.waitForSelector('#trials tr[data-state="succeeded"]', { timeout: 60000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page reloaded');
  assert.notDeepEqual(await rows(), first);
});

test('the address with the token enables actions and leaves the address bar', async () => {
  await goto(`/experiments/${expId}`);
  assert.ok(!page.url().includes('token='), page.url());
  const stored = await page.evaluate(() => localStorage.getItem('hone.token'));
  assert.match(stored ?? '', /^[0-9a-f]{64}$/);
  await page.waitForFunction(() => document.querySelector('#token-btn')?.textContent?.includes('Actions on'));
});

test('a parameter holding HTML is shown as text and runs nothing', async () => {
  await goto(`/experiments/${expId}/trials?sort=seq&order=asc`);
  await page.waitForFunction((x) => document.querySelector('#trials')?.textContent?.includes(x), kXss, { timeout: 60000 });
  assert.equal(await page.locator('#trials img').count(), 0);
  const seq = (await api(`/experiments/${expId}/trials?param_eq=${encodeURIComponent(`tag:${kXss}`)}&limit=1`)).trials[0].seq;
  await goto(`/experiments/${expId}/trials/${seq}`);
  await page.waitForFunction((x) => document.querySelector('#trial-params')?.textContent?.includes(x), kXss);
  assert.equal(await page.locator('main img').count(), 0);
  await page.waitForFunction((x) => document.querySelector('#trial-log')?.textContent?.includes(x), kXss, { timeout: 30000 });
  assert.deepEqual(dialogs, []);
});

async function slowTrial() {
  return until(async () => {
    const r = await api(`/experiments/${expId}/trials?param_eq=lr:0.001&param_eq=tag:plain&state=running`);
    return r.trials[0];
  }, 90000, 'the slow trial to run');
}

test('change the concurrency from the overview', async () => {
  await slowTrial();  // the manager runs until that trial is killed
  await goto(`/experiments/${expId}`);
  const input = page.locator('#limit-trial_concurrency');
  await input.fill('3');
  await input.press('Enter');
  await until(async () => (await api(`/experiments/${expId}`)).budget.trial_concurrency === 3, 15000, 'concurrency 3');
  await page.waitForFunction(() => document.querySelector('#concurrency')?.textContent === '3', null, { timeout: 15000 });
});

test('kill a running trial from the UI', async () => {
  const slow = await slowTrial();
  await goto(`/experiments/${expId}/trials?sort=seq&order=asc&limit=50`);
  const kill = page.locator(`#trials button[data-kill="${slow.seq}"]`);
  await kill.click();
  await page.waitForFunction((s) => document.querySelector(`button[data-kill="${s}"]`)?.textContent === 'Confirm kill', slow.seq);
  await kill.click();
  await page.waitForSelector(`#trials tr[data-seq="${slow.seq}"][data-state="canceled"]`, { timeout: 30000 });
  const t = await api(`/experiments/${expId}/trials/${slow.seq}`);
  assert.equal(t.status, 'canceled');
});

test('sort the leaderboard by seq and by the final metric', async () => {
  await until(async () => (await api(`/experiments/${expId}`)).counts.succeeded >= 3, 90000, 'three succeeded trials');
  await goto(`/experiments/${expId}/trials?sort=seq&order=asc`);
  const seqs = () => page.$$eval('#trials tbody tr[data-seq]', (rs) => rs.map((r) => Number(r.dataset.seq)));
  await page.locator('button[data-sort="seq"]').click();
  await page.waitForSelector('th[aria-sort="descending"] button[data-sort="seq"]');
  await page.waitForFunction(() => {
    const s = [...document.querySelectorAll('#trials tbody tr[data-seq]')].map((r) => Number(r.dataset.seq));
    return s.length > 1 && s[0] > s[s.length - 1];
  });
  const desc = await seqs();
  assert.deepEqual(desc, [...desc].sort((a, b) => b - a));

  await page.locator('button[data-sort="final"]').click();
  await page.waitForSelector('th[aria-sort="descending"] button[data-sort="final"]');
  const finals = async () => page.$$eval('#trials tbody tr[data-seq]', (rs) => rs.map((r) => {
    const ths = [...document.querySelectorAll('#trials thead th')];
    const i = ths.findIndex((th) => th.querySelector('[data-sort="final"]'));
    return r.children[i].textContent;
  }));
  const values = (await finals()).filter((v) => v !== '—').map(Number);
  assert.ok(values.length >= 3, `finals ${values}`);
  assert.deepEqual(values, [...values].sort((a, b) => b - a));
  // The best trial's final value matches the API's.
  const best = (await api(`/experiments/${expId}`)).best;
  assert.ok(Math.abs(values[0] - best.final) < 1e-4, `${values[0]} vs ${best.final}`);
});

test('a trial shows its curve and log', async () => {
  const done = (await api(`/experiments/${expId}/trials?state=succeeded&limit=1`)).trials[0];
  await goto(`/experiments/${expId}/trials`);
  await page.locator(`#trials tr[data-seq="${done.seq}"] a`).first().click();
  await page.waitForURL(new RegExp(`/experiments/${expId}/trials/${done.seq}$`));
  await page.waitForFunction(() => Number(document.querySelector('#trial-curve')?.dataset.points) >= 15);
  await page.waitForSelector('#trial-curve canvas');
  await page.waitForFunction(() => document.querySelector('#trial-log')?.textContent?.includes('step 14 value'));
  const fin = await page.locator('#trial-final').textContent();
  assert.ok(Math.abs(Number(fin) - Number(done.final)) < 1e-4, `${fin} vs ${done.final}`);
});

test('a trial shows the pictures it wrote and their scripts never run', async () => {
  const done = await until(async () =>
    (await api(`/experiments/${expId}/trials?param_eq=tag:plain&state=succeeded&limit=1`)).trials[0], 90000,
  'a succeeded trial tagged plain');
  await goto(`/experiments/${expId}/trials/${done.seq}`);
  const img = page.locator('#trial-outputs img[alt="cell.svg"]');
  await img.waitFor({ timeout: 15000 });
  await page.waitForFunction(() => {
    const i = document.querySelector('#trial-outputs img[alt="cell.svg"]');
    return i?.complete && i.naturalWidth > 0;
  }, null, { timeout: 15000 });
  assert.equal(await img.evaluate((i) => i.naturalWidth), 120);
  const notes = page.locator('#trial-outputs a[download="notes.txt"]');
  assert.equal(await notes.count(), 1);
  const res = await fetch(`${server.origin}${await notes.getAttribute('href')}`);
  assert.equal(await res.text(), `lr ${done.params.lr}\n`);
  // Opened on its own, the SVG is a sandboxed document: its script does not run.
  const svgUrl = await img.getAttribute('src');
  const svg = await fetch(`${server.origin}${svgUrl}`);
  assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
  assert.match(svg.headers.get('content-security-policy') ?? '', /\bsandbox\b/);
  await page.goto(`${server.origin}${svgUrl}`);
  await page.waitForLoadState('load');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(dialogs, []);
});

test('overview, hyperparameters and compare pages render their data', async () => {
  await goto(`/experiments/${expId}`);
  await page.waitForSelector('#top-trials tbody tr');
  await page.waitForFunction(() => Number(document.querySelector('#best-chart')?.dataset.points) >= 1);
  const succeeded = await page.locator('#counts [data-state="succeeded"] .count-n').textContent();
  assert.ok(Number(succeeded) >= 3);

  await goto(`/experiments/${expId}/parallel`);
  await page.waitForFunction(() => Number(document.querySelector('#parallel-chart')?.dataset.points) >= 3);
  await page.selectOption('#top-filter', '20');
  await page.waitForFunction(() => Number(document.querySelector('#parallel-chart')?.dataset.points) >= 1
    && document.querySelector('#parallel-info')?.textContent?.includes('of'));

  const seqs = (await api(`/experiments/${expId}/trials?state=succeeded&limit=3`)).trials.map((t) => t.seq);
  await goto(`/experiments/${expId}/trials`);
  for (const s of seqs) await page.locator(`#trials tr[data-seq="${s}"] td.sel input`).check();
  await page.locator('#compare-btn').click();
  await page.waitForSelector('#compare-table');
  assert.equal(await page.locator('#compare-table thead th').count(), seqs.length + 1);
  await page.waitForFunction((n) => Number(document.querySelector('#compare-chart')?.dataset.series) === n, seqs.length);
});

test('screenshots of every page in both themes at desktop and phone width', async () => {
  const done = (await api(`/experiments/${expId}/trials?state=succeeded&limit=3`)).trials;
  const pages = {
    experiments: '/',
    overview: `/experiments/${expId}`,
    trials: `/experiments/${expId}/trials`,
    trial: `/experiments/${expId}/trials/${done[0].seq}`,
    parallel: `/experiments/${expId}/parallel`,
    compare: `/experiments/${expId}/compare?seqs=${done.map((t) => t.seq).join(',')}`,
  };
  const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
  const shots = path.join(artifacts, 'screenshots');
  fs.mkdirSync(shots, { recursive: true });
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => localStorage.setItem('hone.theme', t), theme);
    for (const [size, viewport] of Object.entries(sizes)) {
      await page.setViewportSize(viewport);
      for (const [name, p] of Object.entries(pages)) {
        await goto(p);
        await page.waitForLoadState('networkidle').catch(() => {});
        assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
        // Nothing but tables and the log may scroll sideways on a phone.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `${name} (${size}, ${theme}) is ${overflow}px wider than the screen`);
        await page.screenshot({ path: path.join(shots, `${name}-${theme}-${size}.png`), fullPage: true });
      }
    }
  }
});

test('hone view serves the same pages read-only', async () => {
  const port = await freePort();
  const view = await startHone(hone, ['view', expId, '--port', String(port)], { HONE_HOME: path.join(tmp, 'home') },
    fs.createWriteStream(path.join(artifacts, 'hone-view.log')), 60000, port);
  try {
    await page.goto(`${view.origin}/experiments/${expId}/trials`);
    await page.waitForSelector('#trials tbody tr[data-seq]');
    await page.waitForFunction(() => document.querySelector('#token-btn')?.textContent === 'Read-only');
    assert.equal(await page.locator('#trials button[data-kill]').count(), 0);
  } finally {
    await page.goto('about:blank');  // close the live-update stream before stopping the server
    const t0 = Date.now();
    await stopProcess(view.child);
    console.log(`hone view stopped in ${Date.now() - t0} ms`);
  }
});

test('no dialog opened and no script error on any page', () => {
  assert.deepEqual(dialogs, []);
  assert.deepEqual(pageErrors, []);
});
