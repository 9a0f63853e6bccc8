#!/usr/bin/python3
"""Tables and a convergence plot from the tuner benchmark's JSON lines.

  report.py --out bench/tuners/out --results bench/tuners/RESULTS.md \
            --plot bench/tuners/convergence.png [--default anneal] [--command "..."]

Reads every *.jsonl under --out: runs ({"values": [...]}) and latency lines
({"suggest_seconds": ...}). Regret = best value so far minus the known minimum.
"""
import argparse
import collections
import glob
import json
import math
import os

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FUNCTION_ORDER = ["branin", "hartmann6", "rosenbrock10", "ackley10", "levy10", "styblinski_tang8", "mixed"]
FLOOR = 1e-9  # regret shown on a log axis


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return math.nan
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def best_so_far(values, optimum):
    out, best = [], math.inf
    for v in values:
        if v is not None and math.isfinite(v):
            best = min(best, v)
        out.append(max(best - optimum, 0.0))
    return out


def fmt(x):
    if math.isnan(x):
        return "–"
    if x == 0:
        return "0"
    return "%.3g" % x


def load(out_dir):
    runs, latency = [], []
    for path in sorted(glob.glob(os.path.join(out_dir, "*.jsonl"))):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                item = json.loads(line)
                (latency if "suggest_seconds" in item else runs).append(item)
    return runs, latency


def label(run):
    return run["tuner"] if run["impl"] == "optuna" else "hone-" + run["tuner"]


def tables(runs, default):
    lines = []
    goals = {}
    for batch in sorted({r["batch"] for r in runs}):
        final = collections.defaultdict(list)  # (tuner, function) -> final regrets
        seeds = collections.defaultdict(set)
        for r in runs:
            if r["batch"] != batch:
                continue
            curve = best_so_far(r["values"], r["optimum"])
            final[(label(r), r["function"])].append(curve[-1] if curve else math.nan)
            seeds[(label(r), r["function"])].add(r["seed"])
        tuners = sorted({t for t, _ in final}, key=lambda t: (not t.startswith("hone"), t))
        functions = [f for f in FUNCTION_ORDER if any(f == g for _, g in final)]
        medians = {k: quantile(v, 0.5) for k, v in final.items()}
        ranks = collections.defaultdict(list)
        for f in functions:
            present = [t for t in tuners if (t, f) in medians]
            ordered = sorted(present, key=lambda t: medians[(t, f)])
            for t in present:  # average rank among ties
                better = sum(1 for u in present if medians[(u, f)] < medians[(t, f)])
                equal = sum(1 for u in present if medians[(u, f)] == medians[(t, f)])
                ranks[t].append(better + (equal + 1) / 2)
        n_seeds = sorted({len(s) for s in seeds.values()})
        title = "sequential (ask 1, tell 1)" if batch == 1 else "batches of %d (ask %d, tell %d)" % (batch, batch, batch)
        lines.append("### Final regret, %s, %s seeds per cell\n" % (title, "/".join(map(str, n_seeds))))
        lines.append("Median [25th – 75th percentile] of the best value found minus the known minimum; "
                     "lower is better. Mean rank: over the functions, by median.\n")
        lines.append("| tuner | " + " | ".join(functions) + " | mean rank |")
        lines.append("|---|" + "---|" * len(functions) + "---|")
        for t in sorted(tuners, key=lambda t: sum(ranks[t]) / max(len(ranks[t]), 1)):
            cells = []
            for f in functions:
                v = final.get((t, f))
                if not v:
                    cells.append("–")
                    continue
                cells.append("%s [%s – %s]" % (fmt(quantile(v, .5)), fmt(quantile(v, .25)), fmt(quantile(v, .75))))
            lines.append("| %s | %s | %.2f |" % (t, " | ".join(cells), sum(ranks[t]) / max(len(ranks[t]), 1)))
        lines.append("")
        # The goals, stated per function.
        d = "hone-" + default
        opt_tpe = "optuna-tpe"
        beats, some = [], []
        for f in functions:
            if (d, f) in medians and (opt_tpe, f) in medians and medians[(d, f)] < medians[(opt_tpe, f)]:
                beats.append(f)
            hone_best = min((medians[(t, f)] for t in tuners if t.startswith("hone") and (t, f) in medians), default=math.inf)
            optuna_best = min((medians[(t, f)] for t in tuners if t.startswith("optuna") and (t, f) in medians), default=math.inf)
            if hone_best <= optuna_best:
                some.append(f)
        goals[batch] = (functions, beats, some, d in tuners)
    return lines, goals


def latency_table(latency):
    if not latency:
        return []
    lines = ["### Suggest latency at %d finished trials (Hartmann-6)\n" % latency[0]["history"],
             "Median of 5 of: one suggestion plus telling its result, after the history was "
             "given in one go. hone: in process, C++; Optuna: `study.ask()` + `study.tell()`.\n",
             "| tuner | seconds per suggestion |", "|---|---|"]
    for item in sorted(latency, key=lambda i: i["suggest_seconds"]):
        name = item["tuner"] if item["impl"] == "optuna" else "hone-" + item["tuner"]
        lines.append("| %s | %.3g |" % (name, item["suggest_seconds"]))
    lines.append("")
    return lines


def plot(runs, path, batch=1):
    curves = collections.defaultdict(list)
    for r in runs:
        if r["batch"] == batch:
            curves[(label(r), r["function"])].append(best_so_far(r["values"], r["optimum"]))
    functions = [f for f in FUNCTION_ORDER if any(f == g for _, g in curves)]
    tuners = sorted({t for t, _ in curves}, key=lambda t: (not t.startswith("hone"), t))
    cols = 4
    rows = max(1, math.ceil((len(functions) + 1) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    hone_colors, optuna_colors = plt.get_cmap("tab10"), plt.get_cmap("Dark2")
    hone_tuners = [t for t in tuners if t.startswith("hone")]
    other_tuners = [t for t in tuners if not t.startswith("hone")]

    def color(t):
        if t in hone_tuners:
            return hone_colors(hone_tuners.index(t) % 10)
        return optuna_colors(other_tuners.index(t) % 8)
    for i, f in enumerate(functions):
        ax = axes[i // cols][i % cols]
        for j, t in enumerate(tuners):
            cs = curves.get((t, f))
            if not cs:
                continue
            n = min(len(c) for c in cs)
            med = [max(quantile([c[k] for c in cs], .5), FLOOR) for k in range(n)]
            ax.plot(range(1, n + 1), med, label=t, color=color(t),
                    linestyle="-" if t.startswith("hone") else "--", linewidth=1.4)
        ax.set_yscale("log")
        ax.set_title(f)
        ax.set_xlabel("evaluations")
        ax.set_ylabel("median regret")
        ax.grid(True, which="major", alpha=.3)
    for k in range(len(functions), rows * cols):
        axes[k // cols][k % cols].axis("off")
    handles, labels = axes[0][0].get_legend_handles_labels()
    axes[-1][-1].legend(handles, labels, loc="center", fontsize=8)
    fig.suptitle("Median best-so-far regret, sequential (hone solid, Optuna dashed)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="bench/tuners/out")
    ap.add_argument("--results", default="bench/tuners/RESULTS.md")
    ap.add_argument("--plot", default="bench/tuners/convergence.png")
    ap.add_argument("--default", default="anneal", help="hone's default tuner, for the goals")
    ap.add_argument("--command", default="bench/tuners/run")
    ap.add_argument("--note", default="")
    args = ap.parse_args()
    runs, latency = load(args.out)
    body, goals = tables(runs, args.default)
    out = ["# Tuner benchmark: hone vs Optuna 3.1\n",
           "Made by `%s`. Budget %s evaluations per run; functions in `bench/tuners/functions.cc` "
           "(and the same in `run_optuna.py`); known minima subtracted. Raw runs: `%s/*.jsonl`.\n"
           % (args.command, "/".join(map(str, sorted({len(r["values"]) for r in runs}))), args.out)]
    if args.note:
        out.append(args.note + "\n")
    out += body
    out += latency_table(latency)
    out.append("### Goals\n")
    for batch, (functions, beats, some, has_default) in sorted(goals.items()):
        mode = "sequential" if batch == 1 else "batch %d" % batch
        if has_default:
            out.append("- %s: hone-%s has a lower median regret than optuna-tpe on %d of %d functions (%s): goal (>= 5) %s."
                       % (mode, args.default, len(beats), len(functions), ", ".join(beats) or "none",
                          "holds" if len(beats) >= 5 else "does not hold"))
        else:
            out.append("- %s: hone's default tuner (%s) was not registered when this ran." % (mode, args.default))
        out.append("- %s: some hone tuner is at least as good as the best Optuna sampler (by median) on %d of %d "
                   "functions (%s): goal %s." % (mode, len(some), len(functions), ", ".join(some) or "none",
                                                   "holds" if len(some) == len(functions) else "does not hold"))
    out.append("")
    with open(args.results, "w") as f:
        f.write("\n".join(out))
    plot(runs, args.plot)


if __name__ == "__main__":
    main()
