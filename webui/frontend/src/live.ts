// Live updates from the server-sent event stream /experiments/{id}/events (API.md).
// The browser reconnects by itself and resends the last event id as the cursor.
import { url, type LiveUpdate } from './api';

export function subscribe(expId: string, cursor: string, onUpdate: (u: LiveUpdate) => void): () => void {
  const es = new EventSource(url(`/experiments/${encodeURIComponent(expId)}/events`, { cursor }));
  es.addEventListener('update', (ev) => {
    try {
      onUpdate(JSON.parse((ev as MessageEvent).data) as LiveUpdate);
    } catch (e) {
      console.error('hone: bad live update', e);
    }
  });
  return () => es.close();
}

/** Calls `f` at most once per `ms`, trailing call included. */
export function throttle(f: () => void, ms: number): { (): void; cancel(): void } {
  let timer = 0;
  let last = 0;
  const run = () => {
    timer = 0;
    last = Date.now();
    f();
  };
  const t = () => {
    if (timer) return;
    timer = window.setTimeout(run, Math.max(0, last + ms - Date.now()));
  };
  t.cancel = () => { window.clearTimeout(timer); timer = 0; };
  return t;
}
