// Small building blocks shared by the pages.
import { expPath, get, post, type Experiment } from './api';
import type { Ctx } from './app';
import { confirmButton, h, link, replace, type Child } from './dom';

export function badge(state: string): HTMLSpanElement {
  return h('span', { class: `badge s-${state.replace(/[^a-z_]/g, '')}`, data: { state } }, state.replace('_', ' '));
}

export function card(title: string, ...body: (Child | Child[])[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', null, title), ...body);
}

export function progress(label: string, value: number, max: number | null, text: string): HTMLElement {
  const frac = max && max > 0 ? Math.min(1, value / max) : 0;
  const bar = h('div', { class: 'bar-fill' });
  bar.style.width = `${(frac * 100).toFixed(1)}%`;
  return h('div', { class: 'progress' },
    h('div', { class: 'progress-label' }, h('span', null, label), h('span', { class: 'muted' }, text)),
    h('div', { class: 'bar', role: 'progressbar', attrs: { 'aria-valuenow': String(Math.round(frac * 100)) } }, bar));
}

export function errorBox(e: unknown): HTMLElement {
  return h('div', { class: 'error-box', role: 'alert' }, e instanceof Error ? e.message : String(e));
}

export function loading(): HTMLElement {
  return h('div', { class: 'loading muted' }, 'Loading…');
}

/** The experiment's name, id, status and page tabs. */
export function expHeader(exp: Experiment, active: string): HTMLElement {
  const base = expPath(exp.id);
  const tab = (name: string, href: string, label: string) => {
    const a = link(href, label);
    if (name === active) a.classList.add('active');
    return a;
  };
  return h('div', { class: 'exp-header' },
    h('div', { class: 'exp-title' },
      h('h1', null, exp.name || exp.id),
      h('code', { class: 'muted' }, exp.id),
      h('span', { class: 'exp-status' }, badge(exp.status))),
    h('nav', { class: 'tabs' },
      tab('overview', base, 'Overview'),
      tab('trials', `${base}/trials`, 'Trials'),
      tab('parallel', `${base}/parallel`, 'Hyperparameters'),
      tab('compare', `${base}/compare`, 'Compare')));
}

/** The kill button of a waiting or running trial (two clicks, no dialog). */
export function killButton(ctx: Ctx, expId: string, seq: number, small = false): HTMLButtonElement {
  const btn = confirmButton('Kill', 'Confirm kill', async () => {
    try {
      await post(`${expPath(expId)}/trials/${seq}/kill`);
      ctx.notify(`Trial ${seq}: kill requested`);
    } catch (e) {
      ctx.notify(`Trial ${seq}: ${e instanceof Error ? e.message : e}`, 'error');
    }
  }, small ? 'btn danger small' : 'btn danger');
  btn.dataset.kill = String(seq);
  return btn;
}

export function isActive(state: string): boolean {
  return state === 'running' || state === 'waiting';
}

// Starts a page of one experiment: shows the loading state, fetches the experiment
// (together with `also`, which the page needs first), and sets the breadcrumbs (the
// experiment, then `crumb` when given). Null when loading failed (the error is shown) or
// the user has moved on.
export async function openExperimentPage(main: HTMLElement, ctx: Ctx, id: string, crumb: string | null,
                                         also: Promise<unknown> = Promise.resolve()): Promise<Experiment | null> {
  replace(main, loading());
  let exp: Experiment;
  try {
    [exp] = await Promise.all([get<Experiment>(expPath(id)), also]);
  } catch (e) {
    replace(main, errorBox(e));
    return null;
  }
  if (ctx.gone()) return null;
  if (crumb === null) ctx.crumbs(['Experiments', '/'], exp.name || exp.id);
  else ctx.crumbs(['Experiments', '/'], [exp.name || exp.id, expPath(exp.id)], crumb);
  return exp;
}
