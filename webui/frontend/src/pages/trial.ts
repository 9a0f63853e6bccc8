// One trial: summary, parameters, the intermediate curve (live), the files the trial wrote
// to its output directory (pictures shown, others linked), events and a log viewer.
import { expPath, get, url, type Experiment, type LogTail, type OutputList, type TrialDetail } from '../api';
import type { Ctx } from '../app';
import { LazyChart } from '../lazy_chart';
import { h, replace } from '../dom';
import { fmtBytes, fmtDuration, fmtMetric, fmtTime, fmtValue, flatten, num } from '../format';
import { subscribe, throttle } from '../live';
import { cssVar } from '../theme';
import { badge, card, errorBox, expHeader, isActive, killButton, loading } from '../widgets';

export async function renderTrial(main: HTMLElement, ctx: Ctx, id: string, seq: number): Promise<void> {
  replace(main, loading());
  let exp: Experiment;
  let trial: TrialDetail;
  try {
    [exp, trial] = await Promise.all([
      get<Experiment>(expPath(id)),
      get<TrialDetail>(`${expPath(id)}/trials/${seq}`),
      ctx.ready,
    ]);
  } catch (e) {
    replace(main, errorBox(e));
    return;
  }
  if (ctx.gone()) return;
  ctx.crumbs(['Experiments', '/'], [exp.name || exp.id, expPath(exp.id)], ['Trials', `${expPath(exp.id)}/trials`], `Trial ${seq}`);

  const summary = h('div');
  const paramsBox = h('div');
  const chartEl = h('div', { class: 'chart tall', id: 'trial-curve' });
  const metricSel = h('select', { ariaLabel: 'metric', id: 'curve-metric' });
  const eventsBox = h('div');
  const outputsCard = card('Output files', h('div', { id: 'trial-outputs' }));
  outputsCard.hidden = true;
  const logPre = h('pre', { class: 'log', id: 'trial-log' });
  const logInfo = h('span', { class: 'muted' });
  let stream: 'stdout' | 'stderr' = 'stdout';
  const streamBtns = (['stdout', 'stderr'] as const).map((s) => {
    const b = h('button', { class: 'btn small', type: 'button', data: { stream: s } }, s);
    b.addEventListener('click', () => { stream = s; void loadLog(); });
    return b;
  });
  const refreshBtn = h('button', { class: 'btn small ghost', type: 'button' }, 'Refresh');
  refreshBtn.addEventListener('click', () => void loadLog());
  const download = h('a', { class: 'btn small ghost', attrs: { download: '' } }, 'Download');

  replace(main,
    expHeader(exp, 'trials'),
    h('h2', { class: 'page-sub' }, `Trial ${seq}`),
    h('div', { class: 'cards two' },
      card('Summary', summary),
      card('Parameters', paramsBox)),
    card('Intermediate results', h('div', { class: 'toolbar' }, metricSel), chartEl),
    outputsCard,
    card('Log', h('div', { class: 'toolbar' }, streamBtns, refreshBtn, download, logInfo), logPre),
    card('Events', eventsBox));

  const chart = new LazyChart(chartEl);
  ctx.onDispose(() => chart.dispose());

  const metricKeys = () => {
    const keys = new Set<string>(['default']);
    for (const r of trial.intermediate) for (const k of Object.keys(r.metrics ?? {})) keys.add(k);
    return [...keys];
  };
  const renderMetricSel = () => {
    const cur = metricSel.value || 'default';
    replace(metricSel, metricKeys().map((k) => h('option', { value: k }, k)));
    metricSel.value = cur;
  };
  metricSel.addEventListener('change', () => renderChart());

  const renderChart = () => {
    const key = metricSel.value || 'default';
    const data = trial.intermediate
      .map((r) => [r.step, num(key === 'default' ? r.value : r.metrics?.[key] ?? null)])
      .filter((p) => Number.isFinite(p[1]));
    chartEl.dataset.points = String(data.length);
    chart.draw(({ axisStyle, baseOption }) => ({
      ...baseOption(),
      tooltip: { ...(baseOption().tooltip as object), trigger: 'axis' },
      xAxis: { type: 'value', name: 'step', minInterval: 1, ...axisStyle() },
      yAxis: { type: 'value', scale: true, ...axisStyle() },
      series: [{ name: key, type: 'line', showSymbol: data.length < 60, data, color: cssVar('--accent') }],
    }));
  };

  const renderSummary = () => {
    const canKill = ctx.canAct() && exp.running && isActive(trial.status);
    replace(summary,
      h('div', { class: 'trial-status' }, badge(trial.status), canKill ? killButton(ctx, exp.id, seq) : null),
      h('dl', { class: 'kv' },
        h('dt', null, 'Final'), h('dd', { id: 'trial-final' }, fmtMetric(trial.final)),
        Object.entries(trial.metrics ?? {}).filter(([k]) => k !== 'default').flatMap(([k, v]) => [h('dt', null, k), h('dd', null, fmtMetric(v))]),
        h('dt', null, 'Results'), h('dd', null, String(trial.intermediate_total ?? trial.intermediate.length)),
        h('dt', null, 'Duration'), h('dd', null, fmtDuration(trial.duration_s)),
        h('dt', null, 'Started'), h('dd', null, fmtTime(trial.started)),
        h('dt', null, 'Ended'), h('dd', null, fmtTime(trial.ended)),
        h('dt', null, 'Exit code'), h('dd', null, trial.exit_code === null ? '—' : String(trial.exit_code)),
        trial.reason ? [h('dt', null, 'Reason'), h('dd', { class: 'pre-wrap' }, trial.reason)] : null));
    const flat = flatten(trial.params);
    replace(paramsBox, h('table', { class: 'grid compact', id: 'trial-params' },
      h('tbody', null, Object.entries(flat).map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, fmtValue(v)))))));
    replace(eventsBox, trial.events?.length
      ? h('table', { class: 'grid compact' }, h('tbody', null, trial.events.map((e) =>
        h('tr', null, h('td', null, fmtTime(e.time)), h('td', null, e.kind), h('td', { class: 'pre-wrap' }, e.detail)))))
      : h('p', { class: 'muted' }, 'No events.'));
  };

  let logSeq = 0;
  async function loadLog(): Promise<void> {
    const mine = ++logSeq;
    streamBtns.forEach((b) => b.classList.toggle('active', b.dataset.stream === stream));
    download.setAttribute('href', url(`${expPath(exp.id)}/trials/${seq}/log/download`, { stream }));
    try {
      const log = await get<LogTail>(`${expPath(exp.id)}/trials/${seq}/log`, { stream, tail: 65536 });
      if (ctx.gone() || mine !== logSeq) return;
      const atBottom = logPre.scrollTop + logPre.clientHeight >= logPre.scrollHeight - 4;
      logPre.textContent = log.text || '(empty)';
      logInfo.textContent = log.truncated ? `last ${log.size - log.offset} of ${log.size} bytes` : `${log.size} bytes`;
      if (atBottom) logPre.scrollTop = logPre.scrollHeight;
    } catch (e) {
      if (!ctx.gone() && mine === logSeq) logPre.textContent = e instanceof Error ? e.message : String(e);
    }
  }

  // Pictures are <img> elements: a browser never runs script in an image.
  let shownOutputs = '';
  async function loadOutputs(): Promise<void> {
    const base = `${expPath(exp.id)}/trials/${seq}/outputs`;
    try {
      const list = await get<OutputList>(base);
      const key = JSON.stringify(list);
      if (ctx.gone() || key === shownOutputs) return;
      shownOutputs = key;
      const fileUrl = (f: { name: string; size: number }) => url(`${base}/${encodeURIComponent(f.name)}`, { v: f.size });
      const pictures = list.files.filter((f) => /^image\//.test(f.type));
      const others = list.files.filter((f) => !/^image\//.test(f.type));
      outputsCard.hidden = list.files.length === 0;
      replace(outputsCard.lastElementChild!,
        h('div', { class: 'outputs' }, pictures.map((f) => h('figure', { class: 'output-picture' },
          h('img', { attrs: { src: fileUrl(f), alt: f.name, loading: 'lazy' } }), h('figcaption', { class: 'muted' }, f.name)))),
        others.length ? h('ul', { class: 'output-files' }, others.map((f) => h('li', null,
          h('a', { href: fileUrl(f), attrs: { download: f.name } }, f.name), ' ', h('span', { class: 'muted' }, fmtBytes(f.size))))) : null,
        list.truncated ? h('p', { class: 'muted' }, 'Only the first files are listed.') : null);
    } catch { /* keep what is shown */ }
  }

  renderSummary();
  renderMetricSel();
  renderChart();
  void loadLog();
  void loadOutputs();

  // Live: new results extend the curve; a state change re-reads the whole trial.
  const refetch = throttle(async () => {
    try {
      trial = await get<TrialDetail>(`${expPath(exp.id)}/trials/${seq}`);
      if (ctx.gone()) return;
      renderSummary();
      renderMetricSel();
      renderChart();
      void loadOutputs();
    } catch { /* keep what is shown */ }
  }, 1000);
  const redraw = throttle(renderChart, 300);
  const relog = throttle(() => { void loadLog(); void loadOutputs(); }, 2000);
  ctx.onDispose(() => { refetch.cancel(); redraw.cancel(); relog.cancel(); });
  ctx.onDispose(subscribe(exp.id, exp.cursor, (u) => {
    if (u.experiment) exp = { ...exp, ...u.experiment } as Experiment;
    let grew = false;
    for (const m of u.metrics) {
      if (m.seq !== seq) continue;
      if (trial.intermediate.some((r) => r.step === m.step)) continue;
      trial.intermediate.push({ step: m.step, value: m.value });
      grew = true;
    }
    if (grew) { redraw(); relog(); }
    const t = u.trials.find((x) => x.seq === seq);
    if (t && (t.status !== trial.status || t.final !== trial.final)) {
      trial = { ...trial, ...t };
      renderSummary();
      refetch();
      relog();
    }
  }));
}
