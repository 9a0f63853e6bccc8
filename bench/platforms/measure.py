#!/usr/bin/python3
"""Per-trial overhead of hone's platforms on trivial trials, side by side in one run:
local, remote over a real sshd on 127.0.0.1 (with and without ControlMaster
multiplexing), slurm on a private single-node Slurm, and the bare baselines (N `ssh host
true`, N `sbatch --parsable` then waiting on squeue).

Driven by bench/platforms/run; see README.md for the rows, the formulas and the goals.
Prints the table and writes out/results.md and out/results.json next to this file.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time

from daemons import Sshd, SlurmCluster

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# One final report, no interpreter start-up: the figures are the platforms' own cost.
TRIAL_SH = "#!/bin/sh\necho '@hone {\"type\":\"final\",\"value\":1}'\n"

EXPERIMENT_YAML = """\
experimentName: bench-platforms
searchSpace:
  x: {{_type: uniform, _value: [0, 1]}}
trialCommand: sh trial.sh
trialCodeDirectory: {code}
trialConcurrency: {concurrency}
maxTrialNumber: {trials}
seed: 1
tuner: {{name: random, classArgs: {{optimize_mode: maximize}}}}
trainingService:
{service}"""


class Unsupported(Exception):
    """The hone binary refused the configuration (e.g. a key it does not know yet)."""


class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.code = os.path.join(work, "code")
        os.makedirs(self.code)
        with open(os.path.join(self.code, "trial.sh"), "w") as f:
            f.write(TRIAL_SH)
        self.runs = 0

    def hone(self, label, service, trials, concurrency, env=None):
        """One `hone run` of `trials` trivial trials in a fresh HONE_HOME; its wall seconds
        from process start to exit. Every trial must have succeeded."""
        self.runs += 1
        home = os.path.join(self.work, f"home-{self.runs}")
        os.makedirs(home)
        exp = os.path.join(home, "exp.yaml")
        with open(exp, "w") as f:
            f.write(EXPERIMENT_YAML.format(code=self.code, concurrency=concurrency, trials=trials,
                                           service=service))
        env = dict(env or os.environ, HONE_HOME=home)
        # Every slurm run pays its start probe: no run may reuse the last one's success.
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(self.code, ".hone-slurm-probe-ok"))
        start = time.perf_counter()
        proc = subprocess.run([self.args.hone, "run", "-q", "--no-ui", exp], env=env,
                              capture_output=True, text=True, timeout=self.args.run_timeout)
        wall = time.perf_counter() - start
        if proc.returncode == 2 and "multiplex" in proc.stderr and "multiplex" in service:
            raise Unsupported(proc.stderr.strip().splitlines()[0])
        if proc.returncode != 0:
            sys.exit(f"{label}: hone run exited {proc.returncode}\n{proc.stdout}{proc.stderr}")
        [exp_id] = os.listdir(os.path.join(home, "experiments"))
        db = sqlite3.connect(f"file:{os.path.join(home, 'experiments', exp_id, 'hone.db')}?mode=ro", uri=True)
        statuses = dict(db.execute("SELECT status, count(*) FROM trials GROUP BY status"))
        db.close()
        if statuses != {"succeeded": trials}:
            sys.exit(f"{label}: expected {trials} succeeded trials, got {statuses}")
        if not self.args.keep:
            shutil.rmtree(home, ignore_errors=True)
        return wall

    def hone_row(self, label, service, concurrency, env=None, one=None):
        """A row for hone: N trials, and (unless `one` gives it) a 1-trial run for the
        steady per-trial cost."""
        n, k = self.args.trials, self.args.repeats
        wall = median(lambda: self.hone(label, service, n, concurrency, env), k)
        if one is None:
            one = median(lambda: self.hone(label + " (1 trial)", service, 1, 1, env), k)
        return row(label, n, concurrency, wall, one)


def median(thunk, repeats):
    return statistics.median(thunk() for _ in range(repeats))


def row(label, n, concurrency, wall, wall_1):
    """Table figures. steady = (wall(N) - wall(1)) / (N - 1): what one more trial costs;
    fixed = wall(N) - N x steady: the once-per-run cost (start-up, shutdown)."""
    steady = (wall - wall_1) / (n - 1) if n > 1 else wall
    return {"platform": label, "trials": n, "concurrency": concurrency, "wall_s": wall,
            "wall_1_s": wall_1, "trials_per_s": n / wall, "ms_per_trial": wall / n * 1e3,
            "steady_ms_per_trial": steady * 1e3, "fixed_s": wall - n * steady}


def na_row(label, n, concurrency, why):
    return {"platform": label, "trials": n, "concurrency": concurrency, "na": why}


def remote_service(sshd, multiplex):
    machine = (f"    - host: 127.0.0.1\n      port: {sshd.port}\n      user: {sshd.user}\n"
               f"      sshKeyFile: {sshd.key}\n")
    if not multiplex:
        machine += "      multiplex: false\n"
    return (f"  platform: remote\n  remoteDir: {os.path.join(sshd.dir, 'host')}\n"
            f"  sshOptions: [StrictHostKeyChecking=no, UserKnownHostsFile={sshd.known_hosts}]\n"
            f"  machineList:\n{machine}")


def ssh_loop(sshd, n, multiplex, work):
    """N sequential `ssh host true`; (wall, first call's wall)."""
    argv = sshd.ssh_base()
    control = os.path.join(work, "cm-%C")
    if multiplex:
        argv += ["-o", "ControlMaster=auto", "-o", f"ControlPath={control}", "-o", "ControlPersist=60"]
    else:
        argv += ["-o", "ControlMaster=no", "-o", "ControlPath=none"]
    argv += ["127.0.0.1", "true"]
    times = []
    try:
        for _ in range(n):
            start = time.perf_counter()
            subprocess.run(argv, stdin=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - start)
    finally:
        if multiplex:  # the master this loop started
            subprocess.run(sshd.ssh_base() + ["-o", f"ControlPath={control}", "-O", "exit", "127.0.0.1"],
                           capture_output=True)
    return sum(times), times[0]


def sbatch_loop(cluster, n, poll, work, timeout):
    """N `sbatch --parsable` of the same trial, then squeue every `poll` seconds until
    none of those jobs is left pending, running or completing; the wall seconds."""
    out = tempfile.mkdtemp(prefix="loop-", dir=work)
    job = os.path.join(out, "job.sh")
    with open(job, "w") as f:
        f.write(f"#!/bin/sh\ncd {shlex.quote(os.path.join(work, 'code'))} && exec sh trial.sh\n")
    env = cluster.env()
    start = time.perf_counter()
    ids = []
    for _ in range(n):
        sub = subprocess.run(["sbatch", "--parsable", "--job-name=bench-loop", f"--chdir={out}",
                              f"--output={out}/%j.out", job], env=env, capture_output=True, text=True, check=True)
        ids.append(sub.stdout.strip().split(";")[0])
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            sys.exit(f"sbatch loop: jobs {','.join(ids)} still queued after {timeout} s")
        q = subprocess.run(["squeue", "-h", "-o", "%i", "-t", "PD,CF,R,CG,S", "-j", ",".join(ids)],
                           env=env, capture_output=True, text=True)
        if q.returncode == 0 and not q.stdout.split():
            break
        time.sleep(poll)
    wall = time.perf_counter() - start
    done = sum(1 for i in ids if open(f"{out}/{i}.out").read().startswith("@hone "))
    if done != n:
        sys.exit(f"sbatch loop: {done} of {n} jobs printed their report")
    return wall


def goal(text, value, limit, holds):
    return {"goal": text, "value": value, "limit": limit, "result": "PASS" if holds else "FAIL"}


def goals(rows):
    """The issue's goal lines, from this run's rows."""
    # The goals are about sequential per-trial overhead (remote) and a full batch (slurm):
    # the rows at the concurrency the benchmark runs them first.
    by = {}
    for r in rows:
        if "na" not in r:
            by.setdefault(r["platform"], r)
    out = []
    for hone_label, ssh_label in (("remote, multiplexed", "ssh host true, ControlMaster"),
                                  ("remote, not multiplexed", "ssh host true, no multiplexing")):
        text = f"{hone_label}: steady ms/trial - `{ssh_label}` ms/call <= 50"
        if hone_label in by and ssh_label in by:
            d = by[hone_label]["steady_ms_per_trial"] - by[ssh_label]["steady_ms_per_trial"]
            out.append(goal(text, d, 50, d <= 50))
        else:
            out.append({"goal": text, "result": "n/a"})
    text = "slurm through hone: wall s <= plain sbatch loop wall s"
    if "slurm" in by and "sbatch loop" in by:
        a, b = by["slurm"]["wall_s"], by["sbatch loop"]["wall_s"]
        out.append(goal(text, a, b, a <= b))
    else:
        out.append({"goal": text, "result": "n/a"})
    return out


def fmt(v, digits):
    return f"{v:.{digits}f}"


def table(rows, goal_lines):
    lines = ["| platform | trials | concurrency | wall s | trials/s | ms/trial | steady ms/trial | fixed s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "na" in r:
            lines.append(f"| {r['platform']} | {r['trials']} | {r['concurrency']} | n/a | n/a | n/a | n/a | n/a |")
            continue
        lines.append(f"| {r['platform']} | {r['trials']} | {r['concurrency']} | {fmt(r['wall_s'], 2)} | "
                     f"{fmt(r['trials_per_s'], 1)} | {fmt(r['ms_per_trial'], 1)} | "
                     f"{fmt(r['steady_ms_per_trial'], 1)} | {fmt(r['fixed_s'], 2)} |")
    lines += ["", "| goal | measured | limit | result |", "|---|---:|---:|---|"]
    for g in goal_lines:
        if g["result"] == "n/a":
            lines.append(f"| {g['goal']} | n/a | | n/a |")
        else:
            lines.append(f"| {g['goal']} | {fmt(g['value'], 1)} | {fmt(g['limit'], 1)} | {g['result']} |")
    notes = [f"- {r['platform']}: n/a ({r['na']})" for r in rows if "na" in r]
    return "\n".join(lines + ([""] + notes if notes else []))


def measure(args, work, bench, sshd, cluster):
    """Every row, in table order. Local first; the daemons are started by main()."""
    n = args.trials
    rows = []
    local = "  platform: local\n"
    rows.append(bench.hone_row("local", local, 1))
    rows.append(bench.hone_row("local", local, args.wide, one=rows[-1]["wall_1_s"]))
    if sshd:
        for label, multiplex in (("ssh host true, no multiplexing", False), ("ssh host true, ControlMaster", True)):
            loops = [ssh_loop(sshd, n, multiplex, work) for _ in range(args.repeats)]
            rows.append(row(label, n, 1, statistics.median(w for w, _ in loops),
                            statistics.median(f for _, f in loops)))
        mux = bench.hone_row("remote, multiplexed", remote_service(sshd, True), 1)
        rows.append(mux)
        try:
            rows.append(bench.hone_row("remote, not multiplexed", remote_service(sshd, False), 1))
        except Unsupported as e:
            rows.append(na_row("remote, not multiplexed", n, 1, f"this hone refuses `multiplex: false`: {e}"))
        rows.append(bench.hone_row("remote, multiplexed", remote_service(sshd, True), args.wide,
                                   one=mux["wall_1_s"]))
    if cluster:
        c = args.slurm_concurrency or n
        service = (f"  platform: slurm\n  pollInterval: {args.slurm_poll}\n  maxConcurrentJobs: {c}\n")
        rows.append(bench.hone_row("slurm", service, c, env=cluster.env()))
        k, t = args.repeats, args.run_timeout
        rows.append(row("sbatch loop", n, c, median(lambda: sbatch_loop(cluster, n, args.slurm_poll, work, t), k),
                        median(lambda: sbatch_loop(cluster, 1, args.slurm_poll, work, t), k)))
    return rows


def write_results(args, rows, goal_lines, text, meta):
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows, "goals": goal_lines}, f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hone", required=True)
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3, help="runs of each case; the table shows medians")
    ap.add_argument("--wide", type=int, default=4, help="the concurrency of the extra local and remote rows")
    ap.add_argument("--slurm-concurrency", type=int, default=0, help="default: --trials")
    ap.add_argument("--slurm-poll", type=float, default=0.2,
                    help="seconds between squeue calls, for hone's pollInterval and the sbatch loop alike")
    ap.add_argument("--skip-remote", action="store_true")
    ap.add_argument("--skip-slurm", action="store_true")
    ap.add_argument("--run-timeout", type=float, default=240, help="seconds one hone run may take")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (its path is printed)")
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    args = ap.parse_args()
    if args.trials < 2:
        sys.exit("--trials must be at least 2")

    # SIGTERM (a timeout, a Ctrl-C of the run script) still stops the daemons.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench/platforms: terminated"))
    work = tempfile.mkdtemp(prefix="hone-bench-platforms-")
    os.chmod(work, 0o755)  # slurmd runs the jobs; the sshd's StrictModes is off
    sshd = None if args.skip_remote else Sshd(work)
    cluster = None if args.skip_slurm else SlurmCluster(work, ROOT)
    start = time.perf_counter()
    try:
        if sshd:
            sshd.start()
        if cluster:
            cluster.start()
        rows = measure(args, work, Bench(args, work), sshd, cluster)
    finally:
        for daemon in (cluster, sshd):
            if daemon:
                try:
                    daemon.stop()
                except Exception as e:  # the other one is still stopped, and the first error kept
                    print(f"bench/platforms: stopping {type(daemon).__name__}: {e}", file=sys.stderr)
        if args.keep:
            print(f"scratch kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    goal_lines = goals(rows)
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": platform.node(), "cpus": os.cpu_count(), "trials": args.trials,
            "slurm_poll_s": args.slurm_poll, "slurm_node_cpus": cluster.cpus if cluster else None,
            "total_s": time.perf_counter() - start,
            "hone_version": subprocess.run([args.hone, "--version"], capture_output=True, text=True).stdout.strip()}
    text = table(rows, goal_lines)
    text += (f"\n\n{meta['date']}, {meta['cpus']} CPUs, {args.trials} trials per row, median of {args.repeats}, {meta['hone_version']}; "
             f"slurm node {meta['slurm_node_cpus']} CPUs, squeue every {args.slurm_poll} s; "
             f"benchmark total {meta['total_s']:.0f} s")
    print(text)
    write_results(args, rows, goal_lines, text, meta)


if __name__ == "__main__":
    main()
