// Light and dark themes: CSS variables switched by <html data-theme>, kept in localStorage.
export type Theme = 'light' | 'dark';
const kKey = 'hone.theme';
const listeners: (() => void)[] = [];

export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

export function initTheme(): void {
  let t: string | null = null;
  try { t = localStorage.getItem(kKey); } catch { /* no storage */ }
  if (t !== 'light' && t !== 'dark') t = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  document.documentElement.dataset.theme = t;
}

export function setTheme(t: Theme): void {
  document.documentElement.dataset.theme = t;
  try { localStorage.setItem(kKey, t); } catch { /* no storage */ }
  listeners.forEach((f) => f());
}

export function onThemeChange(f: () => void): void {
  listeners.push(f);
}

/** A CSS variable of the current theme, for chart colours. */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
