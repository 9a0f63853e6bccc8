// The action token: taken from the address fragment (#token=<hex>, as printed by the CLI),
// kept in localStorage and removed from the address bar. Sent only as a request header.
const kKey = 'hone.token';
let memory = '';  // when localStorage is unavailable

export function captureTokenFromHash(): void {
  const m = /(?:^#|&)token=([0-9a-fA-F]{16,128})/.exec(location.hash);
  if (!m) return;
  setToken(m[1]);
  history.replaceState(history.state, '', location.pathname + location.search);
}

export function getToken(): string {
  try {
    return localStorage.getItem(kKey) ?? memory;
  } catch {
    return memory;
  }
}

export function setToken(t: string): void {
  memory = t;
  try {
    if (t) localStorage.setItem(kKey, t);
    else localStorage.removeItem(kKey);
  } catch { /* storage disabled: the token lasts for this page only */ }
}
