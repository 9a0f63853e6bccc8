// Experiment actions (token required, API.md "Actions"): stop, change limits, add a trial.
import { expPath, post, type Experiment } from '../api';
import type { Ctx } from '../app';
import { confirmButton, h } from '../dom';

export function actionsPanel(ctx: Ctx, exp: Experiment): HTMLElement {
  if (!exp.running) return h('div');
  if (!ctx.canAct()) {
    return h('p', { class: 'muted hint' },
      ctx.info?.read_only ? 'Read-only view: actions are disabled.'
        : 'Actions need the token: open the address hone printed, or use Token at the top.');
  }
  const base = expPath(exp.id);
  const run = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
      ctx.notify(`${what}: requested`);
    } catch (e) {
      ctx.notify(`${what}: ${e instanceof Error ? e.message : e}`, 'error');
    }
  };

  const limitField = (label: string, key: string, value: number | null, min: number, nullable: boolean) => {
    const input = h('input', { type: 'number', value: value === null ? '' : String(value), attrs: { min: String(min), step: '1' }, class: 'narrow', id: `limit-${key}` });
    const form = h('form', { class: 'inline-form' },
      h('label', null, label, ' ', input),
      h('button', { class: 'btn small', type: 'submit' }, 'Set'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const raw = input.value.trim();
      if (raw === '' && !nullable) return;
      const v = raw === '' ? null : Number(raw);
      if (v !== null && (!Number.isFinite(v) || v < min)) {
        ctx.notify(`${label}: must be a number >= ${min}`, 'error');
        return;
      }
      void run(label, () => post(`${base}/limits`, { [key]: v }));
    });
    return form;
  };

  const text = h('textarea', { class: 'code', attrs: { rows: '4', spellcheck: 'false' }, id: 'add-trial-params' });
  text.value = JSON.stringify(exp.best?.params ?? {}, null, 1);
  const addForm = h('form', { class: 'add-trial' },
    h('p', { class: 'muted' }, 'Parameters as JSON; the trial runs next and counts against the trial budget.'),
    text,
    h('button', { class: 'btn', type: 'submit' }, 'Add trial'));
  addForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    let parameters: unknown;
    try {
      parameters = JSON.parse(text.value);
    } catch (e) {
      ctx.notify(`Add trial: not JSON (${e instanceof Error ? e.message : e})`, 'error');
      return;
    }
    void run('Add trial', () => post(`${base}/trials`, { parameters }));
  });

  const b = exp.budget;
  return h('section', { class: 'actions card' },
    h('div', { class: 'actions-row' },
      limitField('Concurrency', 'trial_concurrency', b.trial_concurrency, 1, false),
      limitField('Max trials', 'max_trial_number', b.max_trial_number, 1, false),
      limitField('Max trial s', 'max_trial_duration_s', b.max_trial_duration_s, 1, true),
      h('div', { class: 'spacer' }),
      confirmButton('Stop experiment', 'Confirm stop', () => run('Stop', () => post(`${base}/stop`)))),
    h('details', null, h('summary', null, 'Add a trial'), addForm));
}
