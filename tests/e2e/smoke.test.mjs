// Smoke test: the built dashboard (dist/, from `trunk build --release`) loads, renders and logs no
// console error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { distDir, serve, launch, openPage } from './support.mjs';

test('the built dashboard renders without console errors', async () => {
  assert.ok(fs.existsSync(path.join(distDir, 'index.html')), 'dist/index.html exists: run trunk build first');
  const site = await serve({ '/': distDir });
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser);
    const response = await page.goto(`${site.url}/`);
    assert.equal(response.status(), 200);
    await page.waitForSelector('h1', { timeout: 30_000 });
    assert.equal((await page.textContent('h1')).trim(), 'cinelake');
    // Give late errors (wasm instantiation, failed fetches) a moment to surface.
    await page.waitForTimeout(500);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await site.close();
  }
});
