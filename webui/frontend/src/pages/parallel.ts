// Hyperparameters: parallel coordinates of the best x% of trials, one axis per parameter
// and one for the metric, coloured by the metric.
import { expPath, get, type Parallel } from '../api';
import type { Ctx } from '../app';
import { LazyChart } from '../lazy_chart';
import { h, replace } from '../dom';
import { fmtMetric, fmtValue, num } from '../format';
import { cssVar } from '../theme';
import { card, errorBox, expHeader, openExperimentPage } from '../widgets';

const kTops = [100, 50, 20, 10, 5, 1];

export async function renderParallel(main: HTMLElement, ctx: Ctx, id: string, query: URLSearchParams): Promise<void> {
  const exp = await openExperimentPage(main, ctx, id, 'Hyperparameters');
  if (!exp) return;

  const topSel = h('select', { id: 'top-filter', ariaLabel: 'top percent' }, kTops.map((t) => h('option', { value: String(t) }, t === 100 ? 'All trials' : `Top ${t}%`)));
  topSel.value = kTops.includes(Number(query.get('top'))) ? String(query.get('top')) : '100';
  const metricSel = h('select', { ariaLabel: 'metric' }, exp.metric_keys.map((k) => h('option', { value: k }, k)));
  const info = h('span', { class: 'muted', id: 'parallel-info' });
  const chartEl = h('div', { class: 'chart parallel', id: 'parallel-chart' });
  const status = h('div');
  replace(main,
    expHeader(exp, 'parallel'),
    card('Parallel coordinates',
      h('div', { class: 'toolbar' }, h('label', null, 'Show ', topSel), h('label', null, 'Metric ', metricSel), info),
      status, chartEl));
  const chart = new LazyChart(chartEl);
  ctx.onDispose(() => chart.dispose());

  const load = async () => {
    try {
      const p = await get<Parallel>(`${expPath(exp.id)}/series/parallel`, { metric: metricSel.value || 'default', top: topSel.value, lines: 500 });
      if (ctx.gone()) return;
      replace(status);
      info.textContent = `${p.lines.length} lines shown · ${p.kept} of ${p.total} trials with a value`;
      draw(p);
    } catch (e) {
      if (!ctx.gone()) replace(status, errorBox(e));
    }
  };

  const draw = (p: Parallel) => {
    const muted = cssVar('--muted');
    const axes = p.parameters.map((param, i) => {
      const values = p.lines.map((l) => l.params[param.path]);
      const numeric = param.type !== 'choice' && values.every((v) => typeof v === 'number' || v === undefined);
      const common = {
        dim: i, name: param.path, nameLocation: 'end', nameTextStyle: { color: muted },
        axisLine: { lineStyle: { color: muted } }, axisLabel: { color: muted },
      };
      if (numeric) {
        const log = param.type.includes('log') && values.every((v) => v === undefined || (v as number) > 0);
        return { ...common, type: log ? 'log' : 'value', scale: true, axisLabel: { color: muted, formatter: (v: number) => fmtMetric(v) } };
      }
      const cats = new Set<string>();
      for (const v of param.values ?? []) cats.add(fmtValue(typeof v === 'object' && v !== null && '_name' in v ? (v as { _name: unknown })._name : v));
      for (const v of values) if (v !== undefined) cats.add(fmtValue(v));
      return { ...common, type: 'category', data: [...cats] };
    });
    const metricDim = axes.length;
    axes.push({
      dim: metricDim, name: p.metric, nameLocation: 'end', nameTextStyle: { color: cssVar('--fg') },
      axisLine: { lineStyle: { color: muted } }, axisLabel: { color: muted, formatter: (v: number) => fmtMetric(v) }, type: 'value', scale: true,
    } as (typeof axes)[number]);
    const data = p.lines.map((l) => [
      ...p.parameters.map((param, i) => {
        const v = l.params[param.path];
        if (v === undefined) return null;
        return (axes[i] as { type: string }).type === 'category' ? fmtValue(v) : v;
      }),
      num(l.value),
    ]);
    chartEl.dataset.points = String(data.length);
    const values = data.map((d) => d[metricDim] as number).filter(Number.isFinite);
    const lo = values.length ? Math.min(...values) : 0;
    const hi = values.length ? Math.max(...values) : 1;
    const good = '#d9462b';
    const bad = '#3b6fd9';
    const narrow = chartEl.clientWidth < 600;
    chart.draw(({ baseOption }) => ({
      ...baseOption(),
      tooltip: { show: false },
      parallel: { left: 40, right: narrow ? 40 : 140, top: 50, bottom: 30, parallelAxisDefault: { nameGap: 12, nameTextStyle: { fontSize: 12 } } },
      parallelAxis: axes,
      visualMap: {
        show: !narrow, type: 'continuous', dimension: metricDim, min: lo, max: hi === lo ? lo + 1 : hi, calculable: true,
        orient: 'vertical', right: 4, top: 'center', itemHeight: 140, textStyle: { color: muted },
        formatter: (v: number) => fmtMetric(Number(v.toPrecision(4))),
        inRange: { color: p.mode === 'minimize' ? [good, bad] : [bad, good] },
      },
      series: [{ type: 'parallel', data, progressive: 0,
        lineStyle: { width: data.length < 50 ? 2 : 1, opacity: data.length < 200 ? 0.8 : 0.45 } }],
    }));
  };

  const onChange = () => {
    const q = new URLSearchParams(location.search);
    q.set('top', topSel.value);
    history.replaceState(null, '', `${location.pathname}?${q}`);
    void load();
  };
  topSel.addEventListener('change', onChange);
  metricSel.addEventListener('change', onChange);
  await load();
}
