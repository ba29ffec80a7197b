// Opens the demo's dashboard URL in headless Chromium and fails unless it reaches `ready`.
// Usage: node ready.mjs PLAYWRIGHT_CORE_DIR URL
import { createRequire } from 'node:module';
const [playwrightDir, url] = process.argv.slice(2);
const { chromium } = createRequire(import.meta.url)(playwrightDir);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, {
    timeout: 120_000,
  });
  const state = await page.evaluate(() => document.body.dataset.state);
  const titles = await page.locator('.card').first().innerText().catch(() => '?');
  if (state !== 'ready') throw new Error(`dashboard state is ${state}`);
  console.error(`  dashboard ready at ${url} (${titles.replace(/\s+/g, ' ')})`);
} finally {
  await browser.close();
}
