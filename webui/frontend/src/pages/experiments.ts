// The experiments list: every experiment under HONE_HOME, newest first.
import { expPath, get, type ExperimentItem } from '../api';
import type { Ctx } from '../app';
import { h, link, replace } from '../dom';
import { fmtMetric, fmtTime } from '../format';
import { badge, errorBox, loading } from '../widgets';

export function renderExperiments(main: HTMLElement, ctx: Ctx): void {
  ctx.crumbs('Experiments');
  const body = h('div', null, loading());
  replace(main, h('h1', null, 'Experiments'), body);

  const load = async () => {
    try {
      const { experiments } = await get<{ experiments: ExperimentItem[] }>('/experiments');
      if (ctx.gone()) return;
      if (experiments.length === 0) {
        replace(body, h('p', { class: 'muted' }, 'No experiments yet. Start one with hone run exp.yaml.'));
        return;
      }
      replace(body, h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'experiments' },
        h('thead', null, h('tr', null,
          h('th', null, 'Name'), h('th', null, 'Id'), h('th', null, 'Status'),
          h('th', { class: 'num' }, 'Trials'), h('th', { class: 'num' }, 'Best'),
          h('th', { class: 'hide-phone' }, 'Mode'), h('th', { class: 'hide-phone' }, 'Created'))),
        h('tbody', null, experiments.map((e) => h('tr', { data: { id: e.id } },
          h('td', null, link(expPath(e.id), e.name || e.id)),
          h('td', null, h('code', null, e.id)),
          h('td', null, badge(e.status), e.error ? h('span', { class: 'error-text', title: e.error }, ' ⚠') : null),
          h('td', { class: 'num' }, e.trial_count),
          h('td', { class: 'num' }, fmtMetric(e.best)),
          h('td', { class: 'hide-phone' }, e.optimize_mode),
          h('td', { class: 'hide-phone' }, fmtTime(e.created))))))));
    } catch (e) {
      if (!ctx.gone()) replace(body, errorBox(e));
    }
  };
  void load();
  // A small list: re-read every 5 s rather than holding a stream per experiment.
  const timer = window.setInterval(load, 5000);
  ctx.onDispose(() => window.clearInterval(timer));
}
