// The bad-extract corpus (tests/corpus/extract/, README in tests/corpus/) loaded in the built
// dashboard with `?data=`: each file shows exactly its expected error, or loads with exactly its
// expected bad-row warning and cards; data is never run as HTML; no JS dialog, console error or
// uncaught exception, ever. A 50 MiB file of seeded random bytes is made at test time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distDir, repoRoot, serve, launch, openPage } from './support.mjs';

const corpusDir = path.join(repoRoot, 'tests', 'corpus', 'extract');
const HEADER_ERROR =
  'the file is not a cinelake extract: extract header: expected columns kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes (optionally followed by budget,revenue,popularity,tmdb_vote_average,tmdb_vote_count,production_countries) but ';
const TWO_TITLES = { titles: '2', movies: '1', series: '1', mean_rating: '6.9000', votes: '25200', years: '1894-1951' };

/** Each file's exact outcome: `error` (the page's #error text) or the loaded page's state. */
const EXPECTED = {
  '01_html_page.csv': { error: `${HEADER_ERROR}found <!DOCTYPE html>` },
  '02_raw_movies_file.csv': {
    error: `${HEADER_ERROR}found id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos`,
  },
  '03_bad_rating.csv': {
    cards: TWO_TITLES,
    badRows: [
      'line 4: column rating: "11.5" is not a rating between 1.0 and 10.0',
      'line 5: column rating: "7,5" is not a rating between 1.0 and 10.0',
    ],
  },
  '04_bad_utf8.csv': { cards: TWO_TITLES, badRows: ['line 4: column title: "Caf\uFFFD" is not valid UTF-8'] },
  '05_empty.csv': { error: `${HEADER_ERROR}the file is empty` },
  '06_script_in_title.csv': {
    cards: { titles: '3', movies: '2', series: '1', mean_rating: '6.9333', votes: '25210', years: '1894-2000' },
    badRows: ['line 5: column rating: "11.5" is not a rating between 1.0 and 10.0'],
  },
  '07_bom_crlf_ok.csv': { cards: TWO_TITLES, badRows: [] },
  '08_header_only.csv': {
    cards: { titles: '0', movies: '0', series: '0', mean_rating: '', votes: '0', years: '' },
    badRows: [],
  },
  '09_wrong_header_semicolons.csv': {
    error: `${HEADER_ERROR}found kind;id;title;original_title;year;end_year;runtime_minutes;genres;rating;votes`,
  },
};

/** 50 MiB from mulberry32 seeded with 11: random bytes, not an extract. */
function garbage() {
  const bytes = Buffer.alloc(50 << 20);
  let a = 11;
  for (let i = 0; i < bytes.length; i += 4) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    bytes.writeUInt32LE((t ^ (t >>> 14)) >>> 0, i);
  }
  return bytes;
}

let site;
let browser;
let scratch;

before(async () => {
  assert.ok(fs.existsSync(path.join(distDir, 'index.html')), 'dist/index.html exists: run trunk build first');
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cinelake-e2e-corpus-'));
  fs.writeFileSync(path.join(scratch, 'garbage_50mib.csv'), garbage());
  site = await serve({ '/data/': corpusDir, '/generated/': scratch, '/': distDir });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await site?.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

/** Opens the dashboard on `url` and waits until it is ready or has failed. */
async function load(url) {
  const { page, errors } = await openPage(browser);
  const dialogs = [];
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await page.goto(`${site.url}/?data=${encodeURIComponent(url)}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, {
    timeout: 60_000,
  });
  const state = await page.evaluate(() => document.body.dataset.state);
  return { page, errors, dialogs, state };
}

/** What the page shows of the data as markup: no element may come from the file. */
function injected(page) {
  return page.evaluate(() => ({
    images: document.querySelectorAll('img').length,
    inlineScripts: document.querySelectorAll('script:not([src])').length,
    markupInHtml: document.body.innerHTML.includes('<img src=x') || document.body.innerHTML.includes('<script>alert'),
  }));
}

test('the extract corpus covers what issue 11 lists', () => {
  const files = fs.readdirSync(corpusDir).filter((f) => f.endsWith('.csv')).sort();
  assert.deepEqual(files, Object.keys(EXPECTED).sort(), 'every corpus file has an expectation here');
  for (const wanted of ['html', 'header', 'rating', 'utf8', 'empty', 'script']) {
    assert.ok(files.some((f) => f.includes(wanted)), `no ${wanted} case`);
  }
});

for (const [file, expected] of Object.entries(EXPECTED)) {
  test(`${file}: ${expected.error ? 'explained error' : 'loads with its warning'}`, async () => {
    const { page, errors, dialogs, state } = await load(`${site.url}/data/${file}`);
    if (expected.error) {
      assert.equal(state, 'error');
      assert.equal(await page.textContent('#error'), expected.error);
    } else {
      if (state !== 'ready') assert.fail(`state ${state}: ${await page.textContent('#error')}`);
      const cards = await page.evaluate(() =>
        Object.fromEntries([...document.querySelectorAll('[data-kpi]')].map((c) => [c.dataset.kpi, c.dataset.value])),
      );
      assert.deepEqual(cards, expected.cards);
      if (expected.badRows.length === 0) {
        assert.equal(await page.locator('#bad-rows').count(), 0);
      } else {
        assert.equal(await page.getAttribute('#bad-rows', 'data-count'), String(expected.badRows.length));
        assert.deepEqual(await page.locator('#bad-rows code').allTextContents(), expected.badRows);
      }
    }
    assert.deepEqual(await injected(page), { images: 0, inlineScripts: 0, markupInHtml: false });
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('50 MiB of random bytes: explained error, no dialog, no exception', async () => {
  const { page, errors, dialogs, state } = await load(`${site.url}/generated/garbage_50mib.csv`);
  assert.equal(state, 'error');
  const text = await page.textContent('#error');
  assert.ok(text.startsWith(`${HEADER_ERROR}found `), text.slice(0, 500));
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.close();
});
