#!/usr/bin/python3
"""Early-stopping benchmark on a replayed learning-curve file (platform: replay).

For random search and TPE, each without early stopping and with each assessor, and for
Hyperband and BOHB, over N seeds: total epochs consumed, best final accuracy found (among
trials that trained the full curve), and time to quality (simulated seconds until a
full-length trial reaches the target accuracy). Writes <out>/results.md, <out>/runs.json
and <out>/time_to_quality.png.

    run_bench.py --hone build/hone --curves FILE [--seeds 20] [--configs 60]
                 [--concurrency 4] [--out DIR] [--methods random,random+asha,...]

Every assessor and tuner run sees the same number of configurations (--configs).
Hyperband and BOHB, which run a configuration again at a larger budget, get as many
trials as it takes them to try that many configurations.
"""
import argparse
import json
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def assessors(epochs):
    return {
        "none": None,
        "medianstop": {"name": "medianstop", "classArgs": {"optimize_mode": "maximize", "start_step": 3}},
        "curvefitting": {"name": "curvefitting",
                         "classArgs": {"optimize_mode": "maximize", "epoch_num": epochs, "start_step": 4,
                                       "threshold": 0.95, "gap": 2}},
        "asha": {"name": "asha", "classArgs": {"optimize_mode": "maximize", "max_resource": epochs,
                                               "reduction_factor": 3, "grace_period": 1}},
        "percentile": {"name": "percentile", "classArgs": {"optimize_mode": "maximize", "percentile": 50,
                                                           "start_step": 2, "min_trials": 5}},
    }


def bracket_trials_for_configs(configs, max_budget, eta=3.0, min_budget=1.0):
    """Trials Hyperband hands out until it has tried `configs` configurations."""
    s_max = int(math.floor(math.log(max_budget / min_budget) / math.log(eta) + 1e-9))
    trials = seen = b = 0
    while seen < configs:
        s = s_max - (b % (s_max + 1))
        n = int(math.ceil((s_max + 1) / (s + 1) * eta ** s - 1e-9))
        for i in range(s + 1):
            size = max(1, int(math.floor(n / eta ** i + 1e-9)))
            if i == 0:
                take = min(size, configs - seen)
                seen += take
                trials += take
                if take < size:
                    return trials
            else:
                trials += size
        b += 1
    return trials


def methods(epochs, configs):
    out = {}
    for tuner in ("random", "tpe"):
        for name, assessor in assessors(epochs).items():
            label = tuner if name == "none" else tuner + "+" + name
            out[label] = {"tuner": {"name": tuner, "classArgs": {"optimize_mode": "maximize"}},
                          "assessor": assessor, "maxTrialNumber": configs}
    hb_trials = bracket_trials_for_configs(configs, epochs)
    out["hyperband"] = {"tuner": {"name": "hyperband", "classArgs": {"optimize_mode": "maximize", "R": epochs, "eta": 3}},
                        "assessor": None, "maxTrialNumber": hb_trials}
    out["bohb"] = {"tuner": {"name": "bohb", "classArgs": {"optimize_mode": "maximize", "min_budget": 1,
                                                            "max_budget": epochs, "eta": 3}},
                   "assessor": None, "maxTrialNumber": hb_trials}
    return out


def run_one(hone, curves, space, method, seed, concurrency, work):
    home = os.path.join(work, "home")
    shutil.rmtree(home, ignore_errors=True)
    cfg = {"experimentName": "es-bench", "searchSpace": space, "trialCommand": "replay",
           "trialConcurrency": concurrency, "maxTrialNumber": method["maxTrialNumber"], "seed": seed,
           "tuner": method["tuner"], "trainingService": {"platform": "replay", "curves": curves, "distinct": True}}
    if method["assessor"]:
        cfg["assessor"] = method["assessor"]
    path = os.path.join(work, "exp.json.yaml")
    with open(path, "w") as f:
        json.dump(cfg, f)  # JSON is YAML
    env = dict(os.environ, HONE_HOME=home)
    p = subprocess.run([hone, "run", path, "-q"], env=env, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        sys.exit("hone failed (%s seed %d):\n%s\n%s" % (method["tuner"]["name"], seed, p.stdout, p.stderr))
    (exp_id,) = os.listdir(os.path.join(home, "experiments"))
    db = sqlite3.connect(os.path.join(home, "experiments", exp_id, "hone.db"))
    counts = dict(db.execute("SELECT seq, COUNT(*) FROM metrics GROUP BY seq"))
    rows = db.execute("SELECT seq, status, final, created_at, ended_at FROM trials ORDER BY seq").fetchall()
    db.close()
    start = min(r[3] for r in rows)
    trials = [{"seq": seq, "status": status, "final": final, "epochs": counts.get(seq, 0), "end": ended - start}
              for seq, status, final, _, ended in rows]
    return trials


def summarize(trials, full_epochs, target):
    epochs = sum(t["epochs"] for t in trials)
    full = [t for t in trials if t["status"] == "succeeded" and t["epochs"] >= full_epochs and t["final"] is not None]
    best = max((t["final"] for t in full), default=float("nan"))
    reached = [t["end"] for t in full if t["final"] >= target]
    ttq = min(reached) if reached else None
    curve = sorted((t["end"], t["final"]) for t in full)
    return {"epochs": epochs, "best": best, "ttq": ttq, "curve": curve,
            "time": max(t["end"] for t in trials), "trials": len(trials)}


def reference(method):
    """The run without early stopping a method is compared with: its own sampler."""
    return "tpe" if method.startswith("tpe") or method == "bohb" else "random"


def fmt(x, digits=1):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else ("%." + str(digits) + "f") % x


def write_markdown(path, header, args, target, results, order):
    base = {m: statistics.mean(r["epochs"] for r in results[m]) for m in order}
    lines = []
    synthetic = header.get("synthetic", False)
    lines.append("# Early stopping on replayed learning curves\n")
    if synthetic:
        lines.append("**SYNTHETIC curves** (%s). These numbers exercise the harness; they say nothing about "
                     "real training. The headline numbers need the recorded Fashion-MNIST curves.\n" %
                     header.get("source", "synthetic"))
    else:
        lines.append("Curves: %s\n" % header.get("source", args.curves))
    lines.append("`%s` over %d seeds; %d configurations per run (Hyperband and BOHB: as many trials as it takes "
                 "them to try that many); trialConcurrency %d; %d epochs per full curve; time to quality: "
                 "simulated hours until a full-length trial reaches accuracy %.4f (the top %d%% of the file); "
                 "best final: best accuracy among trials that trained the full curve.\n" %
                 (" ".join(sys.argv), args.seeds, args.configs, args.concurrency, args.full_epochs, target,
                  args.target_top))
    lines.append("| method | epochs consumed | vs. same tuner without early stopping | best final accuracy (mean) "
                 "| difference (points) | time to quality, median (h) | runs reaching it |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for m in order:
        rs = results[m]
        ref = reference(m)
        epochs = statistics.mean(r["epochs"] for r in rs)
        best = statistics.mean(r["best"] for r in rs if not math.isnan(r["best"])) if any(
            not math.isnan(r["best"]) for r in rs) else float("nan")
        ref_best = statistics.mean(r["best"] for r in results[ref] if not math.isnan(r["best"]))
        ttqs = sorted(r["ttq"] if r["ttq"] is not None else math.inf for r in rs)
        med = ttqs[len(ttqs) // 2]
        reached = sum(1 for r in rs if r["ttq"] is not None)
        lines.append("| %s | %.0f | %.0f%% | %.4f | %+.2f | %s | %d/%d |" %
                     (m, epochs, 100.0 * epochs / base[ref], best, 100 * (best - ref_best),
                      fmt(med / 3600 if math.isfinite(med) else None, 2), reached, len(rs)))
    lines.append("")
    lines.append("Hyperband is compared with random search and BOHB with TPE (the samplers they use).\n")
    lines.append("![time to quality](time_to_quality.png)\n")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def plot(path, results, order, target):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    horizon = max(r["time"] for rs in results.values() for r in rs)
    grid = [horizon * i / 200 for i in range(201)]
    fig, ax = plt.subplots(figsize=(9, 5.5))
    cmap = plt.get_cmap("tab20")
    for k, m in enumerate(order):
        medians = []
        for t in grid:
            vals = []
            for r in results[m]:
                best = [f for end, f in r["curve"] if end <= t]
                vals.append(max(best) if best else float("nan"))
            finite = sorted(v for v in vals if not math.isnan(v))
            medians.append(finite[len(finite) // 2] if len(finite) * 2 > len(vals) else float("nan"))
        style = "-" if m.startswith("random") or m == "hyperband" else "--"
        ax.plot([g / 3600 for g in grid], medians, style, color=cmap(k % 20), label=m, linewidth=1.4)
    ax.axhline(target, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("simulated time (h)")
    ax.set_ylabel("best full-length accuracy so far (median over seeds)")
    lo = min((f for rs in results.values() for r in rs for _, f in r["curve"]), default=0)
    ax.set_ylim(max(lo, target - 0.05), None)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hone", default=os.path.join(HERE, "..", "..", "build", "hone"))
    ap.add_argument("--curves", default=os.path.join(HERE, "..", "..", "tests", "testdata", "curves",
                                                     "synthetic_curves.jsonl"))
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--configs", type=int, default=60)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--target-top", type=int, default=5, help="target: accuracy of the top PCT%% of the file")
    ap.add_argument("--methods", default="", help="comma-separated subset")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    args.curves = os.path.abspath(args.curves)
    with open(args.curves) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    header = lines[0] if "hone_curves" in lines[0] else {}
    records = [l for l in lines if "params" in l]
    if "search_space" not in header:
        sys.exit("the curve file's header must carry the search space (\"search_space\")")
    args.full_epochs = max(len(r["values"]) for r in records)
    finals = sorted((r["values"][-1] for r in records), reverse=True)
    target = finals[max(0, int(len(finals) * args.target_top / 100) - 1)]
    all_methods = methods(args.full_epochs, args.configs)
    order = [m for m in all_methods if not args.methods or m in args.methods.split(",")]
    for ref in ("tpe", "random"):
        if ref not in order and any(reference(m) == ref for m in order):
            order.insert(0, ref)
    os.makedirs(args.out, exist_ok=True)
    results = {}
    work = tempfile.mkdtemp(prefix="hone-es-bench-")
    began = time.time()
    try:
        for m in order:
            results[m] = []
            for seed in range(args.seeds):
                trials = run_one(args.hone, args.curves, header["search_space"], all_methods[m], seed + 1,
                                 args.concurrency, work)
                results[m].append(summarize(trials, args.full_epochs, target))
            print("%-22s epochs %7.0f  best %.4f  (%.0f s so far)" %
                  (m, statistics.mean(r["epochs"] for r in results[m]),
                   statistics.mean(r["best"] for r in results[m] if not math.isnan(r["best"])),
                   time.time() - began), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(os.path.join(args.out, "runs.json"), "w") as f:
        json.dump({"target": target, "args": vars(args), "results": results}, f)
    write_markdown(os.path.join(args.out, "results.md"), header, args, target, results, order)
    plot(os.path.join(args.out, "time_to_quality.png"), results, order, target)
    print("wrote", os.path.join(args.out, "results.md"))


if __name__ == "__main__":
    main()
