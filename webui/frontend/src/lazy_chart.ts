// A chart whose ECharts code (a separate 600 KB chunk) loads on first use, so a page
// shows its numbers and tables without waiting for it.
import type { Chart, Option } from './charts';

export type ChartsModule = typeof import('./charts');
let charts: Promise<ChartsModule> | null = null;

export function loadCharts(): Promise<ChartsModule> {
  charts ??= import('./charts');
  return charts;
}

export class LazyChart {
  private chart: Chart | null = null;
  private latest: ((c: ChartsModule) => Option) | null = null;
  private disposed = false;

  constructor(private readonly el: HTMLElement) {}

  /** Draws the option that `build` makes (it gets the module for theme helpers). */
  draw(build: (c: ChartsModule) => Option): void {
    this.latest = build;
    void loadCharts().then((c) => {
      if (this.disposed || this.latest !== build) return;
      this.chart ??= c.makeChart(this.el);
      this.chart.setOption(build(c), true);
    });
  }

  dispose(): void {
    this.disposed = true;
    this.chart?.dispose();
  }
}
