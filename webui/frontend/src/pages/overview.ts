// Experiment overview: status, progress against budgets, counts, best trial, the
// best-so-far curve, the duration histogram and the top trials; kept live by the stream.
import { expPath, get, kStates, type BestSeries, type Durations, type Experiment, type TrialPage } from '../api';
import type { Ctx } from '../app';
import { LazyChart } from '../lazy_chart';
import { h, link, replace } from '../dom';
import { fmtDuration, fmtMetric, fmtTime, fmtValue, flatten, num } from '../format';
import { subscribe, throttle } from '../live';
import { cssVar } from '../theme';
import { badge, card, errorBox, expHeader, loading, progress, openExperimentPage } from '../widgets';
import { actionsPanel } from './actions';

export async function renderOverview(main: HTMLElement, ctx: Ctx, id: string): Promise<void> {
  const opened = await openExperimentPage(main, ctx, id, null, ctx.ready);
  if (!opened) return;
  let exp: Experiment = opened;

  const statusCard = h('div');
  const countsCard = h('div');
  const bestCard = h('div');
  const bestChartEl = h('div', { class: 'chart', id: 'best-chart' });
  const durChartEl = h('div', { class: 'chart', id: 'duration-chart' });
  const topBody = h('div', null, loading());
  const header = h('div');
  const actions = h('div');

  replace(main,
    header,
    actions,
    h('div', { class: 'cards' },
      card('Progress', statusCard),
      card('Trials by state', countsCard),
      card('Best trial', bestCard)),
    h('div', { class: 'cards two' },
      card('Best so far', bestChartEl),
      card('Trial durations', durChartEl)),
    card('Top trials', topBody));

  const bestChart = new LazyChart(bestChartEl);
  const durChart = new LazyChart(durChartEl);
  ctx.onDispose(() => { bestChart.dispose(); durChart.dispose(); });

  let actionsFor: boolean | null = null;
  const renderStatic = () => {
    replace(header, expHeader(exp, 'overview'));
    // The actions panel holds inputs: rebuild it only when the manager comes or goes.
    if (actionsFor !== exp.running) {
      actionsFor = exp.running;
      replace(actions, actionsPanel(ctx, exp));
    }
    const b = exp.budget;
    const elapsed = exp.elapsed_s ?? 0;
    replace(statusCard,
      progress('Trials', b.configs_created, b.max_trial_number,
        `${b.configs_created} / ${b.max_trial_number ?? '∞'}`),
      progress('Time', elapsed, b.max_experiment_duration_s,
        `${fmtDuration(elapsed)} / ${b.max_experiment_duration_s ? fmtDuration(b.max_experiment_duration_s) : '∞'}`),
      h('dl', { class: 'kv' },
        h('dt', null, 'Concurrency'), h('dd', { id: 'concurrency' }, String(b.trial_concurrency ?? '—')),
        h('dt', null, 'Max trial duration'), h('dd', null, b.max_trial_duration_s ? fmtDuration(b.max_trial_duration_s) : '—'),
        h('dt', null, 'Optimize'), h('dd', null, exp.optimize_mode),
        h('dt', null, 'Created'), h('dd', null, fmtTime(exp.created)),
        exp.error ? [h('dt', null, 'Error'), h('dd', { class: 'error-text' }, exp.error)] : null));
    replace(countsCard, h('div', { class: 'counts', id: 'counts' },
      kStates.map((s) => h('div', { class: 'count', data: { state: s } },
        badge(s), h('span', { class: 'count-n' }, String(exp.counts?.[s] ?? 0))))),
      h('p', { class: 'muted' }, `${exp.trial_count} trials in all`));
    const best = exp.best;
    if (!best) {
      replace(bestCard, h('p', { class: 'muted' }, 'No finished trial with a metric yet.'));
    } else {
      const params = flatten(best.params);
      replace(bestCard,
        h('div', { class: 'big', id: 'best-value' }, fmtMetric(best.final)),
        h('p', null, link(`${expPath(exp.id)}/trials/${best.seq}`, `Trial ${best.seq}`), ' ', badge(best.status)),
        h('dl', { class: 'kv' }, Object.entries(params).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, fmtValue(v))])));
    }
  };

  const loadSeries = async () => {
    try {
      const [best, durs, top] = await Promise.all([
        get<BestSeries>(`${expPath(exp.id)}/series/best`),
        get<Durations>(`${expPath(exp.id)}/series/durations`, { bins: 30 }),
        get<TrialPage>(`${expPath(exp.id)}/trials`, {
          sort: 'final', order: exp.optimize_mode === 'minimize' ? 'asc' : 'desc', limit: 10,
        }),
      ]);
      if (ctx.gone()) return;
      const accent = cssVar('--accent');
      bestChartEl.dataset.points = String(best.points.length);
      // Improvement points only: hold the last best flat up to the newest trial.
      const curve = best.points.map((p) => [p.seq, num(p.best)]).filter((p) => Number.isFinite(p[1]));
      const last = curve[curve.length - 1];
      if (last && exp.trial_count - 1 > last[0]) curve.push([exp.trial_count - 1, last[1]]);
      bestChart.draw(({ axisStyle, baseOption }) => ({
        ...baseOption(),
        tooltip: { ...(baseOption().tooltip as object), trigger: 'axis' },
        xAxis: { type: 'value', name: 'trial', minInterval: 1, ...axisStyle() },
        yAxis: { type: 'value', scale: true, ...axisStyle() },
        series: [
          { name: 'best', type: 'line', step: 'end', color: accent, data: curve,
            showSymbol: curve.length <= 60, symbolSize: 5 },
        ],
      }));
      durChart.draw(({ axisStyle, baseOption }) => ({
        ...baseOption(),
        tooltip: { ...(baseOption().tooltip as object), trigger: 'axis' },
        xAxis: { type: 'category', data: durs.bins.map((b) => fmtDuration(b.lo)), ...axisStyle() },
        yAxis: { type: 'value', minInterval: 1, ...axisStyle() },
        series: [{ name: 'trials', type: 'bar', data: durs.bins.map((b) => b.count), color: accent }],
      }));
      replace(topBody, topTable(exp, top));
    } catch (e) {
      if (!ctx.gone()) replace(topBody, errorBox(e));
    }
  };

  renderStatic();
  void loadSeries();
  const refreshSeries = throttle(() => void loadSeries(), 2000);
  const refreshStatic = throttle(renderStatic, 500);
  ctx.onDispose(() => { refreshSeries.cancel(); refreshStatic.cancel(); });
  ctx.onDispose(subscribe(exp.id, exp.cursor, (u) => {
    if (u.experiment) exp = { ...exp, ...u.experiment } as Experiment;
    refreshStatic();
    if (u.trials.some((t) => t.ended !== null)) refreshSeries();
  }));
}

function topTable(exp: Experiment, page: TrialPage): HTMLElement {
  if (page.trials.length === 0) return h('p', { class: 'muted' }, 'No trials yet.');
  const keys = exp.parameter_keys.slice(0, 6);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'top-trials' },
    h('thead', null, h('tr', null,
      h('th', { class: 'num' }, 'Trial'), h('th', null, 'Status'), h('th', { class: 'num' }, 'Final'),
      h('th', { class: 'num hide-phone' }, 'Duration'),
      keys.map((k) => h('th', { class: 'hide-phone' }, k)))),
    h('tbody', null, page.trials.map((t) => {
      const p = flatten(t.params);
      return h('tr', null,
        h('td', { class: 'num' }, link(`${expPath(exp.id)}/trials/${t.seq}`, String(t.seq))),
        h('td', null, badge(t.status)),
        h('td', { class: 'num' }, fmtMetric(t.final)),
        h('td', { class: 'num hide-phone' }, fmtDuration(t.duration_s)),
        keys.map((k) => h('td', { class: 'hide-phone' }, fmtValue(p[k]))));
    }))));
}
