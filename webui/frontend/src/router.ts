// A small path router over the History API. The server answers index.html for every
// non-API path, so /experiments/<id>/trials/<seq> can be loaded or reloaded directly.

export interface Route {
  name: string;
  params: Record<string, string>;
  query: URLSearchParams;
}

const kPatterns: [string, RegExp][] = [
  ['experiments', /^\/(?:experiments\/?)?$/],
  ['overview', /^\/experiments\/([a-z0-9]{1,32})\/?$/],
  ['trials', /^\/experiments\/([a-z0-9]{1,32})\/trials\/?$/],
  ['trial', /^\/experiments\/([a-z0-9]{1,32})\/trials\/(\d+)\/?$/],
  ['parallel', /^\/experiments\/([a-z0-9]{1,32})\/parallel\/?$/],
  ['compare', /^\/experiments\/([a-z0-9]{1,32})\/compare\/?$/],
];

export function match(pathname: string, search: string): Route {
  for (const [name, re] of kPatterns) {
    const m = re.exec(pathname);
    if (m) {
      const params: Record<string, string> = {};
      if (m[1]) params.id = m[1];
      if (m[2]) params.seq = m[2];
      return { name, params, query: new URLSearchParams(search) };
    }
  }
  return { name: 'notfound', params: {}, query: new URLSearchParams(search) };
}

export function currentRoute(): Route {
  return match(location.pathname, location.search);
}

let onChange: (() => void) | null = null;

export function startRouter(render: () => void): void {
  onChange = render;
  window.addEventListener('popstate', render);
  // Same-origin links marked data-nav navigate without reloading the page.
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest?.('a[data-nav]') as HTMLAnchorElement | null;
    if (!a) return;
    ev.preventDefault();
    navigate(a.getAttribute('href') ?? '/');
  });
  render();
}

export function navigate(href: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.scrollTo(0, 0);
  onChange?.();
}

/** Changes the query string of the current page without adding a history entry. */
export function setQuery(query: URLSearchParams): void {
  const s = query.toString();
  history.replaceState(null, '', location.pathname + (s ? `?${s}` : ''));
}
