// Where the dashboard's time goes: one Chromium performance trace of a dashboard load, summed
// over the renderer's main thread from navigation to `cinelake:model:end` (the benchmark's
// `done`): self time per trace event (script evaluation, wasm compilation, style, layout,
// paint, GC, …), the idle time between tasks, and every task longer than 2 ms in order.
//
//   trunk build --release --locked --offline
//   node bench/browser/trace.mjs [--titles 16000] [--runs 1] [--out /tmp/cinelake-trace.json]
//
// Uses the extracts run.mjs generates (/tmp/cinelake-bench-<titles>/titles.csv). Open the
// written trace in Chromium's DevTools (Performance → Load profile) to look closer.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { distDir, serve, launch } from '../../tests/e2e/support.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const titles = Number(option('titles', '16000'));
const runs = Number(option('runs', '1'));
const out = option('out', path.join(os.tmpdir(), `cinelake-trace-${titles}.json`));
const csv = path.join(os.tmpdir(), `cinelake-bench-${titles}`, 'titles.csv');
if (!fs.existsSync(csv)) throw new Error(`${csv} is missing: run bench/browser/run.mjs --sizes ${titles} once`);

const categories = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'blink.user_timing',
  'v8',
  'v8.execute',
  'v8.wasm',
  'loading',
  'toplevel',
];

/** What kind of work a trace event is, for the breakdown by interval. */
function category(name) {
  if (name === 'wasm.CompileLazy') return 'wasm lazy compile';
  if (/^(v8\.)?wasm\./.test(name)) return 'wasm stream compile';
  if (['UpdateLayoutTree', 'Layout', 'RecalculateStyles'].includes(name)) return 'style+layout';
  if (['Paint', 'PrePaint', 'Layerize', 'Commit', 'UpdateLayer', 'PaintImage', 'CompositeLayers'].includes(name)) return 'paint+commit';
  if (/GC|Scavenge|MarkCompact/.test(name)) return 'gc';
  if (['ParseHTML', 'ParseAuthorStyleSheet'].includes(name)) return 'html+css parse';
  if (/mojo|SimpleWatcher|DocumentLoader|Resource|Navigation/i.test(name)) return 'loading+ipc';
  if (['RunTask', 'ThreadControllerImpl::RunTask'].includes(name)) return 'task (unlabelled)';
  if (/FunctionCall|callFunction|Microtask|EvaluateScript|evaluateModule|TimerFire|FireAnimationFrame|EventDispatch|BytecodeBudgetInterrupt|compile|Compile/.test(name)) return 'script (wasm + js)';
  return 'other';
}

/** Self time per event name on one thread's events (complete events, properly nested). */
function analyse(events, origin, end) {
  const slices = events
    .filter((e) => e.ph === 'X' && e.dur !== undefined && e.ts + e.dur >= origin && e.ts <= end)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = new Map();
  const tasks = [];
  const stack = [];
  // Self-time pieces [start, end, name] for the breakdown by interval.
  const pieces = [];
  const add = (name, us) => self.set(name, (self.get(name) ?? 0) + us);
  for (const e of slices) {
    while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
    const parent = stack.at(-1);
    if (parent) {
      // Charge the child's time to the child, not the parent.
      add(parent.name, -Math.min(e.dur, parent.ts + parent.dur - e.ts));
    } else {
      tasks.push({ ts: e.ts, dur: e.dur, children: new Map() });
    }
    add(e.name, e.dur);
    pieces.push({ start: e.ts, end: e.ts + e.dur, name: e.name, depth: stack.length });
    if (stack.length) {
      const task = tasks.at(-1);
      if (!['RunTask', 'ThreadControllerImpl::RunTask'].includes(e.name)) {
        const key = e.name === 'FunctionCall' || e.name === 'v8.callFunction' ? 'script' : e.name;
        if (stack.length === 1 || !task.children.has(key)) task.children.set(key, (task.children.get(key) ?? 0) + e.dur);
      }
    }
    stack.push(e);
  }
  let busy = 0;
  for (const t of tasks) busy += Math.min(t.ts + t.dur, end) - Math.max(t.ts, origin);
  return { self, tasks, busy, pieces };
}

/** Self time per category inside [from, to) (µs), and the idle time there. */
function breakdown(pieces, from, to) {
  // Each piece's self time = its span minus its direct children's spans, clipped to the window.
  const clip = (a, b) => Math.max(0, Math.min(b, to) - Math.max(a, from));
  const byCategory = new Map();
  let busy = 0;
  const stack = [];
  for (const p of pieces) {
    while (stack.length && stack.at(-1).end <= p.start) stack.pop();
    const own = clip(p.start, p.end);
    if (stack.length) {
      const parent = stack.at(-1);
      byCategory.set(category(parent.name), (byCategory.get(category(parent.name)) ?? 0) - own);
    } else busy += own;
    byCategory.set(category(p.name), (byCategory.get(category(p.name)) ?? 0) + own);
    stack.push(p);
  }
  return { byCategory, idle: to - from - busy };
}

const site = await serve({ '/': distDir });
const data = await serve({ '/titles.csv': csv });
const browser = await launch();
try {
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await browser.startTracing(page, { categories });
    await page.goto(`${site.url}/?data=${encodeURIComponent(`${data.url}/titles.csv`)}`);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.model), null, { timeout: 300_000 });
    const marks = await page.evaluate(() =>
      Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])),
    );
    const measures = await page.evaluate(() =>
      performance.getEntriesByType('measure').map((m) => [m.name, m.startTime, m.duration]),
    );
    const trace = JSON.parse((await browser.stopTracing()).toString());
    await context.close();
    fs.writeFileSync(out, JSON.stringify(trace));
    const events = trace.traceEvents;
    // The page's renderer: the process whose main thread recorded cinelake:boot.
    const boot = events.find((e) => e.name === 'cinelake:boot' && e.cat.includes('blink.user_timing'));
    const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === boot.pid && e.args.name === 'CrRendererMain');
    // Trace clock (µs) of the page's time origin.
    const origin = boot.ts - marks['cinelake:boot'] * 1000;
    const end = origin + marks['cinelake:model:end'] * 1000;
    const mainEvents = events.filter((e) => e.pid === main.pid && e.tid === main.tid);
    const { self, tasks, busy, pieces } = analyse(mainEvents, origin, end);
    const ms = (us) => (us / 1000).toFixed(1);
    console.log(`\n${titles} titles, run ${run + 1}: navigation → model:end ${ms(end - origin)} ms, main thread busy ${ms(busy)} ms, idle ${ms(end - origin - busy)} ms`);
    console.log('marks:', Object.entries(marks).map(([k, v]) => `${k.replace('cinelake:', '')} ${v.toFixed(0)}`).join(', '));
    console.log('measures:', measures.filter(([n]) => !n.includes('model:')).map(([n, s, d]) => `${n.replace('cinelake:', '')} @${s.toFixed(0)}+${d.toFixed(0)}`).join(', '));
    // Between start-up marks and phase ends: where each stretch of time went.
    const at = (name) => origin + marks[`cinelake:${name}`] * 1000;
    const stops = [['navigation', origin], ['boot.js runs', at('boot')], ['wasm started (main)', at('main')], ['App mounted', at('started')],
      ['last byte parsed', at('fetch:end')], ['charts drawn (ready)', at('ready')], ['model done', end]];
    const kinds = ['script (wasm + js)', 'wasm lazy compile', 'wasm stream compile', 'style+layout', 'paint+commit', 'gc', 'html+css parse', 'loading+ipc', 'task (unlabelled)', 'other'];
    console.log(`interval (ms): ${['span', ...kinds, 'idle'].join(' | ')}`);
    for (let i = 1; i < stops.length; i++) {
      const [from, to] = [stops[i - 1][1], stops[i][1]];
      const { byCategory, idle } = breakdown(pieces, from, to);
      console.log(`  ${stops[i - 1][0]} → ${stops[i][0]}: ${ms(to - from)} | ${kinds.map((c) => ms(byCategory.get(c) ?? 0)).join(' | ')} | ${ms(idle)}`);
    }
    console.log('self time on the main thread (ms, ≥ 1):');
    for (const [name, us] of [...self].sort((a, b) => b[1] - a[1])) if (us >= 1000) console.log(`  ${ms(us).padStart(7)}  ${name}`);
    console.log('tasks ≥ 2 ms (start ms after navigation, duration, largest inner events):');
    for (const t of tasks) {
      if (t.dur < 2000) continue;
      const inner = [...t.children].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([n, us]) => `${n} ${ms(us)}`).join(', ');
      console.log(`  @${ms(t.ts - origin).padStart(7)}  ${ms(t.dur).padStart(6)}  ${inner}`);
    }
  }
} finally {
  await browser.close();
  await site.close();
  await data.close();
}
