// Client for hone's HTTP API v1 (webui/API.md): typed GETs, token-bearing POSTs.
import { getToken } from './token';

export type Num = number | 'NaN' | 'Infinity' | '-Infinity' | null;
export type TrialState = 'waiting' | 'running' | 'succeeded' | 'failed' | 'early_stopped' | 'canceled' | 'timeout' | 'lost';
export const kStates: TrialState[] = ['waiting', 'running', 'succeeded', 'failed', 'early_stopped', 'canceled', 'timeout', 'lost'];

export interface Info { version: string; read_only: boolean; token_ok: boolean; home: string }

export interface ExperimentItem {
  id: string; name: string; status: string; running: boolean;
  created: number | null; updated: number | null; ui_port?: number | null;
  trial_count: number; best: Num; optimize_mode: string; error?: string;
}

export interface Budget {
  trial_concurrency: number | null; max_trial_number: number | null;
  max_experiment_duration_s: number | null; max_trial_duration_s: number | null;
  configs_created: number;
}

export interface Trial {
  seq: number; id: string; config_id: number; status: TrialState;
  params: Record<string, unknown>; final: Num; metrics: Record<string, Num>;
  created: number | null; started: number | null; ended: number | null;
  duration_s: number | null; exit_code: number | null; reason: string;
  latest: { step: number; value: Num } | null; intermediate_count: number;
}

export interface Intermediate { step: number; value: Num; metrics?: Record<string, Num>; time?: number }

export interface TrialDetail extends Trial {
  intermediate: Intermediate[]; intermediate_total: number;
  events: { time: number; kind: string; detail: string }[];
  log_sizes: { stdout: number; stderr: number };
}

export interface Experiment {
  id: string; name: string; status: string; running: boolean; error: string;
  created: number | null; updated: number | null; elapsed_s: number | null;
  optimize_mode: string; config: Record<string, unknown>; budget: Budget;
  trial_count: number; counts: Record<TrialState, number>; best: Trial | null;
  metric_keys: string[]; parameter_keys: string[];
  search_space: Record<string, unknown>; cursor: string;
}

export interface TrialPage {
  total: number; offset: number; limit: number; sort: string; order: string;
  cursor: string; trials: Trial[];
}

export interface OutputFile { name: string; size: number; type: string }
export interface OutputList { files: OutputFile[]; truncated: boolean }
export interface LogTail { stream: string; size: number; offset: number; truncated: boolean; text: string }
export interface BestSeries { metric: string; mode: string; finished: number; points: { seq: number; ended: number; value: Num; best: Num }[] }
export interface Durations { count: number; min: number | null; max: number | null; bins: { lo: number; hi: number; count: number }[] }
export interface Parallel {
  metric: string; mode: string; total: number; kept: number;
  parameters: { path: string; type: string; values: unknown[] }[];
  lines: { seq: number; value: Num; params: Record<string, unknown> }[];
}

export interface LiveUpdate {
  cursor: string;
  trials: Trial[];
  metrics: { seq: number; step: number; value: Num }[];
  experiment?: Partial<Experiment>;
}

export class ApiError extends Error {
  constructor(public status: number, message: string) { super(message); }
}

export type Query = Record<string, string | number | string[] | undefined>;

export function url(path: string, query?: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else q.set(k, String(v));
  }
  const s = q.toString();
  return `/api/v1${path}${s ? `?${s}` : ''}`;
}

function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

async function check(res: Response): Promise<Response> {
  if (res.ok) return res;
  let msg = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') msg = body.error;
  } catch { /* not JSON */ }
  throw new ApiError(res.status, msg);
}

export async function get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
  const res = await check(await fetch(url(path, query), { headers: authHeaders(), signal }));
  return (await res.json()) as T;
}

export async function post<T = unknown>(path: string, body: unknown = {}): Promise<T> {
  const res = await check(await fetch(url(path), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...authHeaders() },
    body: JSON.stringify(body),
  }));
  return (await res.json()) as T;
}

export const expPath = (id: string) => `/experiments/${encodeURIComponent(id)}`;
