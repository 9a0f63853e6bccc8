#!/usr/bin/python3
"""Optuna side of the experiment-loop overhead benchmark.

Runs N trivial trials with Optuna (the Debian package, 3.1) and prints one JSON line:
{"wall_s", "cpu_s", "import_s", "trials", "complete"}. wall_s and cpu_s (this process
and its trial processes) cover create_study + optimize only; the interpreter start-up and
`import optuna` are left out and reported apart as import_s, which favours Optuna against
hone's process-start-to-exit figure. One case per process, so repeats share nothing.

  optuna_overhead.py --trials 2000 --storage sqlite --n-jobs 1
  optuna_overhead.py --trials 2000 --storage sqlite --n-jobs 8 --subprocess BIN
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

T0 = time.perf_counter()
import optuna  # noqa: E402  (timed on purpose)
IMPORT_S = time.perf_counter() - T0


def cpu_seconds():
    """CPU time of this process (all threads) and of its waited-for children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def in_process_objective(trial):
    return trial.suggest_float("x", 0.0, 1.0)


def subprocess_objective(binary):
    """One trial = one process, launched the way hone launches it (through /bin/sh -c)."""

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        env = dict(os.environ, HONE_PARAMS=json.dumps({"x": x}))
        out = subprocess.run(["/bin/sh", "-c", binary], env=env, stdout=subprocess.PIPE,
                             check=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("@hone "):
                report = json.loads(line[len("@hone "):])
                if report.get("type") == "final":
                    return float(report["value"])
        raise RuntimeError(f"trial printed no final report: {out!r}")

    return objective


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--storage", choices=["sqlite", "memory"], default="sqlite")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--subprocess", metavar="BIN",
                    help="run this trial binary once per trial instead of an in-process objective")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objective = subprocess_objective(args.subprocess) if args.subprocess else in_process_objective
    with tempfile.TemporaryDirectory(prefix="optuna-overhead-") as tmp:
        storage = f"sqlite:///{tmp}/optuna.db" if args.storage == "sqlite" else None
        start, cpu_start = time.perf_counter(), cpu_seconds()
        study = optuna.create_study(storage=storage, direction="maximize",
                                    sampler=optuna.samplers.RandomSampler(seed=args.seed))
        study.optimize(objective, n_trials=args.trials, n_jobs=args.n_jobs)
        wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
        complete = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    json.dump({"wall_s": wall, "cpu_s": cpu, "import_s": IMPORT_S, "trials": args.trials,
               "complete": complete}, sys.stdout)
    print()
    return 0 if complete == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
