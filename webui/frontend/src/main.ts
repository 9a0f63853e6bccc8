// Entry point of hone's web UI: theme, token, shell and routes.
import './style.css';
import { Shell } from './app';
import { h, link } from './dom';
import { renderExperiments } from './pages/experiments';
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
    const lazy = <M>(load: () => Promise<M>, run: (m: M) => unknown) => {
      load().then((m) => { if (!ctx.gone()) void run(m); }, (e) => ctx.notify(String(e), 'error'));
    };
    switch (r.name) {
      case 'experiments': renderExperiments(main, ctx); break;
      // Pages with charts load ECharts on demand: the list and the leaderboard do not wait for it.
      case 'overview': lazy(() => import('./pages/overview'), (m) => m.renderOverview(main, ctx, r.params.id)); break;
      case 'trials': void renderTrials(main, ctx, r.params.id, r.query); break;
      case 'trial': lazy(() => import('./pages/trial'), (m) => m.renderTrial(main, ctx, r.params.id, Number(r.params.seq))); break;
      case 'parallel': lazy(() => import('./pages/parallel'), (m) => m.renderParallel(main, ctx, r.params.id, r.query)); break;
      case 'compare': lazy(() => import('./pages/compare'), (m) => m.renderCompare(main, ctx, r.params.id, r.query)); break;
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
