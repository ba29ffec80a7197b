// End-to-end tests of the model section (issue 8) on the built site (dist/, from `trunk build
// --release`): the metric cards of both models equal core's output for a fixed dataset and seed
// (testdata/model/expected/cards.json, written and checked by core's
// `dashboard_cards_match_the_committed_expectations` test, and `cinelake model --json` run here:
// the forest is portable, so wasm and native agree), switching the seed or the model changes
// them, both are kept in the URL so a shared link reopens the same model, a filter that leaves
// too few titles shows a message instead of charts, the scatter is drawn, and nothing logs a
// console error. Needs the cinelake binary (`cargo build -p cinelake`, or CINELAKE_BIN).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distDir, repoRoot, serve, launch, openPage } from './support.mjs';

const modelDir = path.join(repoRoot, 'testdata', 'model');
const cards = JSON.parse(fs.readFileSync(path.join(modelDir, 'expected', 'cards.json'), 'utf8'));
const expected = (model, seed) => cards.cases.find((c) => c.model === model && c.seed === seed);
const targetDir = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'cinelake', 'target');
const cinelakeBin = process.env.CINELAKE_BIN || path.join(targetDir, 'debug', 'cinelake');

/** `cinelake model input.csv --model M --seed S --json`: the native computation of the cards. */
function native(model, seed) {
  const out = execFileSync(cinelakeBin, ['model', path.join(modelDir, 'input.csv'), '--model', model, '--seed', String(seed), '--json'], { encoding: 'utf8' });
  return JSON.parse(out);
}

let site;
let browser;

before(async () => {
  assert.ok(fs.existsSync(path.join(distDir, 'index.html')), 'dist/index.html exists: run trunk build first');
  site = await serve({ '/data/': modelDir, '/': distDir });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

/** Waits until the model section has finished a run (`ready` or `error`) and returns the state. */
async function settled(page) {
  await page.waitForFunction(
    () => ['ready', 'error'].includes(document.body.dataset.model),
    null,
    { timeout: 60_000 },
  );
  return page.evaluate(() => document.body.dataset.model);
}

/** Starts a new run with `action` and waits for it to finish. */
async function rerun(page, action) {
  await page.evaluate(() => { document.body.dataset.model = 'waiting'; });
  await action();
  return settled(page);
}

async function readCards(page) {
  return page.evaluate(() => {
    const section = document.querySelector('#model');
    const out = {
      model: section.dataset.model,
      seed: Number(section.dataset.seed),
      usable: Number(section.dataset.usable),
      train: Number(section.dataset.train),
      test: Number(section.dataset.test),
      metrics: {},
      baseline: {},
      improvement: {},
    };
    for (const card of document.querySelectorAll('.metric-card')) {
      const key = card.dataset.metric;
      out.metrics[key] = Number(card.dataset.value);
      out.baseline[key] = Number(card.dataset.baseline);
      out.improvement[key] = Number(card.dataset.improvement);
    }
    return out;
  });
}

function assertCards(got, want) {
  assert.ok(want, 'an expectation exists for this model and seed');
  assert.equal(got.model, want.model);
  assert.equal(got.seed, want.seed);
  assert.equal(got.usable, want.usable);
  assert.equal(got.train, want.train);
  assert.equal(got.test, want.test);
  for (const side of ['metrics', 'baseline', 'improvement']) {
    for (const key of ['mse', 'mae', 'rmse', 'r2']) {
      const [g, w] = [got[side][key], want[side][key]];
      assert.ok(Math.abs(g - w) <= 1e-9, `${want.model} seed ${want.seed} ${side}.${key}: ${g} vs ${w}`);
    }
  }
}

async function openModel(query = '') {
  const { page, errors } = await openPage(browser);
  const data = encodeURIComponent(`${site.url}/data/input.csv`);
  await page.goto(`${site.url}/?data=${data}${query}`);
  assert.equal(await settled(page), 'ready');
  return { page, errors };
}

test('cards equal core for the fixed dataset and seed; the seed and the model change them', async () => {
  const { page, errors } = await openModel('&lang=en');
  assertCards(await readCards(page), expected('linear', 42));
  const shown = await page.locator('.metric-card[data-metric=mse] .card-value').textContent();
  assert.equal(shown, expected('linear', 42).metrics.mse.toFixed(3));

  assert.equal(await rerun(page, () => page.fill('input[name=seed]', '7').then(() => page.locator('input[name=seed]').dispatchEvent('change'))), 'ready');
  const seven = await readCards(page);
  assertCards(seven, expected('linear', 7));
  assertCards(seven, native('linear', 7));
  assert.match(page.url(), /[?&]seed=7(&|$)/);

  // The forest on the same split: the same baseline, other metrics, and a progress bar on the way.
  // The forest takes milliseconds here, so the progress bar may come and go between two polls:
  // a MutationObserver records every state it had instead.
  await page.evaluate(() => {
    window.progressTexts = [];
    new MutationObserver(() => {
      const bar = document.querySelector('.model-progress');
      if (bar) window.progressTexts.push(bar.textContent);
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });
  assert.equal(await rerun(page, () => page.click('button[data-model=forest]')), 'ready');
  const progressTexts = await page.evaluate(() => window.progressTexts);
  assert.ok(progressTexts.some((t) => /trees \d+\/20/.test(t)), `progress shown per chunk: ${JSON.stringify(progressTexts)}`);
  const forest = await readCards(page);
  assert.equal(forest.model, 'forest');
  assert.match(page.url(), /[?&]model=forest(&|$)/);
  // The forest grown in wasm is the one `cinelake model --model forest` grows natively.
  assertCards(forest, native('forest', 7));
  assert.deepEqual(forest.baseline, seven.baseline);
  assert.notEqual(forest.metrics.mse, seven.metrics.mse);
  assert.ok(forest.metrics.mse < forest.baseline.mse, 'the forest beats the training mean');
  // Deterministic per seed in the browser: switching away and back gives the same numbers.
  assert.equal(await rerun(page, () => page.click('button[data-model=linear]')), 'ready');
  assert.equal(await rerun(page, () => page.click('button[data-model=forest]')), 'ready');
  assert.deepEqual(await readCards(page), forest);

  // The largest-errors table and the scatter are there, and the scatter has points on it.
  assert.equal(await page.locator('.largest-errors tbody tr').count(), 20);
  const inked = await page.evaluate(() => {
    const canvas = document.querySelector('canvas.scatter');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let blue = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 2] > data[i] + 60) blue += 1;
    return blue;
  });
  assert.ok(inked > 200, `scatter pixels drawn: ${inked}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a filter that leaves too few titles shows a message, not a chart', async () => {
  const { page, errors } = await openModel('&lang=pt-BR');
  assert.equal(await rerun(page, () => page.fill('input[name=min_votes]', '900000000').then(() => page.locator('input[name=min_votes]').dispatchEvent('change'))), 'error');
  const message = await page.locator('.model-message').textContent();
  assert.match(message, /Poucos títulos/);
  assert.ok(await page.locator('.model-body').evaluate((el) => el.classList.contains('hidden')));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the forest equals the native forest, and a shared link reopens the model and seed', async () => {
  const { page, errors } = await openModel('&model=forest&seed=42&horizon=8&lang=en');
  const got = await readCards(page);
  assertCards(got, expected('forest', 42));
  assertCards(got, native('forest', 42));
  assert.equal(await page.locator('button[data-model=forest]').getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('input[name=seed]').inputValue(), '42');
  assert.equal(await page.locator('input[name=horizon]').inputValue(), '8');
  // The default seed is left out of the URL; the model and horizon stay.
  assert.match(page.url(), /[?&]model=forest(&|$)/);
  assert.match(page.url(), /[?&]horizon=8(&|$)/);
  assert.doesNotMatch(page.url(), /[?&]seed=/);
  // Reset clears the filters, not the model.
  assert.equal(await rerun(page, () => page.fill('input[name=min_votes]', '10').then(() => page.locator('input[name=min_votes]').dispatchEvent('change'))), 'ready');
  assert.match(page.url(), /[?&]min_votes=10(&|$)/);
  assert.equal(await rerun(page, () => page.getByRole('button', { name: 'Reset' }).click()), 'ready');
  assertCards(await readCards(page), expected('forest', 42));
  assert.doesNotMatch(page.url(), /min_votes/);
  assert.match(page.url(), /[?&]model=forest(&|$)/);
  assert.deepEqual(errors, []);
  await page.close();
});
