// Entry point of hone's web UI: theme, token, shell and routes.
import './style.css';
import { Shell } from './app';
import { h, link } from './dom';
import { renderCompare } from './pages/compare';
import { renderExperiments } from './pages/experiments';
import { renderOverview } from './pages/overview';
import { renderParallel } from './pages/parallel';
import { renderTrial } from './pages/trial';
import { renderTrials } from './pages/trials';
import { currentRoute, startRouter } from './router';
import { initTheme, onThemeChange } from './theme';
import { captureTokenFromHash } from './token';

initTheme();
captureTokenFromHash();
const root = document.getElementById('app');
if (root) {
  const shell = new Shell(root);
  const render = () => {
    const ctx = shell.begin();
    const r = currentRoute();
    const main = shell.main;
    document.body.dataset.page = r.name;
    switch (r.name) {
      case 'experiments': renderExperiments(main, ctx); break;
      // Charts load ECharts on first use (lazy_chart.ts): no page waits for it to show data.
      case 'overview': void renderOverview(main, ctx, r.params.id); break;
      case 'trials': void renderTrials(main, ctx, r.params.id, r.query); break;
      case 'trial': void renderTrial(main, ctx, r.params.id, Number(r.params.seq)); break;
      case 'parallel': void renderParallel(main, ctx, r.params.id, r.query); break;
      case 'compare': void renderCompare(main, ctx, r.params.id, r.query); break;
      default:
        ctx.crumbs('Not found');
        main.append(h('h1', null, 'Not found'), h('p', null, link('/', 'All experiments')));
    }
  };
  // Charts take their colours from the theme: redraw the page when it changes.
  onThemeChange(render);
  window.addEventListener('hone:rerender', render);
  // The server's info (token accepted, read-only) is fetched alongside the first page's data.
  shell.loadInfo();
  startRouter(render);
}
