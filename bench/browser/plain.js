// The benchmark's plain-JavaScript peer: the dashboard's job written by hand, no library.
// Fetch the extract (?data=), parse its CSV (RFC 4180 quoting), aggregate per year × kind × genre
// group (titles, rated, mean, vote-weighted mean, votes), fit rating ~ year by least squares.
// plain-charts.html runs the same job and then draws what the dashboard draws first (plain-charts.js).
const mark = (name) => performance.mark(`bench:${name}`);
const measure = (name) => performance.measure(`bench:${name}`, `bench:${name}:start`, `bench:${name}:end`);

function parse(text) {
  // Columns: kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes
  const kind = [], year = [], group = [], rating = [], votes = [];
  let i = text.indexOf('\n') + 1;
  const n = text.length;
  const fields = new Array(10);
  while (i < n) {
    let f = 0;
    for (;;) {
      let value;
      if (text.charCodeAt(i) === 34) {
        let out = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          out += text.slice(i, q);
          i = q + 1;
          if (text.charCodeAt(i) === 34) { out += '"'; i++; } else break;
        }
        value = out;
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === 44 || c === 10 || c === 13) break;
          j++;
        }
        value = text.slice(i, j);
        i = j;
      }
      if (f < 10) fields[f] = value;
      f++;
      const c = text.charCodeAt(i);
      i++;
      if (c === 44) continue;
      if (c === 13 && text.charCodeAt(i) === 10) i++;
      break;
    }
    if (f !== 10) continue;
    const k = fields[0] === 'movie' ? 0 : fields[0] === 'series' ? 1 : -1;
    if (k < 0) continue;
    const g = fields[7].split(';');
    const comedy = g.includes('Comedy'), animation = g.includes('Animation');
    kind.push(k);
    year.push(fields[4] === '' ? 0 : +fields[4]);
    group.push(comedy && animation ? 2 : comedy ? 0 : animation ? 1 : 3);
    rating.push(fields[8] === '' ? 0 : Math.round(+fields[8] * 10));
    votes.push(fields[9] === '' ? 0 : +fields[9]);
  }
  return { kind, year, group, rating, votes };
}

function aggregate(t) {
  const cells = new Map();
  for (let i = 0; i < t.kind.length; i++) {
    if (t.year[i] === 0) continue;
    const key = t.year[i] * 8 + t.kind[i] * 4 + t.group[i];
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { titles: 0, rated: 0, sum: 0, wsum: 0, rvotes: 0, votes: 0 }));
    c.titles++;
    c.votes += t.votes[i];
    if (t.rating[i]) {
      c.rated++;
      c.sum += t.rating[i];
      c.wsum += t.rating[i] * t.votes[i];
      c.rvotes += t.votes[i];
    }
  }
  return [...cells.entries()].sort((a, b) => a[0] - b[0]).map(([key, c]) => ({
    year: key >> 3, kind: (key >> 2) & 1, group: key & 3, titles: c.titles, rated: c.rated, votes: c.votes,
    mean: c.rated ? c.sum / 10 / c.rated : null, weighted: c.rvotes ? c.wsum / 10 / c.rvotes : null,
  }));
}

function regression(t) {
  let n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < t.kind.length; i++) {
    if (!t.year[i] || !t.rating[i]) continue;
    const x = t.year[i], y = t.rating[i] / 10;
    n++; sx += x; sy += y; sxx += x * x; sxy += x * y;
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  return { slope, intercept: (sy - slope * sx) / n, n };
}

const url = new URLSearchParams(location.search).get('data');
mark('fetch:start');
const text = await (await fetch(url)).text();
mark('fetch:end'); measure('fetch');
mark('parse:start');
const titles = parse(text);
mark('parse:end'); measure('parse');
mark('aggregate:start');
const cells = aggregate(titles);
mark('aggregate:end'); measure('aggregate');
mark('model:start');
const fit = regression(titles);
mark('model:end'); measure('model');
window.benchResult = { titles: titles.kind.length, cells: cells.length, fit };
if (document.documentElement.hasAttribute('data-charts')) {
  // plain-charts.html: plain-charts.js lays out a page and draws the two charts, then is ready.
  dispatchEvent(new CustomEvent('bench:job', { detail: { titles, cells, fit } }));
} else {
  mark('ready');
  document.body.dataset.state = 'ready';
}
