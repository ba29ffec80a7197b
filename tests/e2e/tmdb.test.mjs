// End-to-end tests of the dashboard's TMDB section on the built site (dist/): an extract with the
// optional TMDB columns shows the "titles with TMDB data" card and the budget-vs-rating chart
// with core's numbers (testdata/extract/expected_tmdb.json, written by core's
// tmdb_fixture_is_current test); a filter changes them; an extract in the base format (the ten
// columns) shows no trace of the section. Set CINELAKE_SCREENSHOT_DIR to keep screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distDir, repoRoot, serve, launch, openPage } from './support.mjs';

const extractDir = path.join(repoRoot, 'testdata', 'extract');
const expected = JSON.parse(fs.readFileSync(path.join(extractDir, 'expected_tmdb.json'), 'utf8'));
const targetDir = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'cinelake', 'target');
const cinelakeBin = process.env.CINELAKE_BIN || path.join(targetDir, 'debug', 'cinelake');

/** `cinelake model tmdb_titles.csv [--tmdb-features] --json` (needs `cargo build -p cinelake`). */
function native(tmdbFeatures) {
  const args = ['model', path.join(extractDir, 'tmdb_titles.csv'), '--json'];
  if (tmdbFeatures) args.push('--tmdb-features');
  return JSON.parse(execFileSync(cinelakeBin, args, { encoding: 'utf8' }));
}

let site;
let browser;

before(async () => {
  assert.ok(fs.existsSync(path.join(distDir, 'index.html')), 'dist/index.html exists: run trunk build first');
  site = await serve({ '/data/': extractDir, '/': distDir });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

/** Opens the dashboard on `file` and waits until the page and the TMDB section have settled. */
async function open(file, query = '', tmdbState = 'ready') {
  const { page, errors } = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
  const q = query ? `&${query}` : '';
  await page.goto(`${site.url}/?data=${encodeURIComponent(`${site.url}/data/${file}`)}${q}`);
  await page.waitForFunction(
    (wanted) =>
      document.body.dataset.state === 'error' ||
      (document.body.dataset.state === 'ready' && document.body.dataset.tmdb === wanted),
    tmdbState,
    { timeout: 60_000 },
  );
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  return { page, errors };
}

function tmdbCards(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('#tmdb [data-kpi]')].map((card) => [card.dataset.kpi, card.dataset.value]),
    ),
  );
}

test('an extract with TMDB columns shows the TMDB card and the budget chart with core numbers', async () => {
  const { page, errors } = await open('tmdb_titles.csv');
  const cards = await tmdbCards(page);
  assert.equal(cards['tmdb-titles'], String(expected.with_tmdb));
  assert.equal(cards['tmdb-budgets'], String(expected.points));
  assert.equal(Number(cards['tmdb-correlation']).toFixed(2), expected.r);
  // The card's note counts the titles in view.
  const note = await page.textContent('[data-kpi=tmdb-titles] .card-note');
  assert.match(note, new RegExp(`of ${expected.titles.toLocaleString('en-US')} in view`));

  const chart = page.locator('#budget-chart');
  await chart.scrollIntoViewIfNeeded();
  assert.equal(await chart.getAttribute('data-points'), String(expected.points));
  const box = await chart.boundingBox();
  assert.ok(box.width > 200 && box.height > 150, `chart size ${box.width}x${box.height}`);
  // The points are painted: the plot area holds pixels of the accent colour, not only background.
  const painted = await page.evaluate(() => {
    const canvas = document.querySelector('#budget-chart');
    const context = canvas.getContext('2d');
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    const background = [data[0], data[1], data[2]];
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] !== background[0] || data[i + 1] !== background[1] || data[i + 2] !== background[2]) {
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
    }
    return colours.size;
  });
  assert.ok(painted > 20, `distinct non-background colours on the chart: ${painted}`);

  if (process.env.CINELAKE_SCREENSHOT_DIR) {
    await page.locator('#tmdb').screenshot({ path: path.join(process.env.CINELAKE_SCREENSHOT_DIR, 'tmdb-section.png') });
    await page.screenshot({ path: path.join(process.env.CINELAKE_SCREENSHOT_DIR, 'tmdb-page.png'), fullPage: true });
  }

  // Portuguese labels, same numbers.
  await page.click('button:text("PT-BR")');
  await page.waitForFunction(() => document.querySelector('#tmdb-title')?.textContent.includes('orçamentos'));
  assert.deepEqual(await tmdbCards(page), cards);
  assert.match(await page.textContent('#tmdb figcaption'), /Orçamento × nota/);
  assert.deepEqual(errors, []);
  await page.close();
});

/** Waits until the model section has finished a run and returns its state. */
async function modelSettled(page) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.model), null, { timeout: 60_000 });
  return page.evaluate(() => document.body.dataset.model);
}

/** The model section's split sizes and metric cards, with their exact numbers. */
function modelCards(page) {
  return page.evaluate(() => {
    const section = document.querySelector('#model');
    const out = { features: section.dataset.features, usable: Number(section.dataset.usable), train: Number(section.dataset.train), test: Number(section.dataset.test), metrics: {}, baseline: {}, improvement: {} };
    for (const card of document.querySelectorAll('.metric-card')) {
      out.metrics[card.dataset.metric] = Number(card.dataset.value);
      out.baseline[card.dataset.metric] = Number(card.dataset.baseline);
      out.improvement[card.dataset.metric] = Number(card.dataset.improvement);
    }
    return out;
  });
}

function assertModelCards(got, want, label) {
  for (const key of ['usable', 'train', 'test']) assert.equal(got[key], want[key], `${label}: ${key}`);
  for (const side of ['metrics', 'baseline', 'improvement']) {
    for (const key of ['mse', 'mae', 'rmse', 'r2']) {
      const [g, w] = [got[side][key], want[side][key]];
      assert.ok(Math.abs(g - w) <= 1e-9, `${label} ${side}.${key}: ${g} vs ${w}`);
    }
  }
}

test('the "use TMDB features" box changes the model cards to cinelake model --tmdb-features', async () => {
  const { page, errors } = await open('tmdb_titles.csv');
  assert.equal(await modelSettled(page), 'ready');
  const box = page.locator('#model input[name=tmdb_features]');
  assert.equal(await box.count(), 1);
  assert.equal(await box.isChecked(), false);
  const base = await modelCards(page);
  assert.equal(base.features, 'base');
  assertModelCards(base, native(false), 'base');

  await page.evaluate(() => { document.body.dataset.model = 'waiting'; });
  await box.check();
  assert.equal(await modelSettled(page), 'ready');
  const withTmdb = await modelCards(page);
  assert.equal(withTmdb.features, 'tmdb');
  const want = native(true);
  assert.equal(want.features, 'tmdb');
  assertModelCards(withTmdb, want, 'tmdb');
  assert.notEqual(withTmdb.metrics.mse, base.metrics.mse);
  assert.ok(withTmdb.usable < base.usable, 'titles without TMDB features are excluded');
  assert.match(await page.textContent('.model-summary'), new RegExp(`no TMDB feature: ${want.excluded.no_tmdb.toLocaleString('en-US')}`));
  assert.match(page.url(), /[?&]tmdb_features=1(&|$)/);
  if (process.env.CINELAKE_SCREENSHOT_DIR) {
    await page.locator('#model .panel-head').screenshot({ path: path.join(process.env.CINELAKE_SCREENSHOT_DIR, 'model-tmdb-features.png') });
  }

  // The link reopens the same view; the forest with TMDB features equals the native one too.
  const reopened = await open('tmdb_titles.csv', 'tmdb_features=1&model=forest');
  assert.equal(await modelSettled(reopened.page), 'ready');
  assert.equal(await reopened.page.locator('#model input[name=tmdb_features]').isChecked(), true);
  const forest = await modelCards(reopened.page);
  const nativeForest = JSON.parse(execFileSync(cinelakeBin, ['model', path.join(extractDir, 'tmdb_titles.csv'), '--tmdb-features', '--model', 'forest', '--json'], { encoding: 'utf8' }));
  assertModelCards(forest, nativeForest, 'tmdb forest');
  assert.deepEqual(reopened.errors, []);
  await reopened.page.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a filter applies to the TMDB figures', async () => {
  const { page, errors } = await open('tmdb_titles.csv', 'kind=series');
  const cards = await tmdbCards(page);
  // The fixture gives budgets to movies only.
  assert.equal(cards['tmdb-budgets'], '0');
  assert.ok(Number(cards['tmdb-titles']) > 0 && Number(cards['tmdb-titles']) < expected.with_tmdb, cards['tmdb-titles']);
  assert.equal(cards['tmdb-correlation'], '');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an extract in the base format has no TMDB section', async () => {
  const { page, errors } = await open('sample_titles.csv', '', 'none');
  assert.equal(await page.locator('#tmdb').count(), 0);
  assert.equal(await page.locator('#budget-chart').count(), 0);
  assert.equal(await page.locator('[data-kpi^=tmdb]').count(), 0);
  // No TMDB data, no TMDB features to offer; a link asking for them is ignored.
  assert.equal(await page.locator('input[name=tmdb_features]').count(), 0);
  // The rest of the page is there.
  assert.ok((await page.locator('[data-kpi=titles]').count()) === 1);
  assert.deepEqual(errors, []);
  await page.close();
});
