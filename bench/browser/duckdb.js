// The benchmark's DuckDB-WASM peer: the same job in SQL. Fetch the extract (?data=), load it
// with read_csv, aggregate per year × kind × genre group, fit rating ~ year (regr_slope).
import * as duckdb from './node_modules/@duckdb/duckdb-wasm/dist/duckdb-browser.mjs';

const mark = (name) => performance.mark(`bench:${name}`);
const measure = (name) => performance.measure(`bench:${name}`, `bench:${name}:start`, `bench:${name}:end`);
const dist = new URL('./node_modules/@duckdb/duckdb-wasm/dist/', location.href);

mark('init:start');
const worker = new Worker(new URL('duckdb-browser-eh.worker.js', dist));
const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
await db.instantiate(new URL('duckdb-eh.wasm', dist).href);
const conn = await db.connect();
mark('init:end'); measure('init');

const url = new URLSearchParams(location.search).get('data');
mark('fetch:start');
const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
await db.registerFileBuffer('titles.csv', bytes);
mark('fetch:end'); measure('fetch');
mark('parse:start');
await conn.query(`CREATE TABLE t AS SELECT * FROM read_csv('titles.csv', header = true, columns = {
  'kind': 'VARCHAR', 'id': 'VARCHAR', 'title': 'VARCHAR', 'original_title': 'VARCHAR', 'year': 'INTEGER',
  'end_year': 'INTEGER', 'runtime_minutes': 'INTEGER', 'genres': 'VARCHAR', 'rating': 'DOUBLE', 'votes': 'BIGINT'})`);
mark('parse:end'); measure('parse');
mark('aggregate:start');
const cells = await conn.query(`
  WITH g AS (SELECT *, list_contains(string_split(genres, ';'), 'Comedy') AS c,
                       list_contains(string_split(genres, ';'), 'Animation') AS a FROM t)
  SELECT year, kind, CASE WHEN c AND a THEN 2 WHEN c THEN 0 WHEN a THEN 1 ELSE 3 END AS grp,
         count(*) AS titles, count(rating) AS rated, avg(rating) AS mean,
         sum(rating * votes) / sum(CASE WHEN rating IS NOT NULL THEN votes END) AS weighted,
         sum(votes) AS votes
  FROM g WHERE year IS NOT NULL GROUP BY ALL ORDER BY ALL`);
mark('aggregate:end'); measure('aggregate');
mark('model:start');
const fit = (await conn.query('SELECT regr_slope(rating, year) AS slope, regr_intercept(rating, year) AS intercept FROM t')).toArray()[0];
mark('model:end'); measure('model');
const titles = (await conn.query('SELECT count(*) AS n FROM t')).toArray()[0].n;
window.benchResult = { titles: Number(titles), cells: cells.numRows, fit: { slope: fit.slope, intercept: fit.intercept } };
mark('ready');
document.body.dataset.state = 'ready';
