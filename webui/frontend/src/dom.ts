// Builds DOM nodes. Strings always become text nodes: data from trials and configs is
// never parsed as HTML anywhere in the UI (no innerHTML, no insertAdjacentHTML).

export type Child = Node | string | number | null | undefined | false;
type Handler = (ev: Event) => void;
export interface Props {
  class?: string;
  title?: string;
  href?: string;
  type?: string;
  value?: string;
  placeholder?: string;
  disabled?: boolean;
  checked?: boolean;
  id?: string;
  role?: string;
  ariaLabel?: string;
  data?: Record<string, string>;
  on?: Record<string, Handler>;
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    if (props.class) el.className = props.class;
    if (props.title !== undefined) el.title = props.title;
    if (props.id) el.id = props.id;
    if (props.role) el.setAttribute('role', props.role);
    if (props.ariaLabel) el.setAttribute('aria-label', props.ariaLabel);
    if (props.href !== undefined) el.setAttribute('href', props.href);
    if (props.type !== undefined) el.setAttribute('type', props.type);
    if (props.placeholder !== undefined) el.setAttribute('placeholder', props.placeholder);
    if (props.value !== undefined) (el as HTMLInputElement).value = props.value;
    if (props.disabled) (el as HTMLButtonElement).disabled = true;
    if (props.checked) (el as HTMLInputElement).checked = true;
    for (const [k, v] of Object.entries(props.data ?? {})) el.dataset[k] = v;
    for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
    for (const [k, f] of Object.entries(props.on ?? {})) el.addEventListener(k, f);
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces all children of `el`. */
export function replace(el: Node, ...children: (Child | Child[])[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, children);
}

/** A same-origin link that the router handles without a page load. */
export function link(href: string, ...children: (Child | Child[])[]): HTMLAnchorElement {
  return h('a', { href, data: { nav: '1' } }, ...children);
}

/** A button that needs a second click within 4 s; no native dialogs are used. */
export function confirmButton(label: string, armedLabel: string, action: () => Promise<void>, cls = 'btn danger'): HTMLButtonElement {
  let armedUntil = 0;
  let timer = 0;
  const btn = h('button', { class: cls, type: 'button' }, label);
  btn.addEventListener('click', async () => {
    if (Date.now() > armedUntil) {
      armedUntil = Date.now() + 4000;
      btn.textContent = armedLabel;
      btn.classList.add('armed');
      timer = window.setTimeout(() => {
        btn.textContent = label;
        btn.classList.remove('armed');
      }, 4000);
      return;
    }
    window.clearTimeout(timer);
    armedUntil = 0;
    btn.disabled = true;
    btn.classList.remove('armed');
    btn.textContent = label;
    try {
      await action();
    } finally {
      btn.disabled = false;
    }
  });
  return btn;
}
