// Compare selected trials: their intermediate curves overlaid and a parameter table.
import { expPath, get, type TrialDetail, type TrialPage } from '../api';
import type { Ctx } from '../app';
import { LazyChart } from '../lazy_chart';
import { h, link, replace } from '../dom';
import { fmtDuration, fmtMetric, fmtValue, flatten, num } from '../format';
import { navigate } from '../router';
import { cssVar } from '../theme';
import { badge, card, errorBox, expHeader, loading, openExperimentPage } from '../widgets';

const kMaxCompared = 10;

export async function renderCompare(main: HTMLElement, ctx: Ctx, id: string, query: URLSearchParams): Promise<void> {
  const exp = await openExperimentPage(main, ctx, id, 'Compare');
  if (!exp) return;

  let seqs = (query.get('seqs') ?? '').split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 0).slice(0, kMaxCompared);
  if (seqs.length === 0) {
    // Nothing chosen: compare the best five.
    try {
      const top = await get<TrialPage>(`${expPath(exp.id)}/trials`, { sort: 'final', order: exp.optimize_mode === 'minimize' ? 'asc' : 'desc', limit: 5 });
      seqs = top.trials.map((t) => t.seq);
    } catch { /* shown below as empty */ }
  }
  if (ctx.gone()) return;

  const seqInput = h('input', { type: 'text', value: seqs.join(','), placeholder: 'trial numbers, e.g. 3,7,12', id: 'compare-seqs' });
  const form = h('form', { class: 'toolbar' }, h('label', null, 'Trials ', seqInput), h('button', { class: 'btn small', type: 'submit' }, 'Compare'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    navigate(`${expPath(exp.id)}/compare?seqs=${encodeURIComponent(seqInput.value.replace(/\s+/g, ''))}`);
  });
  const chartEl = h('div', { class: 'chart tall', id: 'compare-chart' });
  const tableBox = h('div', null, loading());
  replace(main, expHeader(exp, 'compare'), form, card('Intermediate results', chartEl), card('Parameters', tableBox));
  if (seqs.length === 0) {
    replace(tableBox, h('p', { class: 'muted' }, 'Select trials in the Trials table, or type their numbers above.'));
    return;
  }

  let trials: TrialDetail[];
  try {
    trials = await Promise.all(seqs.map((s) => get<TrialDetail>(`${expPath(exp.id)}/trials/${s}`)));
  } catch (e) {
    if (!ctx.gone()) replace(tableBox, errorBox(e));
    return;
  }
  if (ctx.gone()) return;

  const chart = new LazyChart(chartEl);
  chartEl.dataset.series = String(trials.length);
  ctx.onDispose(() => chart.dispose());
  chart.draw(({ axisStyle, baseOption, kPalette }) => ({
    ...baseOption(),
    tooltip: { ...(baseOption().tooltip as object), trigger: 'axis' },
    legend: { top: 0, textStyle: { color: cssVar('--fg') } },
    grid: { left: 56, right: 20, top: 40, bottom: 40 },
    xAxis: { type: 'value', name: 'step', minInterval: 1, ...axisStyle() },
    yAxis: { type: 'value', scale: true, ...axisStyle() },
    series: trials.map((t, i) => ({
      name: `trial ${t.seq}`, type: 'line', showSymbol: false, color: kPalette[i % kPalette.length],
      data: t.intermediate.map((r) => [r.step, num(r.value)]).filter((p) => Number.isFinite(p[1])),
    })),
  }));

  const flats = trials.map((t) => flatten(t.params));
  const keys = [...new Set(flats.flatMap((f) => Object.keys(f)))];
  const differs = (k: string) => new Set(flats.map((f) => fmtValue(f[k]))).size > 1;
  replace(tableBox, h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact', id: 'compare-table' },
    h('thead', null, h('tr', null, h('th', null, ''), trials.map((t) =>
      h('th', null, link(`${expPath(exp.id)}/trials/${t.seq}`, `Trial ${t.seq}`))))),
    h('tbody', null,
      h('tr', null, h('th', null, 'Status'), trials.map((t) => h('td', null, badge(t.status)))),
      h('tr', null, h('th', null, 'Final'), trials.map((t) => h('td', { class: 'num' }, fmtMetric(t.final)))),
      h('tr', null, h('th', null, 'Duration'), trials.map((t) => h('td', { class: 'num' }, fmtDuration(t.duration_s)))),
      keys.map((k) => h('tr', { class: differs(k) ? 'differs' : '' }, h('th', null, k),
        flats.map((f) => h('td', null, fmtValue(f[k])))))))));
}
