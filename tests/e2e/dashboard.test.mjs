// End-to-end tests of the yearly dashboard on the built site (dist/, from `trunk build
// --release`): cards and the exported aggregates equal core's computation (the expected files in
// testdata/extract/expected/ are written by core's `sample_extract_expectations_are_current`
// test), filters change them and the URL, errors are explained, data stays text, and nothing
// logs a console error.
import { test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { distDir, repoRoot, serve, launch, openPage } from './support.mjs';

const extractDir = path.join(repoRoot, 'testdata', 'extract');
const expectedDir = path.join(extractDir, 'expected');

/** Rows of a small CSV without quoting (the expected totals). */
function readTotals(dir = expectedDir) {
  const [header, ...lines] = fs.readFileSync(path.join(dir, 'totals.csv'), 'utf8').trim().split('\n');
  const keys = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [keys[i], v])));
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

const dataUrl = (file) => `${site.url}/data/${file}`;

/** Opens the dashboard on `file` with extra query parameters and waits for `ready`. */
async function open(file, query = '', options = {}) {
  const { page, errors } = await openPage(browser, options);
  const dialogs = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  const q = query ? `&${query}` : '';
  await page.goto(`${site.url}/?data=${encodeURIComponent(dataUrl(file))}${q}`);
  await waitForState(page, 'ready');
  return { page, errors, dialogs };
}

async function waitForState(page, state) {
  await page.waitForFunction(
    (wanted) => document.body.dataset.state === wanted || document.body.dataset.state === 'error',
    state,
    { timeout: 60_000 },
  );
  const got = await page.evaluate(() => document.body.dataset.state);
  if (got !== state) {
    const message = await page.textContent('#error').catch(() => '(no #error)');
    assert.fail(`page state ${got}, expected ${state}: ${message}`);
  }
}

/** The KPI cards' exact values (data-value). */
function cards(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-kpi]')].map((card) => [card.dataset.kpi, card.dataset.value]),
    ),
  );
}

function expectedCards(row) {
  return {
    titles: row.titles,
    movies: row.movies,
    series: row.series,
    votes: row.votes,
    mean_rating: row.mean_rating,
    years: row.years,
  };
}

/** Clicks "Export CSV" and returns the downloaded text. */
async function exportCsv(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  assert.equal(download.suggestedFilename(), 'cinelake-aggregates.csv');
  return fs.readFileSync(await download.path(), 'utf8');
}

test('cards and exported aggregates equal core for every expected scenario', async () => {
  for (const row of readTotals()) {
    const { page, errors } = await open('sample_titles.csv', row.query);
    assert.deepEqual(await cards(page), expectedCards(row), `cards, scenario ${row.scenario}`);
    const csv = await exportCsv(page);
    assert.equal(csv, fs.readFileSync(path.join(expectedDir, `${row.scenario}.csv`), 'utf8'), `csv, ${row.scenario}`);
    assert.deepEqual(errors, [], `console errors, scenario ${row.scenario}`);
    await page.close();
  }
});

test('filters change the cards, the export and the URL', async () => {
  const rows = Object.fromEntries(readTotals().map((row) => [row.scenario, row]));
  const { page, errors } = await open('sample_titles.csv');
  assert.deepEqual(await cards(page), expectedCards(rows.all));
  // Unticking "Movies" leaves the series.
  await page.click('input[name=kind][value=movie]');
  await page.waitForFunction(() => location.search.includes('kind=series'));
  assert.deepEqual(await cards(page), expectedCards(rows.series));
  assert.equal(await exportCsv(page), fs.readFileSync(path.join(expectedDir, 'series.csv'), 'utf8'));
  // Keyboard: Reset is reachable and restores everything.
  await page.focus('.filter-actions button.ghost');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !location.search.includes('kind='));
  assert.deepEqual(await cards(page), expectedCards(rows.all));
  // Year range and minimum votes through the inputs.
  await page.fill('input[name=from]', '1920');
  await page.fill('input[name=to]', '1940');
  await page.fill('input[name=min_votes]', '100');
  await page.press('input[name=min_votes]', 'Enter');
  await page.waitForFunction(() => location.search.includes('min_votes=100') && location.search.includes('to=1940'));
  assert.deepEqual(await cards(page), expectedCards(rows.years_1920_1940_min_100_votes));
  // A filter that leaves nothing says so instead of drawing empty axes.
  await page.click('input[name=genre][value=comedy]');
  await page.click('input[name=genre][value=other]');
  await page.waitForSelector('#rating-chart .empty-note:not(.hidden)');
  assert.equal((await cards(page)).titles, '0');
  assert.deepEqual(errors, []);
  await page.close();
});

test('tooltips follow the mouse and the keyboard', async () => {
  const { page, errors } = await open('sample_titles.csv');
  const box = await page.locator('#rating-chart .chart-box').boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  const tooltip = page.locator('#rating-chart .tooltip');
  await tooltip.waitFor({ state: 'visible' });
  assert.match(await tooltip.textContent(), /^\d{4}/);
  await page.mouse.move(0, 0);
  await tooltip.waitFor({ state: 'hidden' });
  await page.focus('#releases-chart .chart-box');
  await page.keyboard.press('End');
  const tip = page.locator('#releases-chart .tooltip');
  await tip.waitFor({ state: 'visible' });
  const years = (await cards(page)).years.split('-');
  assert.match(await tip.textContent(), new RegExp(`^${years[1]}`));
  await page.keyboard.press('ArrowLeft');
  assert.match(await tip.textContent(), new RegExp(`^${Number(years[1]) - 1}`));
  assert.deepEqual(errors, []);
  await page.close();
});

test('Portuguese labels and numbers, dark theme, and PNG export', async () => {
  const { page, errors } = await open('sample_titles.csv', 'lang=pt-BR&theme=dark');
  assert.equal(await page.getAttribute('html', 'lang'), 'pt-BR');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  assert.match(await page.textContent('#rating-chart h2'), /Nota média por ano/);
  const mean = await page.textContent('[data-kpi=mean_rating] .card-value');
  assert.match(mean, /^\d,\d\d$/);
  await page.click('button:has-text("EN")');
  await page.waitForFunction(() => location.search.includes('lang=en'));
  assert.match(await page.textContent('#rating-chart h2'), /Mean rating per year/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#rating-chart button.png')]);
  assert.equal(download.suggestedFilename(), 'cinelake-rating-chart.png');
  const png = fs.readFileSync(await download.path());
  assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('usable at 360 px: no horizontal scrolling', async () => {
  const { page, errors } = await open('sample_titles.csv', '', { viewport: { width: 360, height: 740 } });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `page is ${width}px wide`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('bad rows are counted and shown as text, never run', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinelake-e2e-'));
  try {
    const good = fs.readFileSync(path.join(extractDir, 'sample_titles.csv'), 'utf8');
    const evil = 'movie,tt0000001,<img src=x onerror=alert(1)>,,2000,,90,Comedy,11.5,10\nfilm,tt2,x,,2000,,1,Comedy,5.0,1\n';
    fs.writeFileSync(path.join(dir, 'bad.csv'), good + evil);
    const local = await serve({ '/bad.csv': path.join(dir, 'bad.csv'), '/': distDir });
    const { page, errors } = await openPage(browser);
    const dialogs = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss();
    });
    await page.goto(`${local.url}/?data=${encodeURIComponent(`${local.url}/bad.csv`)}`);
    await waitForState(page, 'ready');
    assert.equal(await page.getAttribute('#bad-rows', 'data-count'), '2');
    await page.click('#bad-rows summary');
    const examples = await page.locator('#bad-rows code').allTextContents();
    assert.equal(examples.length, 2);
    assert.equal(await page.locator('#bad-rows img').count(), 0);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    await page.close();
    await local.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a download in small, slow chunks parses as it arrives to the same cards and export', async () => {
  // Chunks of 97 bytes every 10 ms: records, quoted fields and CRLF pairs split anywhere.
  const body = fs.readFileSync(path.join(extractDir, 'sample_titles.csv'));
  const server = http.createServer(async (req, res) => {
    res.writeHead(200, {
      'Access-Control-Allow-Origin': '*',
      'Content-Type': 'text/csv',
      'Content-Length': body.length,
    });
    for (let at = 0; at < body.length; at += 97) {
      res.write(body.subarray(at, at + 97));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { page, errors } = await openPage(browser);
    // Every text the progress bar shows on the way, recorded as it changes.
    await page.addInitScript(() => {
      window.progressTexts = [];
      new MutationObserver(() => {
        const text = document.querySelector('.progress-text')?.textContent;
        if (text && window.progressTexts.at(-1) !== text) window.progressTexts.push(text);
      }).observe(document, { childList: true, subtree: true, characterData: true });
    });
    const url = `http://127.0.0.1:${server.address().port}/titles.csv`;
    await page.goto(`${site.url}/?data=${encodeURIComponent(url)}`);
    await waitForState(page, 'ready');
    const all = readTotals().find((row) => row.scenario === 'all');
    assert.deepEqual(await cards(page), expectedCards(all));
    assert.equal(await exportCsv(page), fs.readFileSync(path.join(expectedDir, 'all.csv'), 'utf8'));
    // Rows were counted while bytes were still arriving: parsing ran during the download.
    const texts = await page.evaluate(() => window.progressTexts);
    const during = texts.filter((t) => /Downloading ([\d.]+ \w?B) \/ /.test(t) && /\d+ rows/.test(t));
    assert.ok(
      during.some((t) => {
        const [, done, total] = t.match(/Downloading (\S+ \w?B) \/ (\S+ \w?B)/);
        return done !== total;
      }),
      `rows shown before the last byte: ${JSON.stringify(texts)}`,
    );
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server that answers every request with `status`, optionally without CORS headers. */
async function statusServer(status, { cors = true } = {}) {
  const server = http.createServer((req, res) => {
    if (cors) res.setHeader('Access-Control-Allow-Origin', '*');
    res.writeHead(status).end('<Error><Code>AccessDenied</Code></Error>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test('failures are explained: expired link, CORS, not an extract', async () => {
  const denied = await statusServer(403);
  const noCors = await statusServer(200, { cors: false });
  try {
    const cases = [
      [`${denied.url}/titles.csv?X-Amz-Expires=60&X-Amz-Signature=00ff`, /expired or was altered.*cinelake publish/],
      [`${noCors.url}/titles.csv`, new RegExp(`CORS.*${site.url.replace(/[.]/g, '\\.')}`)],
      [dataUrl('expected/totals.csv'), /not a cinelake extract/],
    ];
    for (const [url, message] of cases) {
      const { page } = await openPage(browser);
      await page.goto(`${site.url}/?data=${encodeURIComponent(url)}`);
      await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 30_000 });
      const text = await page.textContent('#error');
      assert.match(text, message);
      // The signature never reaches the page.
      assert.doesNotMatch(text, /Signature/);
      await page.close();
    }
  } finally {
    await denied.close();
    await noCors.close();
  }
});

test('the site manifest is followed when there is no ?data=', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinelake-e2e-'));
  const manifest = path.join(dir, 'manifest.json');
  const local = await serve({ '/manifest.json': manifest, '/data/': extractDir, '/': distDir });
  try {
    fs.writeFileSync(
      manifest,
      JSON.stringify({
        version: 1,
        generated_at: '2025-01-01T00:00:00Z',
        expires_at: '2025-01-08T00:00:00Z',
        datasets: [{ name: 'titles', url: `${local.url}/data/sample_titles.csv`, rows: 0, bytes: 0, sha256: '' }],
      }),
    );
    const { page, errors } = await openPage(browser);
    await page.goto(`${local.url}/`);
    await waitForState(page, 'ready');
    assert.deepEqual(await cards(page), expectedCards(readTotals()[0]));
    // web/boot.js followed the manifest to the extract before the wasm started, and the app took
    // that download instead of asking again.
    const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => m.name));
    assert.ok(marks.includes('cinelake:prefetch'), `boot.js prefetched the extract: ${marks}`);
    assert.deepEqual(
      local.requests.filter((p) => p === '/manifest.json' || p.startsWith('/data/')),
      ['/manifest.json', '/data/sample_titles.csv'],
    );
    const measures = await page.evaluate(() => performance.getEntriesByType('measure').map((m) => m.name));
    for (const phase of ['fetch', 'parse', 'aggregate', 'render']) {
      assert.ok(measures.includes(`cinelake:${phase}`), `measure ${phase} in ${measures}`);
    }
    assert.deepEqual(errors, []);
    await page.close();

    // A manifest boot.js cannot follow is explained by the app, and nothing else is fetched.
    for (const [text, message] of [
      ['{"version": 1, "datasets": [', /manifest\.json: not valid JSON/],
      ['{"version": 1, "datasets": [{"name": "titles"}]}', /manifest\.json: dataset "titles" has no "url"/],
    ]) {
      fs.writeFileSync(manifest, text);
      local.requests.length = 0;
      const broken = await openPage(browser);
      await broken.page.goto(`${local.url}/`);
      await waitForState(broken.page, 'error');
      assert.match(await broken.page.textContent('#error'), message);
      assert.deepEqual(local.requests.filter((p) => p.startsWith('/data/')), []);
      await broken.page.close();
    }
  } finally {
    // Closed whatever happened: an open server would keep the test run alive.
    await local.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without data or manifest the page offers a file picker that loads a file', async () => {
  const { page, errors } = await openPage(browser);
  // Errors for the absent manifest.json are the browser's own 404 log line, expected here.
  await page.goto(`${site.url}/`);
  await waitForState(page, 'empty');
  await page.setInputFiles('#file-input', path.join(extractDir, 'sample_titles.csv'));
  await waitForState(page, 'ready');
  assert.deepEqual(await cards(page), expectedCards(readTotals()[0]));
  assert.deepEqual(errors.filter((e) => !e.includes('404')), []);
  await page.close();
});

test('a generated extract of 100k titles: cards and exported aggregates equal core', async () => {
  // Core's own test writes the extract and its expected aggregates (the same code path as the
  // committed sample expectations, on `cinelake_core::generate` titles).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinelake-e2e-100k-'));
  try {
    execFileSync(
      'cargo',
      ['test', '-q', '--locked', '--offline', '-p', 'cinelake-core', '--lib', 'yearly::tests::generated_extract_aggregates_add_up', '--', '--exact'],
      { cwd: repoRoot, env: { ...process.env, CINELAKE_EXTRACT_OUT: dir, CINELAKE_EXTRACT_TITLES: '100000' }, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const local = await serve({ '/data/': dir, '/': distDir });
    const expected = path.join(dir, 'expected');
    for (const row of readTotals(expected)) {
      const { page, errors } = await openPage(browser);
      await page.goto(`${local.url}/?data=${encodeURIComponent(`${local.url}/data/titles.csv`)}${row.query ? `&${row.query}` : ''}`);
      await waitForState(page, 'ready');
      assert.deepEqual(await cards(page), expectedCards(row), `cards, scenario ${row.scenario}`);
      assert.equal(await exportCsv(page), fs.readFileSync(path.join(expected, `${row.scenario}.csv`), 'utf8'), `csv, ${row.scenario}`);
      assert.deepEqual(errors, [], `console errors, scenario ${row.scenario}`);
      await page.close();
    }
    await local.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
