#!/usr/bin/env node
// Time to first render of the web UI's leaderboard in headless Chromium.
//
//   node bench/webui/first_render.mjs --hone build/hone --home HONE_HOME [--exp ID]
//        [--runs 10] [--out bench/webui/out/first_render.json]
//   node bench/webui/first_render.mjs --hone build/hone --generate 100000 [--steps 100]
//
// HONE_HOME holds a generated experiment (bench/webui/run with BENCH_WEBUI_HOME set
// keeps one). --generate N makes one with the same generator (hone_bench_webui beside
// hone, in <build>/bench/webui) in --home, or in a temporary HONE_HOME removed at the
// end. The script starts
// `hone webui --port P` on a free loopback port, then for each view of the trials page
// loads it once in a fresh browser profile (cold: empty cache) and `runs` more times
// (warm: cached assets), and reads the page's User Timing mark 'hone:leaderboard' (set
// two animation frames after the first page of rows is in the DOM, i.e. painted),
// measured from navigation start. It stops the server it started.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const { freePort, launchBrowser, startHone, stopProcess } = await import(path.join(here, '../../tests/browser/harness.mjs'));

const { values: opt } = parseArgs({
  options: {
    hone: { type: 'string', default: path.join(here, '../../build/hone') },
    home: { type: 'string' },
    exp: { type: 'string' },
    runs: { type: 'string', default: '10' },
    generate: { type: 'string' },
    steps: { type: 'string', default: '100' },
    out: { type: 'string', default: path.join(here, 'out/first_render.json') },
  },
});
if (!opt.home && !opt.generate) {
  console.error('first_render: --home HONE_HOME (with a generated experiment) or --generate N is required');
  process.exit(2);
}
const runs = Math.max(1, Number(opt.runs));
const tmpHome = opt.home ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'hone-first-render-home-'));
const home = opt.home ?? tmpHome;
if (opt.generate) {
  const id = `bench${opt.generate}x${opt.steps}`;
  opt.exp ??= id;
  if (!fs.existsSync(path.join(home, 'experiments', id, 'hone.db'))) {
    const tool = path.join(path.dirname(opt.hone), 'bench/webui/hone_bench_webui');
    console.log(`generating ${opt.generate} trials x ${opt.steps} results in ${home}`);
    execFileSync(tool, ['generate', home, id, opt.generate, opt.steps], { stdio: 'inherit' });
  }
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, min: s[0], p50: q(0.5), p90: q(0.9), max: s[s.length - 1] };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hone-first-render-'));
const port = await freePort();
const server = await startHone(opt.hone, ['webui', '--port', String(port)], { HONE_HOME: home }, null, 120000, port);
const results = { when: new Date().toISOString(), chromium: '', experiment: null, views: {} };
try {
  const info = await (await fetch(`${server.origin}/api/v1/experiments`)).json();
  const exp = opt.exp ? info.experiments.find((e) => e.id.startsWith(opt.exp)) : info.experiments.reduce((a, b) => (b.trial_count > a.trial_count ? b : a));
  if (!exp) throw new Error(`no experiment ${opt.exp ?? ''} under ${home}`);
  results.experiment = { id: exp.id, trials: exp.trial_count };
  const base = `${server.origin}/experiments/${exp.id}/trials`;
  const views = {
    'leaderboard (best first)': '',
    'by a parameter': '?sort=param:' + encodeURIComponent((await (await fetch(`${server.origin}/api/v1/experiments/${exp.id}`)).json()).parameter_keys[0] ?? 'seq'),
    'searched': '?q=0.5',
  };
  for (const [name, query] of Object.entries(views)) {
    const context = await launchBrowser(path.join(tmp, `profile-${Object.keys(results.views).length}`));
    results.chromium = context.browser()?.version() ?? results.chromium;
    const page = context.pages()[0] ?? await context.newPage();
    const measure = async () => {
      await page.goto(base + query);
      await page.waitForFunction(() => performance.getEntriesByName('hone:leaderboard').length > 0, null, { timeout: 60000 });
      return page.evaluate(() => ({
        render: performance.getEntriesByName('hone:leaderboard')[0].startTime,
        rows: document.querySelectorAll('#trials tbody tr[data-seq]').length,
        total: document.querySelector('#page-info')?.textContent ?? '',
      }));
    };
    const cold = await measure();
    const warm = [];
    for (let i = 0; i < runs; i++) warm.push((await measure()).render);
    results.views[name] = { query, cold_ms: cold.render, rows: cold.rows, shown: cold.total, warm_ms: stats(warm) };
    await context.close();
  }
} finally {
  await stopProcess(server.child);
  fs.rmSync(tmp, { recursive: true, force: true });
  if (tmpHome) fs.rmSync(tmpHome, { recursive: true, force: true });
}

fs.mkdirSync(path.dirname(opt.out), { recursive: true });
fs.writeFileSync(opt.out, JSON.stringify(results, null, 2) + '\n');
console.log(`experiment ${results.experiment.id}: ${results.experiment.trials} trials; Chromium ${results.chromium}`);
for (const [name, v] of Object.entries(results.views)) {
  const w = v.warm_ms;
  console.log(`${name.padEnd(26)} cold ${v.cold_ms.toFixed(0)} ms; warm p50 ${w.p50.toFixed(0)} ms, p90 ${w.p90.toFixed(0)} ms, max ${w.max.toFixed(0)} ms (${w.n} runs; ${v.rows} rows, ${v.shown})`);
}
