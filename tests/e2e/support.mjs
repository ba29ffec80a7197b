// Shared helpers for the end-to-end tests: a static file server on loopback and a Chromium launcher.
//
// playwright-core lives in tools/node_modules (pinned by tools/package-lock.json) and drives Debian's
// /usr/bin/chromium: it never downloads a browser.
import { createRequire } from 'node:module';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(new URL('../../tools/package.json', import.meta.url));
export const { chromium } = require('playwright-core');

export const repoRoot = path.resolve(new URL('../..', import.meta.url).pathname);
export const distDir = process.env.CINELAKE_DIST || path.join(repoRoot, 'dist');

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Serves `routes` on 127.0.0.1 at a free port: a URL path prefix maps to a folder, or an exact URL
 * path maps to a file.
 * Returns { url, requests, close }: `requests` lists the paths asked for, in order. Answers CORS
 * so pages on other origins can fetch test data.
 */
export async function serve(routes) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    requests.push(url.pathname);
    const prefix = Object.keys(routes)
      .sort((a, b) => b.length - a.length)
      .find((p) => url.pathname.startsWith(p));
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (prefix === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    const target = path.resolve(routes[prefix]);
    let file;
    if (fs.existsSync(target) && fs.statSync(target).isFile()) {
      file = url.pathname === prefix ? target : '';
    } else {
      let rel = decodeURIComponent(url.pathname.slice(prefix.length));
      if (rel === '' || rel.endsWith('/')) rel += 'index.html';
      file = path.resolve(target, rel);
      if (!file.startsWith(target + path.sep)) file = '';
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': contentTypes[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': fs.statSync(file).size,
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    // Open keep-alive connections (a page a failed test left open) would hold the close forever.
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

/** Launches headless Chromium with the flags this machine needs (root, no GPU, closed network). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** Opens a page that records console errors and uncaught exceptions into `errors`. */
export async function openPage(browser, { viewport = { width: 1280, height: 900 } } = {}) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return { page, errors };
}
