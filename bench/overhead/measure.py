#!/usr/bin/python3
"""Experiment-loop overhead: hone against Optuna 3.1 on N trivial trials.

Driven by bench/overhead/run, which builds the binaries; see README.md for what each
row means. Writes out/results.md and out/results.json next to this file and prints the
table. Every case runs `repeats` times in a fresh process and a fresh temporary store;
the table shows the median wall time and the other figures of that median run.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.environ.get("OVERHEAD_PYTHON", "/usr/bin/python3")  # Debian's has python3-optuna 3.1
CONCURRENCY = 8

EXPERIMENT_YAML = """\
experimentName: overhead
searchSpace:
  x: {{_type: uniform, _value: [0, 1]}}
trialCommand: {trial}
trialConcurrency: {concurrency}
maxTrialNumber: {trials}
seed: 1
tuner: {{name: random, classArgs: {{optimize_mode: maximize}}}}
trainingService: {{platform: local}}
"""


def timed(cmd, env=None):
    """Runs cmd to completion; returns (wall seconds, CPU seconds of it and its descendants, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def hone_once(hone, trial, trials, home_parent):
    """One `hone run -q` of `trials` trivial trials; wall from process start to exit."""
    home = tempfile.mkdtemp(prefix="hone-overhead-", dir=home_parent)
    try:
        exp = os.path.join(home, "exp.yaml")
        with open(exp, "w") as f:
            f.write(EXPERIMENT_YAML.format(trial=trial, concurrency=CONCURRENCY, trials=trials))
        env = dict(os.environ, HONE_HOME=home)
        wall, cpu, _ = timed([hone, "run", "-q", exp], env)
        exp_root = os.path.join(home, "experiments")
        [exp_id] = os.listdir(exp_root)
        db = sqlite3.connect(f"file:{os.path.join(exp_root, exp_id, 'hone.db')}?mode=ro", uri=True)
        statuses = dict(db.execute("SELECT status, count(*) FROM trials GROUP BY status"))
        span = db.execute("SELECT max(ended_at) - min(started_at) FROM trials").fetchone()[0]
        db.close()
        if statuses != {"succeeded": trials}:
            sys.exit(f"hone: expected {trials} succeeded trials, got {statuses}")
        return {"wall_s": wall, "cpu_s": cpu, "db_span_s": span}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def optuna_once(trials, storage, n_jobs, trial=None, tmp_parent=None):
    cmd = [PYTHON, os.path.join(HERE, "optuna_overhead.py"), "--trials", str(trials),
           "--storage", storage, "--n-jobs", str(n_jobs)]
    if trial:
        cmd += ["--subprocess", trial]
    env = dict(os.environ)
    if tmp_parent:
        env["TMPDIR"] = tmp_parent
    process_wall, _, out = timed(cmd, env)
    result = json.loads(out)
    if result["complete"] != trials:
        sys.exit(f"optuna: {result['complete']} of {trials} trials completed")
    return {"wall_s": result["wall_s"], "cpu_s": result["cpu_s"], "import_s": result["import_s"],
            "process_wall_s": process_wall}


def trial_alone(trial, runs, out_dir):
    """The trivial trial's own cost, sequential runs by hyperfine, with and without /bin/sh."""
    env = dict(os.environ, HONE_PARAMS='{"x":0.5}')
    costs = {}
    for name, cmd in (("bare", trial), ("sh", f"/bin/sh -c {trial}")):
        path = os.path.join(out_dir, f"trial_alone_{name}.json")
        subprocess.run(["hyperfine", "--shell=none", "--warmup", "20", "--runs", str(runs),
                        "--style", "none", "--export-json", path, cmd],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        with open(path) as f:
            r = json.load(f)["results"][0]
        costs[name] = {"wall_ms": r["median"] * 1e3, "cpu_ms": (r["user"] + r["system"]) * 1e3}
    return costs


def median_run(runs):
    walls = [r["wall_s"] for r in runs]
    m = statistics.median(walls)
    return min(runs, key=lambda r: abs(r["wall_s"] - m)), walls


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hone", required=True)
    ap.add_argument("--trial", required=True, help="the trivial trial binary (absolute path)")
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--disk-trials", type=int, default=200,
                    help="trials for the Optuna cases on on-disk SQLite (slow: fsync per commit)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tmp", default=tempfile.gettempdir(), help="on-disk scratch directory")
    ap.add_argument("--tmpfs", default="/dev/shm", help="in-memory scratch directory")
    ap.add_argument("--out", default=os.path.join(HERE, "out"), help="where results.{md,json} go")
    ap.add_argument("--skip-optuna", action="store_true", help="hone rows only")
    args = ap.parse_args()
    out_dir = args.out
    os.makedirs(out_dir, exist_ok=True)
    n, nd = args.trials, args.disk_trials
    has_tmpfs = os.path.isdir(args.tmpfs)

    # (label, trials, thunk). The first row is the reference for the ratio column.
    cases = [
        ("hone, process trials, c=8", n, lambda: hone_once(args.hone, args.trial, n, args.tmp)),
    ]
    if has_tmpfs:
        cases.append(("hone, process trials, c=8, HONE_HOME on tmpfs", n,
                      lambda: hone_once(args.hone, args.trial, n, args.tmpfs)))
    optuna_cases = [
        ("optuna in-process, sqlite, n_jobs=1", nd, lambda: optuna_once(nd, "sqlite", 1, tmp_parent=args.tmp)),
        ("optuna in-process, sqlite, n_jobs=8", nd, lambda: optuna_once(nd, "sqlite", 8, tmp_parent=args.tmp)),
        ("optuna subprocess, sqlite, n_jobs=8", nd,
         lambda: optuna_once(nd, "sqlite", 8, args.trial, tmp_parent=args.tmp)),
        ("optuna subprocess, sqlite, n_jobs=1", nd,
         lambda: optuna_once(nd, "sqlite", 1, args.trial, tmp_parent=args.tmp)),
    ]
    if has_tmpfs:
        optuna_cases.append(("optuna in-process, sqlite on tmpfs, n_jobs=1", n,
                             lambda: optuna_once(n, "sqlite", 1, tmp_parent=args.tmpfs)))
    optuna_cases.append(("optuna in-process, in-memory, n_jobs=1", n, lambda: optuna_once(n, "memory", 1)))
    if not args.skip_optuna:
        cases += optuna_cases

    started, load = time.time(), os.getloadavg()[0]
    alone_runs = min(n, 500)
    print(f"trivial trial alone: {alone_runs} sequential runs with hyperfine ...", file=sys.stderr, flush=True)
    alone = trial_alone(args.trial, alone_runs, out_dir)
    rows = []
    for label, trials, thunk in cases:
        runs = []
        for i in range(args.repeats):
            print(f"{label}: {trials} trials, run {i + 1}/{args.repeats} ...", file=sys.stderr, flush=True)
            runs.append(thunk())
        med, walls = median_run(runs)
        rows.append({"label": label, "trials": trials, "walls_s": walls, **med})
    elapsed = time.time() - started

    ref_ms = rows[0]["wall_s"] / rows[0]["trials"] * 1e3
    lines = [
        "| case | trials | wall s (median of %d) | trials/s | per-trial ms (wall/N) | CPU ms/trial | per-trial vs hone |"
        % args.repeats,
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        per_ms = r["wall_s"] / r["trials"] * 1e3
        lines.append(f"| {r['label']} | {r['trials']} | {r['wall_s']:.3f} | {r['trials'] / r['wall_s']:.1f} | "
                     f"{per_ms:.3f} | {r['cpu_s'] / r['trials'] * 1e3:.3f} | {per_ms / ref_ms:.2f}x |")

    hone = rows[0]
    t_sh = alone["sh"]["wall_ms"]
    slot_ms = hone["wall_s"] * CONCURRENCY / n * 1e3
    own_cpu_ms = hone["cpu_s"] / n * 1e3 - alone["sh"]["cpu_ms"]
    optuna_rows = [r for r in rows if "import_s" in r]
    notes = [
        "",
        f"- hone wall is `hone run -q` from process start to exit (manager start, database creation, "
        f"{n} trials, drain); the repeats took {', '.join(f'{w:.3f}' for w in hone['walls_s'])} s.",
        f"- hone in-database span, min(started_at) to max(ended_at): {hone['db_span_s']:.3f} s "
        f"({n / hone['db_span_s']:.1f} trials/s); the rest of the wall time is start-up and shutdown.",
        f"- The trivial trial alone (hyperfine, {alone_runs} sequential runs, median): {alone['bare']['wall_ms']:.3f} ms bare, "
        f"{t_sh:.3f} ms through `/bin/sh -c` as hone runs it; CPU through sh {alone['sh']['cpu_ms']:.3f} ms (mean).",
        f"- hone per-slot overhead = wall x {CONCURRENCY} / N - t_trial(sh) = {slot_ms:.3f} - {t_sh:.3f} = "
        f"{slot_ms - t_sh:.3f} ms: each of the {CONCURRENCY} slots turns over N/{CONCURRENCY} trials in the wall "
        f"time, so this is how long a slot waits per trial beyond the trial's own run time "
        f"(on {len(os.sched_getaffinity(0))} cores it includes queueing for a core behind the other slots' trials).",
        f"- hone's own CPU per trial = CPU ms/trial - the trial's CPU through sh = {hone['cpu_s'] / n * 1e3:.3f} - "
        f"{alone['sh']['cpu_ms']:.3f} = {own_cpu_ms:.3f} ms.",
        f"- Date {datetime.datetime.now().isoformat(timespec='minutes')}, {platform.node()}, "
        f"{len(os.sched_getaffinity(0))} cores, load average before the run {load:.2f}; total benchmark time "
        f"{elapsed:.0f} s.",
    ]
    if optuna_rows:
        notes[-1:-1] = [
            "- Optuna wall is create_study + optimize inside the interpreter; start-up and `import optuna` "
            "are left out of its wall and CPU figures and took "
            f"{statistics.median(r['process_wall_s'] - r['wall_s'] for r in optuna_rows):.3f} s per process "
            "(median).",
            f"- Optuna's on-disk SQLite rows use {nd} trials to keep the run short: its default SQLite "
            "settings (rollback journal, synchronous=FULL) fsync on every commit. The tmpfs row shows "
            "the same storage without the disk.",
        ]
    text = "\n".join(lines + notes) + "\n"
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"trials": n, "disk_trials": nd, "repeats": args.repeats, "trial_alone": alone,
                   "rows": rows}, f, indent=2)
    print(text)


if __name__ == "__main__":
    main()
