// ECharts, reduced to the parts the UI uses, with theme colours and safe tooltips.
// Tooltips use renderMode 'richText' (drawn on the canvas, never HTML), so parameter
// values and metric keys from trials cannot inject markup.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, ParallelChart } from 'echarts/charts';
import {
  GridComponent, LegendComponent, ParallelComponent, TooltipComponent, VisualMapComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { cssVar } from './theme';

echarts.use([
  BarChart, LineChart, ParallelChart, GridComponent, LegendComponent,
  ParallelComponent, TooltipComponent, VisualMapComponent, CanvasRenderer,
]);

export type Chart = echarts.ECharts;
export type Option = echarts.EChartsCoreOption;

export const kPalette = ['#2f6fdf', '#e0702b', '#2a9d5b', '#c23b52', '#8a5cd1', '#1d9bb0', '#b58a12', '#d45fa7', '#5b6b7f', '#6aa832'];

/** Creates a chart in `el` that follows the element's size; dispose it with `chart.dispose()`. */
export function makeChart(el: HTMLElement): Chart {
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  const ro = new ResizeObserver(() => chart.resize());
  ro.observe(el);
  const dispose = chart.dispose.bind(chart);
  chart.dispose = () => {
    ro.disconnect();
    dispose();
  };
  return chart;
}

/** Options shared by every chart, in the current theme's colours. */
export function baseOption(): Option {
  const fg = cssVar('--fg');
  const grid = cssVar('--border');
  return {
    backgroundColor: 'transparent',
    color: kPalette,
    animation: false,
    textStyle: { color: fg, fontFamily: 'system-ui, sans-serif' },
    tooltip: {
      renderMode: 'richText',
      backgroundColor: cssVar('--card'),
      borderColor: grid,
      textStyle: { color: fg },
      confine: true,
    },
    grid: { left: 56, right: 20, top: 30, bottom: 40, containLabel: false },
  };
}

export function axisStyle(): Record<string, unknown> {
  const muted = cssVar('--muted');
  const grid = cssVar('--border');
  return {
    axisLine: { lineStyle: { color: muted } },
    axisLabel: { color: muted },
    splitLine: { lineStyle: { color: grid } },
    nameTextStyle: { color: muted },
  };
}
