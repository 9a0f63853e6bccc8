// The trials table (leaderboard): server-side paging, sorting and search, a state filter,
// a column chooser for metric keys and parameters, selection for comparing, and live
// updates. The view's state lives in the query string so it survives a reload.
import { expPath, get, kStates, url, type Experiment, type Trial, type TrialPage } from '../api';
import type { Ctx } from '../app';
import { h, link, replace } from '../dom';
import { fmtDuration, fmtMetric, fmtTime, fmtValue, flatten } from '../format';
import { subscribe, throttle } from '../live';
import { navigate, setQuery } from '../router';
import { badge, errorBox, expHeader, isActive, killButton, loading, openExperimentPage } from '../widgets';

interface Column {
  key: string;     // sort key of the API, or '' when not sortable
  label: string;
  num?: boolean;
  cls?: string;
  cell(t: Trial, flat: Record<string, unknown>): Node | string;
}

const kPageSizes = [20, 50, 100, 200];

function defaultColumns(exp: Experiment): string[] {
  return [
    ...exp.parameter_keys.slice(0, 8).map((k) => `param:${k}`),
    ...exp.metric_keys.filter((k) => k !== 'default').slice(0, 4).map((k) => `metric:${k}`),
  ];
}

export async function renderTrials(main: HTMLElement, ctx: Ctx, id: string, query: URLSearchParams): Promise<void> {
  replace(main, loading());
  const view = {
    offset: Math.max(0, Number(query.get('offset') ?? 0) || 0),
    limit: kPageSizes.includes(Number(query.get('limit'))) ? Number(query.get('limit')) : 50,
    q: query.get('q') ?? '',
    states: (query.get('state') ?? '').split(',').filter((s) => (kStates as string[]).includes(s)),
  };
  const pageQuery = (sort: string, order: string) => ({
    offset: view.offset, limit: view.limit, sort, order,
    q: view.q || undefined, state: view.states.length ? view.states.join(',') : undefined,
  });
  // The first page is asked for together with the experiment, best first for a
  // maximizing experiment (the common case); a minimizing one asks again.
  const guess = pageQuery(query.get('sort') ?? 'final', query.get('order') ?? 'desc');
  const firstPage = get<TrialPage>(`${expPath(id)}/trials`, guess);
  firstPage.catch(() => { /* load() reports errors */ });
  const opened = await openExperimentPage(main, ctx, id, 'Trials', ctx.ready);
  if (!opened) return;
  let exp: Experiment = opened;

  const state = {
    ...view,
    sort: query.get('sort') ?? 'final',
    order: query.get('order') ?? (exp.optimize_mode === 'minimize' ? 'asc' : 'desc'),
    cols: query.has('cols') ? (query.get('cols') ?? '').split(',').filter(Boolean) : defaultColumns(exp),
  };
  const selected = new Set<number>();
  let page: TrialPage | null = null;
  let cursor = exp.cursor;

  const saveQuery = () => {
    const q = new URLSearchParams();
    q.set('sort', state.sort);
    q.set('order', state.order);
    if (state.offset) q.set('offset', String(state.offset));
    if (state.limit !== 50) q.set('limit', String(state.limit));
    if (state.q) q.set('q', state.q);
    if (state.states.length) q.set('state', state.states.join(','));
    q.set('cols', state.cols.join(','));
    setQuery(q);
  };

  const columns = (): Column[] => {
    const canKill = ctx.canAct() && exp.running;
    const cols: Column[] = [
      { key: '', label: '', cls: 'sel', cell: (t) => {
        const box = h('input', { type: 'checkbox', checked: selected.has(t.seq), ariaLabel: `select trial ${t.seq}` });
        box.addEventListener('change', () => {
          if (box.checked) selected.add(t.seq); else selected.delete(t.seq);
          updateCompare();
        });
        return box;
      } },
      { key: 'seq', label: 'Trial', num: true, cell: (t) => link(`${expPath(exp.id)}/trials/${t.seq}`, String(t.seq)) },
      // A waiting trial shows why it waits (a scheduler's pending reason, e.g. Resources).
      { key: 'status', label: 'Status', cell: (t) => t.status === 'waiting' && t.reason
        ? h('span', { class: 'pending', title: t.reason }, badge(t.status), ' ', h('span', { class: 'muted' }, t.reason))
        : badge(t.status) },
      { key: 'final', label: 'Final', num: true, cell: (t) => fmtMetric(t.final) },
      { key: '', label: 'Latest', num: true, cls: 'hide-phone', cell: (t) => t.latest ? `${fmtMetric(t.latest.value)} @${t.latest.step}` : '—' },
      { key: 'duration', label: 'Duration', num: true, cls: 'hide-phone', cell: (t) => fmtDuration(t.duration_s) },
      { key: 'started', label: 'Started', cls: 'hide-phone', cell: (t) => fmtTime(t.started) },
    ];
    for (const c of state.cols) {
      if (c.startsWith('param:')) {
        const path = c.slice(6);
        cols.push({ key: c, label: path, cell: (_t, flat) => fmtValue(flat[path]) });
      } else if (c.startsWith('metric:')) {
        const k = c.slice(7);
        cols.push({ key: c, label: k, num: true, cell: (t) => fmtMetric(t.metrics?.[k]) });
      }
    }
    if (canKill) cols.push({ key: '', label: '', cell: (t) => isActive(t.status) ? killButton(ctx, exp.id, t.seq, true) : '' });
    return cols;
  };

  // Toolbar: search, state filter, page size, column chooser, compare.
  const search = h('input', { type: 'search', placeholder: 'Search parameters, reason, or trial number', value: state.q, class: 'grow', id: 'trial-search' });
  const debouncedSearch = throttle(() => {
    state.q = search.value.trim();
    state.offset = 0;
    void load();
  }, 300);
  search.addEventListener('input', () => debouncedSearch());
  ctx.onDispose(() => debouncedSearch.cancel());

  const stateSel = h('select', { id: 'state-filter', ariaLabel: 'state filter' },
    h('option', { value: '' }, 'All states'),
    kStates.map((s) => h('option', { value: s }, s.replace('_', ' '))),
    h('option', { value: 'waiting,running' }, 'active'));
  stateSel.value = state.states.join(',');
  stateSel.addEventListener('change', () => {
    state.states = stateSel.value ? stateSel.value.split(',') : [];
    state.offset = 0;
    void load();
  });

  const sizeSel = h('select', { ariaLabel: 'rows per page' }, kPageSizes.map((n) => h('option', { value: String(n) }, `${n} / page`)));
  sizeSel.value = String(state.limit);
  sizeSel.addEventListener('change', () => {
    state.limit = Number(sizeSel.value);
    state.offset = 0;
    void load();
  });

  const chooser = h('details', { class: 'chooser', id: 'column-chooser' }, h('summary', { class: 'btn' }, 'Columns'),
    h('div', { class: 'chooser-body' },
      h('h3', null, 'Parameters'),
      exp.parameter_keys.map((k) => chooserBox(`param:${k}`, k)),
      h('h3', null, 'Metrics'),
      exp.metric_keys.filter((k) => k !== 'default').map((k) => chooserBox(`metric:${k}`, k))));
  function chooserBox(key: string, label: string): HTMLElement {
    const box = h('input', { type: 'checkbox', checked: state.cols.includes(key), data: { col: key } });
    box.addEventListener('change', () => {
      state.cols = box.checked ? [...state.cols, key] : state.cols.filter((c) => c !== key);
      renderTable();
      saveQuery();
    });
    return h('label', { class: 'check' }, box, ' ', label);
  }

  const compareBtn = h('button', { class: 'btn', type: 'button', id: 'compare-btn', disabled: true }, 'Compare');
  compareBtn.addEventListener('click', () => {
    navigate(`${expPath(exp.id)}/compare?seqs=${[...selected].sort((a, b) => a - b).join(',')}`);
  });
  const updateCompare = () => {
    compareBtn.disabled = selected.size < 1;
    compareBtn.textContent = selected.size ? `Compare ${selected.size}` : 'Compare';
  };

  const table = h('table', { class: 'grid', id: 'trials' });
  const pager = h('div', { class: 'pager' });
  const tableWrap = h('div', { class: 'table-wrap' }, table);
  const status = h('div', { class: 'table-status' });

  replace(main,
    expHeader(exp, 'trials'),
    h('div', { class: 'toolbar' }, search, stateSel, sizeSel, chooser, compareBtn,
      h('a', { class: 'btn ghost', href: url(`${expPath(exp.id)}/export`, { format: 'csv' }), attrs: { download: '' } }, 'CSV'),
      h('a', { class: 'btn ghost', href: url(`${expPath(exp.id)}/export`, { format: 'json' }), attrs: { download: '' } }, 'JSON')),
    status,
    tableWrap,
    pager);

  function renderTable(): void {
    const cols = columns();
    const head = h('tr', null, cols.map((c) => {
      if (!c.key) return h('th', { class: c.cls ?? '' }, c.label);
      const active = state.sort === c.key;
      const arrow = active ? (state.order === 'asc' ? ' ▲' : ' ▼') : '';
      const btn = h('button', { class: 'sort', type: 'button', data: { sort: c.key } }, c.label, arrow);
      btn.addEventListener('click', () => {
        if (state.sort === c.key) state.order = state.order === 'asc' ? 'desc' : 'asc';
        else {
          state.sort = c.key;
          state.order = c.key === 'seq' || c.key === 'status' || c.key.startsWith('param:') ? 'asc'
            : (exp.optimize_mode === 'minimize' ? 'asc' : 'desc');
        }
        state.offset = 0;
        void load();
      });
      const th = h('th', { class: `${c.num ? 'num' : ''} ${c.cls ?? ''}`, attrs: { 'aria-sort': active ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none' } }, btn);
      return th;
    }));
    const rows = (page?.trials ?? []).map((t) => row(t, cols));
    replace(table, h('thead', null, head), h('tbody', null, rows));
    if (page && page.trials.length === 0) {
      table.appendChild(h('tbody', null, h('tr', null, h('td', { class: 'muted', attrs: { colspan: String(cols.length) } }, 'No trials match.'))));
    }
  }

  function row(t: Trial, cols: Column[]): HTMLTableRowElement {
    const flat = flatten(t.params);
    return h('tr', { data: { seq: String(t.seq), state: t.status } },
      cols.map((c) => h('td', { class: `${c.num ? 'num' : ''} ${c.cls ?? ''}` }, c.cell(t, flat))));
  }

  function renderPager(): void {
    if (!page) return;
    const from = page.total === 0 ? 0 : page.offset + 1;
    const to = page.offset + page.trials.length;
    const prev = h('button', { class: 'btn small', type: 'button', disabled: page.offset === 0 }, '‹ Prev');
    const next = h('button', { class: 'btn small', type: 'button', disabled: to >= page.total }, 'Next ›');
    prev.addEventListener('click', () => { state.offset = Math.max(0, state.offset - state.limit); void load(); });
    next.addEventListener('click', () => { state.offset += state.limit; void load(); });
    replace(pager, prev, h('span', { class: 'muted', id: 'page-info' }, `${from}–${to} of ${page.total}`), next);
  }

  // User Timing mark once the first page of rows is painted (read by bench/webui).
  let marked = false;
  function markFirstRender(): void {
    if (marked) return;
    marked = true;
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('hone:leaderboard')));
  }

  let seqNo = 0;
  async function load(prefetched?: Promise<TrialPage>): Promise<void> {
    const mine = ++seqNo;
    saveQuery();
    try {
      const p = await (prefetched ?? get<TrialPage>(`${expPath(exp.id)}/trials`, {
        offset: state.offset, limit: state.limit, sort: state.sort, order: state.order,
        q: state.q || undefined, state: state.states.length ? state.states.join(',') : undefined,
      }));
      if (ctx.gone() || mine !== seqNo) return;
      page = p;
      replace(status);
      renderTable();
      renderPager();
      markFirstRender();
    } catch (e) {
      if (!ctx.gone() && mine === seqNo) replace(status, errorBox(e));
    }
  }

  await load(state.sort === guess.sort && state.order === guess.order ? firstPage : undefined);
  if (ctx.gone()) return;
  if (page) cursor = (page as TrialPage).cursor || cursor;

  // Live: changed rows update in place at once; the page is re-read (sort order, new
  // trials, filters) at most once a second.
  const reload = throttle(() => void load(), 1000);
  ctx.onDispose(() => reload.cancel());
  ctx.onDispose(subscribe(exp.id, cursor, (u) => {
    if (u.experiment) exp = { ...exp, ...u.experiment } as Experiment;
    if (!u.trials.length) return;
    const cols = columns();
    for (const t of u.trials) {
      const tr = table.querySelector(`tr[data-seq="${t.seq}"]`);
      if (tr) tr.replaceWith(row(t, cols));
      const i = page?.trials.findIndex((x) => x.seq === t.seq) ?? -1;
      if (page && i >= 0) page.trials[i] = t;
    }
    reload();
  }));
}
