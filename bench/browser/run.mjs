// Browser benchmark: the dashboard against the same job (fetch, parse, per-year aggregates, a
// linear regression) in plain JavaScript (plain.js) and in DuckDB-WASM (duckdb.js), in the
// same run, on generated extracts of about 16k, 115k and 363k titles.
//
//   (cd bench/browser && npm ci) && trunk build --release --locked --offline
//   node bench/browser/run.mjs [--runs 5] [--sizes 16000,115000,363000] [--peers dashboard,plain,duckdb-wasm,plain-charts]
//                              [--entry data|manifest]
//
// Extracts come from core's generator through core's own test (`CINELAKE_EXTRACT_OUT`), so they
// are the titles the e2e tests check. Each run opens a fresh browser context (cold HTTP cache);
// the figure is the median over runs of the time from navigation start to the page's `ready` mark,
// with per-phase medians from performance.measure. The peers' `ready` comes after their
// regression; the dashboard draws its charts (`ready`) before it fits its model, so its
// like-for-like figure is the end of its first model run (`cinelake:model:end`: features, split,
// least squares on six features, metrics and residuals), reported as `done`.
//
// `--entry manifest` opens the dashboard the way a published site is opened: at `/`, with a
// `manifest.json` naming the extract (the peers still take `?data=`); the default is `?data=`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { distDir, repoRoot, serve, launch } from '../../tests/e2e/support.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(option('runs', '5'));
const sizes = option('sizes', '16000,115000,363000').split(',').map(Number);
// `--peers dashboard` (comma-separated names) runs only those, for an A/B of one of them.
// `plain-charts` (bench/browser/plain-charts.js: plain.js's job, then six cards and the two charts
// drawn by hand) runs only when named.
const only = option('peers', '').split(',').filter(Boolean);
const entry = option('entry', 'data');
if (!['data', 'manifest'].includes(entry)) throw new Error(`--entry ${entry}: expected data or manifest`);
const benchDir = path.join(repoRoot, 'bench', 'browser');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function generate(titles) {
  const dir = path.join(os.tmpdir(), `cinelake-bench-${titles}`);
  if (!fs.existsSync(path.join(dir, 'titles.csv'))) {
    execFileSync(
      'cargo',
      ['test', '-q', '--locked', '--offline', '-p', 'cinelake-core', '--lib', 'yearly::tests::generated_extract_aggregates_add_up', '--', '--exact'],
      { cwd: repoRoot, env: { ...process.env, CINELAKE_EXTRACT_OUT: dir, CINELAKE_EXTRACT_TITLES: String(titles) }, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  return dir;
}

/** Opens `url` in a fresh context, waits for `ready`, returns the ready time and phase durations. */
async function measure(browser, url, prefix) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error', null, { timeout: 300_000 });
  if (prefix === 'cinelake') {
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.model), null, { timeout: 300_000 });
  }
  const result = await page.evaluate((prefix) => {
    const ready = performance.getEntriesByName(`${prefix}:ready`)[0]?.startTime;
    const modelEnd = performance.getEntriesByName(`${prefix}:model:end`)[0]?.startTime;
    // When the app first asked for the data: what came before is page, script and wasm start-up.
    const fetchStart = performance.getEntriesByName(`${prefix}:fetch`, 'measure')[0]?.startTime;
    const phases = {};
    for (const m of performance.getEntriesByType('measure')) {
      const name = m.name.slice(prefix.length + 1);
      // Top-level phases only (the model's steps are in bench/model/browser.mjs).
      if (m.name.startsWith(`${prefix}:`) && !name.includes(':')) phases[name] = (phases[name] ?? 0) + m.duration;
    }
    // The dashboard's start-up marks: web/boot.js running, its bindings imported, the wasm
    // compiled and instantiated (main.rs), App mounted (boot.js again).
    const marks = Object.fromEntries(
      ['boot', 'bindings', 'main', 'started'].map((name) => [name, performance.getEntriesByName(`${prefix}:${name}`, 'mark')[0]?.startTime]),
    );
    // The peers are ready after their model (plain-charts after its charts too): `done` is `ready`.
    const done = prefix === 'cinelake' ? (modelEnd ?? ready) : ready;
    return { ready, done, startup: fetchStart, marks, phases, state: document.body.dataset.state };
  }, prefix);
  if (result.state !== 'ready' || errors.length) throw new Error(`${url}: ${result.state} ${errors}`);
  // The dashboard only: a filter change (untick Movies) → aggregate + redraw.
  if (prefix === 'cinelake') {
    await page.evaluate(() => performance.clearMeasures());
    await page.click('input[name=kind][value=movie]');
    await page.waitForFunction(() => performance.getEntriesByName('cinelake:render').length > 0);
    result.filterChange = await page.evaluate(() =>
      ['aggregate', 'render'].reduce((sum, name) => sum + performance.getEntriesByName(`cinelake:${name}`).reduce((s, m) => s + m.duration, 0), 0),
    );
  }
  await context.close();
  return result;
}

const gzip = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
const assets = fs.readdirSync(distDir).filter((f) => /\.(wasm|js)$/.test(f));
const bundle = assets.reduce((sum, f) => sum + gzip(path.join(distDir, f)), 0);
console.log(`dashboard wasm + JS: ${assets.join(', ')}: ${(bundle / 1024).toFixed(1)} KiB gzip`);
console.log(`the dashboard opened ${entry === 'manifest' ? 'at / through manifest.json' : 'with ?data='}`);

const browser = await launch();
// The site's manifest.json, rewritten for each size (`--entry manifest`).
const manifestFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cinelake-bench-site-')), 'manifest.json');
const site = await serve({ '/bench/': benchDir, '/manifest.json': manifestFile, '/': distDir });
const table = [];
try {
  for (const titles of sizes) {
    const dir = generate(titles);
    const data = await serve({ '/titles.csv': path.join(dir, 'titles.csv') });
    const dataUrl = encodeURIComponent(`${data.url}/titles.csv`);
    const manifest = { version: 1, datasets: [{ name: 'titles', url: `${data.url}/titles.csv` }] };
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    const peers = {
      dashboard: [entry === 'manifest' ? `${site.url}/` : `${site.url}/?data=${dataUrl}`, 'cinelake'],
      'plain JS': [`${site.url}/bench/plain.html?data=${dataUrl}`, 'bench'],
      // Only when asked for (`--peers ...,plain-charts`): the same job, then cards and two charts.
      'plain-charts JS': [`${site.url}/bench/plain-charts.html?data=${dataUrl}`, 'bench'],
      'DuckDB-WASM': [`${site.url}/bench/duckdb.html?data=${dataUrl}`, 'bench'],
    };
    for (const name of Object.keys(peers)) {
      const key = name.split(' ')[0].toLowerCase();
      if (only.length ? !only.includes(key) : key === 'plain-charts') delete peers[name];
    }
    const results = Object.fromEntries(Object.keys(peers).map((k) => [k, []]));
    for (let run = 0; run < runs; run++) {
      // Rotate the order so no peer always runs first (or last) on a warm machine.
      const names = Object.keys(peers);
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + run) % names.length];
        results[name].push(await measure(browser, ...peers[name]));
      }
    }
    const mb = (fs.statSync(path.join(dir, 'titles.csv')).size / 1e6).toFixed(1);
    for (const [name, rs] of Object.entries(results)) {
      const phases = Object.fromEntries(Object.keys(rs[0].phases).map((p) => [p, median(rs.map((r) => r.phases[p] ?? 0))]));
      const row = { titles, mb, peer: name, ready: median(rs.map((r) => r.ready)), done: median(rs.map((r) => r.done)), phases };
      if (rs[0].startup !== undefined) row.startup = median(rs.map((r) => r.startup));
      const markNames = Object.keys(rs[0].marks).filter((m) => rs[0].marks[m] !== undefined);
      row.marks = Object.fromEntries(markNames.map((m) => [m, median(rs.map((r) => r.marks[m]))]));
      if (rs[0].filterChange !== undefined) row.filterChange = median(rs.map((r) => r.filterChange));
      table.push(row);
      const phaseText = Object.entries(phases).map(([p, v]) => `${p} ${v.toFixed(0)}`).join(', ');
      console.log(
        `${titles} titles (${mb} MB) ${name.padEnd(12)} ready ${row.ready.toFixed(0).padStart(6)} ms  done ${row.done.toFixed(0).padStart(6)} ms  [${phaseText}]` +
          (row.startup !== undefined ? `  data asked at ${row.startup.toFixed(0)} ms` : '') +
          (markNames.length ? ` (${markNames.map((m) => `${m} ${row.marks[m].toFixed(0)}`).join(', ')})` : '') +
          (row.filterChange !== undefined ? `  filter change ${row.filterChange.toFixed(1)} ms` : ''),
      );
    }
    await data.close();
  }
} finally {
  await site.close();
  await browser.close();
}
fs.writeFileSync(path.join(os.tmpdir(), 'cinelake-bench-browser.json'), JSON.stringify({ runs, bundle, table }, null, 2));
