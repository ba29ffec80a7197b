// The plain-JavaScript peer that also shows its result: after plain.js's job, the page the
// dashboard shows first, by hand — six KPI cards and its two charts on canvases (mean rating per
// year, movies and series, as lines; releases per year, stacked bars), with axes, grid, tick
// labels, axis titles and legends. No library. A yardstick for "the same visible work", next to
// plain.js's bare job (BENCHMARKS.md).
const WIDTH = 1160;
const HEIGHT = 300;
const MARGIN = { left: 56, right: 16, top: 12, bottom: 40 };
const COLORS = ['#2563eb', '#ea580c'];
const KINDS = ['Movies', 'Series'];

addEventListener('bench:job', ({ detail: { titles, cells } }) => {
  performance.mark('bench:render:start');
  const perYear = new Map();
  for (const c of cells) {
    let y = perYear.get(c.year);
    if (!y) perYear.set(c.year, (y = [{ titles: 0, sum: 0, rated: 0 }, { titles: 0, sum: 0, rated: 0 }]));
    y[c.kind].titles += c.titles;
    if (c.mean !== null) {
      y[c.kind].sum += c.mean * c.rated;
      y[c.kind].rated += c.rated;
    }
  }
  const years = [...perYear.keys()].sort((a, b) => a - b);
  const count = (k) => titles.kind.reduce((n, kind) => n + (kind === k), 0);
  let ratedSum = 0, rated = 0, votes = 0;
  for (let i = 0; i < titles.kind.length; i++) {
    votes += titles.votes[i];
    if (titles.rating[i]) { ratedSum += titles.rating[i]; rated++; }
  }
  const cards = document.createElement('section');
  for (const [label, value] of [
    ['Titles', titles.kind.length], ['Movies', count(0)], ['Series', count(1)],
    ['Mean rating', (ratedSum / 10 / rated).toFixed(2)], ['Total votes', votes.toLocaleString('en')],
    ['Years', `${years[0]}–${years[years.length - 1]}`],
  ]) {
    const card = cards.appendChild(document.createElement('div'));
    card.style.cssText = 'display:inline-block;margin:8px;padding:12px;border:1px solid #ccc;border-radius:8px;min-width:150px;font:14px sans-serif';
    card.appendChild(document.createElement('div')).textContent = label;
    const big = card.appendChild(document.createElement('strong'));
    big.style.fontSize = '24px';
    big.textContent = value;
  }
  document.body.appendChild(cards);
  const series = (pick) => [0, 1].map((k) => years.map((y) => pick(perYear.get(y)[k])));
  chart('Mean rating per year', 'Mean rating', years, series((c) => (c.rated ? c.sum / c.rated : null)), 'lines');
  chart('Releases per year', 'Titles', years, series((c) => c.titles), 'bars');
  performance.mark('bench:render:end');
  performance.measure('bench:render', 'bench:render:start', 'bench:render:end');
  performance.mark('bench:ready');
  document.body.dataset.state = 'ready';
});

function chart(title, yTitle, years, values, style) {
  const heading = document.body.appendChild(document.createElement('h2'));
  heading.textContent = title;
  heading.style.font = '600 16px sans-serif';
  const canvas = document.body.appendChild(document.createElement('canvas'));
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  const ctx = canvas.getContext('2d');
  const plotW = WIDTH - MARGIN.left - MARGIN.right, plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const flat = style === 'bars' ? years.map((_, i) => values[0][i] + values[1][i]) : values.flat().filter((v) => v !== null);
  let lo = style === 'bars' ? 0 : Math.min(...flat), hi = Math.max(...flat);
  if (hi === lo) hi = lo + 1;
  const pad = (hi - lo) * 0.05;
  if (style !== 'bars') lo -= pad;
  hi += pad;
  const x0 = years[0], x1 = years[years.length - 1] + 1;
  const x = (year) => MARGIN.left + ((year - x0) / (x1 - x0)) * plotW;
  const y = (v) => MARGIN.top + plotH - ((v - lo) / (hi - lo)) * plotH;
  ctx.font = '12px sans-serif';
  ctx.fillStyle = '#555';
  ctx.strokeStyle = '#e5e7eb';
  ctx.textAlign = 'right';
  for (let i = 0; i <= 5; i++) {
    const v = lo + ((hi - lo) * i) / 5;
    ctx.beginPath(); ctx.moveTo(MARGIN.left, y(v)); ctx.lineTo(WIDTH - MARGIN.right, y(v)); ctx.stroke();
    ctx.fillText(style === 'bars' ? Math.round(v).toString() : v.toFixed(1), MARGIN.left - 6, y(v) + 4);
  }
  ctx.textAlign = 'center';
  for (let year = Math.ceil(x0 / 20) * 20; year < x1; year += 20) ctx.fillText(String(year), x(year), HEIGHT - MARGIN.bottom + 16);
  ctx.fillText('Release year', MARGIN.left + plotW / 2, HEIGHT - 6);
  ctx.save(); ctx.translate(14, MARGIN.top + plotH / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(yTitle, 0, 0); ctx.restore();
  if (style === 'bars') {
    const w = Math.max(1, plotW / (x1 - x0) - 1);
    years.forEach((year, i) => {
      let base = 0;
      for (const k of [0, 1]) {
        ctx.fillStyle = COLORS[k];
        ctx.fillRect(x(year), y(base + values[k][i]), w, y(base) - y(base + values[k][i]));
        base += values[k][i];
      }
    });
  } else {
    for (const k of [0, 1]) {
      ctx.strokeStyle = COLORS[k];
      ctx.lineWidth = 2;
      ctx.beginPath();
      let pen = false;
      years.forEach((year, i) => {
        const v = values[k][i];
        if (v === null) { pen = false; return; }
        if (pen) ctx.lineTo(x(year) + 0.5, y(v)); else ctx.moveTo(x(year) + 0.5, y(v));
        pen = true;
      });
      ctx.stroke();
    }
  }
  ctx.textAlign = 'left';
  KINDS.forEach((name, k) => {
    ctx.fillStyle = COLORS[k];
    ctx.fillRect(WIDTH - 180 + k * 80, MARGIN.top, 10, 10);
    ctx.fillStyle = '#333';
    ctx.fillText(name, WIDTH - 166 + k * 80, MARGIN.top + 10);
  });
}
