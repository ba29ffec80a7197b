// End to end: `cinelake deploy` and `cinelake publish` against SeaweedFS, read by Chromium.
//
// The site is deployed to a public-read bucket and opened from the S3 endpoint under another
// host name (site.test, mapped to 127.0.0.1 inside Chromium), so fetching the extract through the
// presigned URL (http://127.0.0.1:PORT/lake/...) is a real cross-origin request that only the data
// bucket's CORS rule (set by deploy) lets through. Then an expired link, a tampered link and an
// origin the bucket does not allow must each be explained by the page.
//
// The test starts its own SeaweedFS on free ports (the shared test server has no public-read
// bucket), with an identities file that gives the anonymous user Read on the site bucket only.
// Needs: `weed` on PATH (scripts/env.sh), dist/ (trunk build --release --locked --offline) and the
// cinelake binary (cargo build -p cinelake; or CINELAKE_BIN).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, distDir, openPage, repoRoot } from './support.mjs';

const targetDir = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/cinelake/target');
const cinelakeBin = process.env.CINELAKE_BIN || path.join(targetDir, 'debug/cinelake');
const weedBin = process.env.WEED || 'weed';

const ACCESS_KEY = 'CINELAKEE2E' + crypto.randomBytes(4).toString('hex').toUpperCase();
const SECRET_KEY = crypto.randomBytes(24).toString('base64url');
const REGION = 'us-east-1';

const EXTRACT = [
  'kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes',
  'movie,tt0000001,First Comedy,First Comedy,1990,,90,Comedy,6.5,1200',
  'movie,tt0000002,An Animation,An Animation,1995,,80,Animation;Family,7.5,5400',
  'movie,tt0000004,Later Comedy,Later Comedy,2004,,101,Comedy;Drama,5.9,31000',
  'series,tt0000003,"Both, Together",,2001,2005,25,Animation;Comedy,8.1,900',
  '',
].join('\n');
const EXTRACT_KEY = 'Refined/runs/e2e/dashboard/titles.csv';

let weed; // { proc, dir, port, endpoint }

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startWeed() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinelake-publish-e2e-'));
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(
    path.join(dir, 's3.json'),
    JSON.stringify({
      identities: [
        { name: 'lake', credentials: [{ accessKey: ACCESS_KEY, secretKey: SECRET_KEY }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] },
        // Public-read for the site bucket only: the data bucket stays private.
        { name: 'anonymous', actions: ['Read:site'] },
      ],
    }),
  );
  // Every port weed mini opens, so it never collides with the shared test server (8333, 9333, ...).
  const names = ['s3.port', 'master.port', 'master.port.grpc', 'volume.port', 'volume.port.grpc', 'filer.port',
    'filer.port.grpc', 's3.port.grpc', 'admin.port', 'admin.port.grpc'];
  const ports = {};
  for (const name of names) ports[name] = await freePort();
  const args = ['mini', `-dir=${path.join(dir, 'data')}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1',
    `-s3.config=${path.join(dir, 's3.json')}`, '-master.telemetry=false', '-admin.ui=false', '-webdav=false',
    '-s3.port.iceberg=0', '-s3.port.lance=0', ...names.map((n) => `-${n}=${ports[n]}`)];
  const log = fs.openSync(path.join(dir, 'weed.log'), 'w');
  const proc = spawn(weedBin, args, { stdio: ['ignore', log, log], detached: true });
  const spawned = new Promise((resolve, reject) => {
    proc.once('spawn', resolve);
    proc.once('error', (e) => reject(new Error(`cannot run ${weedBin} (source scripts/env.sh; scripts/bootstrap.sh installs it): ${e.message}`)));
  });
  await spawned;
  const endpoint = `http://127.0.0.1:${ports['s3.port']}`;
  weed = { proc, dir, port: ports['s3.port'], endpoint };
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${endpoint}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`SeaweedFS did not start; log:\n${fs.readFileSync(path.join(dir, 'weed.log'), 'utf8').slice(-2000)}`);
}

/** A SigV4-signed request through curl (already a dependency of scripts/s3-server.sh). */
function s3(method, pathAndQuery, body) {
  const args = ['-sS', '--aws-sigv4', `aws:amz:${REGION}:s3`, '--user', `${ACCESS_KEY}:${SECRET_KEY}`,
    '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', '-X', method, '-o', '/dev/null', '-w', '%{http_code}'];
  if (body !== undefined) args.push('--data-binary', '@-');
  args.push(`${weed.endpoint}${pathAndQuery}`);
  const status = execFileSync('curl', args, { input: body ?? '' }).toString();
  assert.match(status, /^2\d\d$/, `${method} ${pathAndQuery} answered ${status}`);
}

function cinelake(...args) {
  return execFileSync(cinelakeBin, args, {
    env: { ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_REGION: REGION, AWS_ENDPOINT_URL: weed.endpoint },
    encoding: 'utf8',
  });
}

function launchMapped() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
      '--disable-background-networking', '--disable-component-update', '--no-first-run',
      // Two more names for the same endpoint: the site's origin and one the data bucket does not allow.
      '--host-resolver-rules=MAP site.test 127.0.0.1, MAP other.test 127.0.0.1'],
  });
}

async function readManifest() {
  const response = await fetch(`${weed.endpoint}/site/manifest.json`);
  assert.equal(response.status, 200);
  return response.json();
}

/** Opens the deployed page from `host` and waits until it settles (ready or error). */
async function openSite(browser, host) {
  const { page, errors } = await openPage(browser);
  const dataResponses = [];
  page.on('response', (r) => {
    if (r.url().includes('/lake/')) dataResponses.push(r.status());
  });
  const response = await page.goto(`http://${host}:${weed.port}/site/index.html`);
  assert.equal(response.status(), 200);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60_000 });
  const state = await page.evaluate(() => document.body.dataset.state);
  return { page, errors, state, dataResponses };
}

let siteDir; // a snapshot of dist/, so a trunk build running meanwhile cannot change it under us

before(async () => {
  assert.ok(fs.existsSync(path.join(distDir, 'index.html')), 'dist/index.html exists: run trunk build --release --locked --offline first');
  siteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinelake-publish-dist-'));
  for (const file of fs.readdirSync(distDir, { withFileTypes: true })) {
    if (file.isFile() && !file.name.startsWith('.')) fs.copyFileSync(path.join(distDir, file.name), path.join(siteDir, file.name));
  }
  assert.ok(fs.existsSync(cinelakeBin), `${cinelakeBin} exists: run cargo build -p cinelake first (or set CINELAKE_BIN)`);
  await startWeed();
  s3('PUT', '/lake');
  s3('PUT', '/site');
  // A committed refine run, as `cinelake refine` leaves it: the extract and the manifest naming it.
  s3('PUT', `/lake/${EXTRACT_KEY}`, EXTRACT);
  const sha256 = crypto.createHash('sha256').update(EXTRACT).digest('hex');
  const refined = { version: 1, run_id: 'e2e', extract: { key: EXTRACT_KEY, stable_key: 'Refined/dashboard/titles.csv', rows: 4, bytes: Buffer.byteLength(EXTRACT), sha256 } };
  s3('PUT', '/lake/Refined/_manifest.json', JSON.stringify(refined));
});

after(async () => {
  if (!weed) return;
  // weed mini can take long to stop on SIGTERM: give it 3 s, then end its whole process group.
  const exited = new Promise((resolve) => {
    if (weed.proc.exitCode !== null || weed.proc.signalCode !== null) resolve();
    else weed.proc.once('exit', resolve);
  });
  const signal = (name) => {
    try {
      process.kill(-weed.proc.pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
  fs.rmSync(weed.dir, { recursive: true, force: true });
});

after(() => {
  if (siteDir) fs.rmSync(siteDir, { recursive: true, force: true });
});

test('deploy and publish: the page on the S3 endpoint reads the extract cross-origin through the presigned URL', async () => {
  const origin = `http://site.test:${weed.port}`;
  const deployed = cinelake('deploy', '--site', 's3://site', '--dist', siteDir, '--data-bucket', 's3://lake', '--origin', origin);
  assert.match(deployed, new RegExp(`cors +s3://lake allows GET, HEAD from ${origin}`));
  const published = cinelake('publish', '--lake', 's3://lake', '--site', 's3://site');
  assert.match(published, /published 4 rows/);
  assert.match(published, new RegExp(`dashboard ${weed.endpoint}/site/index.html`));
  assert.match(published, /expires +\S+Z \(in 1d\)/);

  // No deployed file and no manifest holds the secret; the manifest names only the key id.
  for (const file of fs.readdirSync(siteDir).filter((f) => f !== 'manifest.json').concat(['manifest.json'])) {
    const response = await fetch(`${weed.endpoint}/site/${file}`);
    assert.equal(response.status, 200, `${file} is public`);
    const text = Buffer.from(await response.arrayBuffer()).toString('latin1');
    assert.ok(!text.includes(SECRET_KEY), `${file} does not contain the secret access key`);
  }
  const manifest = await readManifest();
  assert.match(manifest.datasets[0].url, new RegExp(`X-Amz-Credential=${ACCESS_KEY}%2F`));
  // The data bucket itself is private.
  assert.notEqual((await fetch(`${weed.endpoint}/lake/${EXTRACT_KEY}`)).status, 200);

  const browser = await launchMapped();
  try {
    const { page, errors, state, dataResponses } = await openSite(browser, 'site.test');
    const text = await page.textContent('body');
    assert.equal(state, 'ready', `the dashboard rendered; page says: ${text.slice(0, 400)}`);
    assert.ok(dataResponses.includes(200), `the extract came from the data bucket: ${dataResponses}`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('an origin the data bucket does not allow is named by the page', async () => {
  const browser = await launchMapped();
  try {
    const { page, state } = await openSite(browser, 'other.test');
    assert.equal(state, 'error');
    const message = await page.textContent('#error');
    assert.match(message, /CORS/);
    assert.match(message, new RegExp(`must allow the origin http://other\\.test:${weed.port}`));
  } finally {
    await browser.close();
  }
});

test('a tampered link is refused by the server and explained by the page', async () => {
  const manifest = await readManifest();
  const url = manifest.datasets[0].url;
  const tampered = url.replace(/X-Amz-Signature=(.)/, (_, c) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
  assert.notEqual(tampered, url);
  const direct = await fetch(tampered);
  assert.ok(direct.status < 200 || direct.status >= 300, `tampered link answered ${direct.status}`);
  s3('PUT', '/site/manifest.json', JSON.stringify({ ...manifest, datasets: [{ ...manifest.datasets[0], url: tampered }] }));
  const browser = await launchMapped();
  try {
    const { page, state } = await openSite(browser, 'site.test');
    assert.equal(state, 'error');
    const message = await page.textContent('#error');
    assert.match(message, /the link expired or was altered/);
    assert.match(message, /cinelake publish/);
    assert.ok(!message.includes('X-Amz-Signature'), 'the message shows no signature');
  } finally {
    await browser.close();
  }
});

test('an expired manifest shows the expiry message', async () => {
  const published = cinelake('publish', '--lake', 's3://lake', '--site', 's3://site', '--expires', '1s');
  assert.match(published, /\(in 1s\)/);
  await new Promise((r) => setTimeout(r, 2500));
  const manifest = await readManifest();
  assert.ok(Date.parse(manifest.expires_at) < Date.now(), 'the manifest says its links have expired');
  const browser = await launchMapped();
  try {
    const { page, state } = await openSite(browser, 'site.test');
    assert.equal(state, 'error');
    const message = await page.textContent('#error');
    assert.match(message, /the link expired or was altered; run `cinelake publish` to make fresh links/);
  } finally {
    await browser.close();
  }
});

test('publish --gzip: the page reads the gzip-encoded copy (Content-Encoding: gzip)', async () => {
  const published = cinelake('publish', '--lake', 's3://lake', '--site', 's3://site', '--gzip');
  assert.match(published, /linked +Refined\/runs\/e2e\/dashboard\/titles\.csv\.gz/);
  const manifest = await readManifest();
  const direct = await fetch(manifest.datasets[0].url, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(direct.status, 200);
  assert.equal(direct.headers.get('content-encoding'), 'gzip');
  assert.equal(await direct.text(), EXTRACT, 'fetch decodes it to the extract');
  const browser = await launchMapped();
  try {
    const { page, errors, state } = await openSite(browser, 'site.test');
    assert.equal(state, 'ready', `page says: ${(await page.textContent('body')).slice(0, 400)}`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('the whole pipeline: ingest and refine the sample files, publish, and the page renders the refined extract', async () => {
  s3('PUT', '/pipeline');
  const samples = path.join(repoRoot, 'testdata/samples');
  cinelake('ingest', '--lake', 's3://pipeline', '--movies', path.join(samples, 'movies_sample_100.csv'),
    '--series', path.join(samples, 'series_sample_100.csv'), '--date', '2026-01-02', '--lenient');
  cinelake('refine', '--lake', 's3://pipeline');
  const deployed = cinelake('deploy', '--site', 's3://site', '--dist', siteDir, '--data-bucket', 's3://pipeline',
    '--origin', `http://site.test:${weed.port}`);
  assert.match(deployed, /cors +s3:\/\/pipeline allows GET, HEAD/);
  const published = cinelake('publish', '--lake', 's3://pipeline', '--site', 's3://site');
  const rows = Number(/published (\d+) rows/.exec(published)?.[1]);
  assert.ok(rows > 0, `the refined extract has titles: ${published}`);
  const manifest = await readManifest();
  assert.equal(manifest.datasets[0].rows, rows);
  assert.match(manifest.datasets[0].url, /\/pipeline\/Refined\/runs\/[^/]+\/dashboard\/titles\.csv\?/);
  const browser = await launchMapped();
  try {
    const { page, errors, state } = await openSite(browser, 'site.test');
    assert.equal(state, 'ready', `page says: ${(await page.textContent('body')).slice(0, 400)}`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('prune keeps the run the published site links, and publish links the kept one again', async () => {
  // After the previous test: s3://pipeline holds one run (2026-01-02), committed and published.
  const samples = path.join(repoRoot, 'testdata/samples');
  const refineDay = (date) => {
    cinelake('ingest', '--lake', 's3://pipeline', '--movies', path.join(samples, 'movies_sample_100.csv'),
      '--series', path.join(samples, 'series_sample_100.csv'), '--date', date, '--lenient');
    return /\(run ([^)]+)\)/.exec(cinelake('refine', '--lake', 's3://pipeline'))?.[1];
  };
  const linked = /\/Refined\/runs\/([^/]+)\//.exec((await readManifest()).datasets[0].url)?.[1];
  assert.ok(linked, 'the site links a run');
  const middle = refineDay('2026-01-03');
  const newest = refineDay('2026-01-04');
  assert.ok(middle && newest && new Set([linked, middle, newest]).size === 3, `three runs: ${linked} ${middle} ${newest}`);

  const planned = cinelake('prune', '--lake', 's3://pipeline', '--keep', '1', '--site', 's3://site', '--dry-run');
  assert.match(planned, new RegExp(`keep +${newest} .*\\(committed\\)`));
  assert.match(planned, new RegExp(`keep +${linked} .*\\(linked by the site\\)`));
  assert.match(planned, new RegExp(`would delete ${middle} `));
  assert.match(planned, /dry run: 1 of 3 runs would be deleted .*nothing was deleted/);

  const pruned = cinelake('prune', '--lake', 's3://pipeline', '--keep', '1', '--site', 's3://site');
  assert.match(pruned, new RegExp(`delete ${middle} `));
  assert.match(pruned, /pruned 1 of 3 runs: \d+ objects, .* deleted/);
  assert.match(cinelake('prune', '--lake', 's3://pipeline', '--keep', '1', '--site', 's3://site', '--dry-run'), /0 of 2 runs/);

  const browser = await launchMapped();
  try {
    // The published link still works: its run was kept.
    let site = await openSite(browser, 'site.test');
    assert.equal(site.state, 'ready', `page says: ${(await site.page.textContent('body')).slice(0, 400)}`);
    await site.page.close();

    // Without --site the linked run goes, and the page says the extract is not there ...
    assert.match(cinelake('prune', '--lake', 's3://pipeline', '--keep', '1'), new RegExp(`delete ${linked} `));
    site = await openSite(browser, 'site.test');
    assert.equal(site.state, 'error');
    assert.match(await site.page.textContent('#error'), /404/);
    await site.page.close();

    // ... until publish links the committed run.
    assert.match(cinelake('publish', '--lake', 's3://pipeline', '--site', 's3://site'), new RegExp(`refine run ${newest}`));
    site = await openSite(browser, 'site.test');
    assert.equal(site.state, 'ready');
    assert.deepEqual(site.errors.filter((e) => !/404/.test(e)), []);
  } finally {
    await browser.close();
  }
});
