// Smoke test: the built dashboard (dist/, from `trunk build --release`), served like the deployed
// site (index.html next to a manifest.json that points at an extract), loads, renders and logs no
// console error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distDir, serve, launch, openPage } from './support.mjs';

const EXTRACT = [
  'kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes',
  'movie,tt0000001,First Comedy,First Comedy,1990,,90,Comedy,6.5,1200',
  'movie,tt0000002,An Animation,An Animation,1995,,80,Animation;Family,7.5,5400',
  'series,tt0000003,"Both, Together",,2001,2005,25,Animation;Comedy,8.1,900',
  '',
].join('\n');

test('the built dashboard renders from a site manifest without console errors', async () => {
  assert.ok(fs.existsSync(path.join(distDir, 'index.html')), 'dist/index.html exists: run trunk build first');
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'cinelake-smoke-'));
  const manifest = path.join(data, 'manifest.json');
  fs.writeFileSync(path.join(data, 'titles.csv'), EXTRACT);
  const site = await serve({ '/manifest.json': manifest, '/data/': data, '/': distDir });
  fs.writeFileSync(
    manifest,
    JSON.stringify({
      version: 1,
      generated_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
      datasets: [
        { name: 'titles', url: `${site.url}/data/titles.csv`, rows: 3, bytes: EXTRACT.length, sha256: '' },
      ],
    }),
  );
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    const response = await page.goto(`${site.url}/`);
    assert.equal(response.status(), 200);
    await page.waitForSelector('h1', { timeout: 30_000 });
    assert.match(await page.textContent('h1'), /cinelake/);
    // Give late errors (wasm instantiation, failed fetches) a moment to surface.
    await page.waitForTimeout(1000);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await site.close();
  }
});
