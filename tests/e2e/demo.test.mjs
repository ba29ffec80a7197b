// End-to-end: `cinelake demo` runs the whole pipeline on its embedded S3 endpoint, prints the
// dashboard URL, and Chromium reaches `ready` there with the refined data (fetched cross-origin
// through the presigned URL in the deployed manifest.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distDir, launch, openPage } from './support.mjs';

const targetDir = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'cinelake', 'target');
const cinelake = path.join(targetDir, 'debug', 'cinelake');

/** Starts `cinelake demo` and resolves with { url, extractRows, output, child } once it prints the URL. */
function startDemo(dir) {
  const child = spawn(cinelake, ['demo', '--dir', dir, '--dist', distDir, '--port', '0', '--titles', '3000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo printed no URL in time:\n${output}`)), 240_000);
    const onData = (chunk) => {
      output += chunk;
      const url = output.match(/cinelake dashboard: (\S+)/);
      const rows = output.match(/: (\d+) titles in the dashboard extract/);
      if (url && rows) {
        clearTimeout(timer);
        resolve({ url: url[1], extractRows: Number(rows[1]), output, child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code} before printing the URL:\n${output}`));
    });
  });
}

async function stopDemo(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

test('cinelake demo serves a dashboard that reaches ready with the refined data', async () => {
  assert.ok(fs.existsSync(cinelake), `${cinelake} exists: cargo build -p cinelake first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinelake-demo-'));
  const demo = await startDemo(dir);
  const browser = await launch();
  try {
    assert.match(demo.url, /^http:\/\/127\.0\.0\.1:\d+\/site\/index\.html$/);
    assert.ok(demo.extractRows > 0, demo.output);
    const { page, errors } = await openPage(browser);
    await page.goto(demo.url);
    await page.waitForFunction(
      () => ['ready', 'error'].includes(document.body.dataset.state),
      null,
      { timeout: 60_000 },
    );
    const state = await page.evaluate(() => document.body.dataset.state);
    assert.equal(state, 'ready', await page.textContent('body'));
    const titles = await page.evaluate(() => document.querySelector('[data-kpi=titles]')?.dataset.value);
    assert.equal(Number(titles), demo.extractRows, 'the titles card counts every row of the refined extract');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await stopDemo(demo.child);
  }

  // A second run reuses the lake: nothing is ingested or refined again.
  const again = await startDemo(dir);
  try {
    assert.match(again.output, /already present, identical: Raw\/Local\/CSV\/Movies\//);
    assert.match(again.output, /reused refine run/);
    assert.equal(again.extractRows, demo.extractRows);
  } finally {
    await stopDemo(again.child);
  }
});
