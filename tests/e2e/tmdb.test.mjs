// End-to-end tests of the dashboard's TMDB section on the built site (dist/): an extract with the
// optional TMDB columns shows the "titles with TMDB data" card and the budget-vs-rating chart
// with core's numbers (testdata/extract/expected_tmdb.json, written by core's
// tmdb_fixture_is_current test); a filter changes them; an extract in the base format (the ten
// columns) shows no trace of the section. Set CINELAKE_SCREENSHOT_DIR to keep screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { distDir, repoRoot, serve, launch, openPage } from './support.mjs';

const extractDir = path.join(repoRoot, 'testdata', 'extract');
const expected = JSON.parse(fs.readFileSync(path.join(extractDir, 'expected_tmdb.json'), 'utf8'));

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
  // The rest of the page is there.
  assert.ok((await page.locator('[data-kpi=titles]').count()) === 1);
  assert.deepEqual(errors, []);
  await page.close();
});
