// Model training time in Chromium (issue 8): the dashboard's linear regression and random forest on
// an extract, median of N fresh pages. Reads `document.body.dataset.modelMs` (wall time from the
// first step to the result, yields included) and `modelWorkMs` (the same without the yields).
//
//   cinelake gen --kind extract --titles 100000 --seed 42 --out /tmp/titles-100k.csv
//   trunk build --release --locked --offline
//   node bench/model/browser.mjs /tmp/titles-100k.csv [--runs 5]
import path from 'node:path';
import { distDir, serve, launch, openPage } from '../../tests/e2e/support.mjs';

const file = path.resolve(process.argv[2] ?? '');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5;

const settled = (page) => page.waitForFunction(
  () => ['ready', 'error'].includes(document.body.dataset.model), null, { timeout: 120_000 });
const times = (page) => page.evaluate(() => [Number(document.body.dataset.modelMs), Number(document.body.dataset.modelWorkMs)]);
// The last run's steps (prepare, fit, predict, assess, and the charts' redraw), from `performance`.
const STEPS = ['prepare', 'fit', 'predict', 'assess', 'render'];
const steps = (page) => page.evaluate((names) => Object.fromEntries(names.map((name) => {
  const all = performance.getEntriesByName(`cinelake:model:${name}`, 'measure');
  return [name, all.length ? all[all.length - 1].duration : NaN];
})), STEPS);
async function rerun(page, action) {
  await page.evaluate(() => { document.body.dataset.model = 'waiting'; });
  await action();
  await settled(page);
  return times(page);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const site = await serve({ '/data/titles.csv': file, '/': distDir });
const browser = await launch();
const firstSteps = [];
const rows = { 'linear, first run': [], 'linear, warm (seed 43)': [], 'forest (seed 43)': [] };
for (let i = 0; i < runs; i++) {
  const { page } = await openPage(browser);
  await page.goto(`${site.url}/?data=${encodeURIComponent(`${site.url}/data/titles.csv`)}`);
  await settled(page);
  rows['linear, first run'].push(await times(page));
  // The charts are redrawn in the next frame after the result.
  await page.waitForFunction(() => performance.getEntriesByName('cinelake:model:render', 'measure').length > 0);
  firstSteps.push(await steps(page));
  rows['linear, warm (seed 43)'].push(await rerun(page, async () => {
    await page.fill('input[name=seed]', '43');
    await page.locator('input[name=seed]').dispatchEvent('change');
  }));
  rows['forest (seed 43)'].push(await rerun(page, () => page.click('button[data-model=forest]')));
  await page.close();
}
console.log(`${file}, ${runs} runs, ms (median wall / median work):`);
for (const [name, samples] of Object.entries(rows)) {
  console.log(`  ${name}: ${median(samples.map((s) => s[0])).toFixed(1)} / ${median(samples.map((s) => s[1])).toFixed(1)}  (all wall: ${samples.map((s) => s[0].toFixed(0)).join(', ')})`);
}
console.log('  linear, first run, median per step: ' + STEPS.map((name) =>
  `${name} ${median(firstSteps.map((s) => s[name])).toFixed(1)}`).join(', '));
await browser.close();
await site.close();
