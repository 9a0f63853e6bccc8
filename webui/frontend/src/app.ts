// The page shell: header (home link, breadcrumb, theme switch, token state), the page
// area, and notices. Each page renders into the area and registers its cleanups.
import { get, type Info } from './api';
import { h, link, replace } from './dom';
import { currentTheme, setTheme } from './theme';
import { getToken, setToken } from './token';

export interface Ctx {
  readonly info: Info | null;
  /** Resolves once `info` is known; pages await it before offering actions. */
  ready: Promise<void>;
  /** Actions can be offered: a manager may act and the token is right. */
  canAct(): boolean;
  /** Runs `f` when the page is left. */
  onDispose(f: () => void): void;
  /** A short message at the bottom of the screen. */
  notify(msg: string, kind?: 'ok' | 'error'): void;
  /** Sets the breadcrumb after the home link. */
  crumbs(...items: (string | [string, string])[]): void;
  /** True once the page was left (async work should stop). */
  gone(): boolean;
}

export class Shell {
  readonly main = h('main', { id: 'page' });
  private readonly crumbBar = h('nav', { class: 'crumbs', ariaLabel: 'breadcrumb' });
  private readonly tokenBtn = h('button', { class: 'btn ghost', type: 'button', id: 'token-btn' });
  private readonly notices = h('div', { class: 'notices', role: 'status' });
  private disposers: (() => void)[] = [];
  private generation = 0;
  info: Info | null = null;
  ready: Promise<void> = Promise.resolve();

  constructor(root: HTMLElement) {
    const themeBtn = h('button', { class: 'btn ghost', type: 'button', id: 'theme-toggle', title: 'Switch light/dark theme' });
    const setThemeLabel = () => { themeBtn.textContent = currentTheme() === 'dark' ? '☀ Light' : '☾ Dark'; };
    setThemeLabel();
    themeBtn.addEventListener('click', () => {
      setTheme(currentTheme() === 'dark' ? 'light' : 'dark');
      setThemeLabel();
    });
    this.tokenBtn.addEventListener('click', () => this.askToken());
    replace(root,
      h('header', { class: 'topbar' },
        link('/', h('span', { class: 'brand' }, 'hone')),
        this.crumbBar,
        h('div', { class: 'spacer' }),
        this.tokenBtn,
        themeBtn),
      this.main,
      this.notices);
  }

  loadInfo(): Promise<void> {
    this.ready = (async () => {
      try {
        this.info = await get<Info>('/info');
      } catch {
        this.info = null;
      }
      this.updateTokenBtn();
    })();
    return this.ready;
  }

  private updateTokenBtn(): void {
    const i = this.info;
    if (i?.read_only) {
      this.tokenBtn.textContent = 'Read-only';
      this.tokenBtn.title = 'This server was started by hone view: actions are disabled';
    } else if (i?.token_ok) {
      this.tokenBtn.textContent = 'Actions on';
      this.tokenBtn.title = 'The token is accepted: actions are enabled';
    } else {
      this.tokenBtn.textContent = 'Token';
      this.tokenBtn.title = 'Enter the token printed by hone to enable actions';
    }
  }

  private askToken(): void {
    const input = h('input', { type: 'password', placeholder: '64 hex characters (HONE_HOME/webui.token)', class: 'grow' });
    const form = h('form', { class: 'token-form' },
      h('label', null, 'Token ', input),
      h('button', { class: 'btn', type: 'submit' }, 'Save'),
      h('button', { class: 'btn ghost', type: 'button', on: { click: () => form.remove() } }, 'Cancel'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      setToken(input.value.trim());
      form.remove();
      await this.loadInfo();
      this.notify(this.info?.token_ok ? 'Token accepted' : 'Token not accepted', this.info?.token_ok ? 'ok' : 'error');
      window.dispatchEvent(new Event('hone:rerender'));
    });
    this.main.prepend(form);
    input.focus();
  }

  /** Leaves the current page and returns the context for the next one. */
  begin(): Ctx {
    for (const f of this.disposers.splice(0)) {
      try { f(); } catch (e) { console.error(e); }
    }
    const gen = ++this.generation;
    replace(this.main);
    replace(this.crumbBar);
    const shell = this;
    return {
      get info() { return shell.info; },
      ready: this.ready,
      canAct: () => !!this.info && !this.info.read_only && this.info.token_ok && getToken() !== '',
      onDispose: (f) => this.disposers.push(f),
      notify: (m, k) => this.notify(m, k),
      crumbs: (...items) => {
        replace(this.crumbBar, items.map((it) => typeof it === 'string' ? h('span', null, it) : link(it[1], it[0])));
        document.title = [...items].reverse().map((it) => (typeof it === 'string' ? it : it[0])).join(' · ') + ' · hone';
      },
      gone: () => gen !== this.generation,
    };
  }

  notify(msg: string, kind: 'ok' | 'error' = 'ok'): void {
    const n = h('div', { class: `notice ${kind}` }, msg);
    this.notices.appendChild(n);
    window.setTimeout(() => n.remove(), kind === 'error' ? 8000 : 4000);
  }
}
