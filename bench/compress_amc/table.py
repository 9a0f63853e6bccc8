#!/usr/bin/python3
"""Writes bench/compress_amc's table (markdown) from OUT/<model>/<method>.json, with the
AMC issue's goals as PASS/FAIL lines.   table.py OUT
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bench_util  # noqa: E402

NAMES = {"amc": "AMC (`pruner: amc`)", "amc_exp": "AMC as an experiment (`tuner: amc`)", "random": "random search",
         "tpe": "`tpe`", "anneal": "`anneal`", "uniform": "uniform keep ratio",
         "amc_latency": "AMC, `target: latency`"}






def main():
    out = sys.argv[1]
    s = bench_util.load(os.path.join(out, "settings.json"), missing_ok=True) or {}
    print(f"FLOPs budget {s.get('flops_ratio')} of dense; {s.get('episodes')} evaluations per search "
          f"(AMC: {s.get('warmup')} random warm-up episodes, then noise 0.5 x {s.get('noise_decay', 0.95)}^k, "
          f"at least {s.get('min_noise', 0.0)}); reward: accuracy on the last {s.get('held_out')} "
          f"training images, batch norms re-estimated on {s.get('calibrate_bn')} batches; fine-tuning "
          f"{s.get('ft_epochs')} epochs at lr {s.get('ft_lr')}; test accuracy on "
          f"{s.get('test_subset') or 10000} test images.\n")
    goals = []
    for model in s.get("models", "").split():
        d = os.path.join(out, model)
        dense = bench_util.load(os.path.join(d, "dense.json"), missing_ok=True)
        if not dense:
            continue
        print(f"**{model}** (dense {bench_util.fmt(dense['test'])}%)\n")
        print("| method | evaluations | search | best reward | FLOPs | parameters | test, no fine-tuning | "
              "test, fine-tuned |")
        print("|---|---|---|---|---|---|---|---|")
        results = {}
        for m in s.get("methods", "").split():
            r = bench_util.load(os.path.join(d, f"{m}.json"), missing_ok=True)
            if not r or m == "amc_latency":
                continue
            results[m] = r
            print(f"| {NAMES.get(m, m)} | {r['evaluations']} | {bench_util.fmt(r.get('seconds'), '{:.0f} s')} | "
                  f"{r['reward']:.4f} | {bench_util.fmt(r.get('flops_ratio'), '{:.3f}')} | {r.get('params', '-'):,} | "
                  f"{bench_util.fmt(r.get('test'))}% | {bench_util.fmt(r.get('test_ft'))}% |")
        print()
        amc = results.get("amc")
        if amc:
            for other in ("uniform", "random"):
                if other in results:
                    o = results[other]
                    goals.append((f"{model}: AMC beats {NAMES[other]} before fine-tuning "
                                  f"({amc['test']:.2f}% vs {o['test']:.2f}% on the test set)", amc["test"] > o["test"]))
            if amc.get("test_ft") is not None:
                goals.append((f"{model}: AMC after fine-tuning within 0.5 points of dense "
                              f"({amc['test_ft']:.2f}% vs {dense['test']:.2f}%)", amc["test_ft"] >= dense["test"] - 0.5))
            for other in ("tpe", "anneal"):
                if other in results:
                    o = results[other]
                    verdict = ("a tie" if amc["reward"] == o["reward"] else
                               "AMC ahead" if amc["reward"] > o["reward"] else f"{NAMES[other]} ahead")
                    print(f"- {NAMES[other]} vs AMC, best reward: {o['reward']:.4f} vs {amc['reward']:.4f} "
                          f"({verdict})")
            print()
        lat = bench_util.load(os.path.join(d, "amc_latency.json"), missing_ok=True)
        if lat:
            goals.append(latency_section(model, lat, dense, s))
    for text, ok in goals:
        print(f"- {'PASS' if ok else 'FAIL'}: {text}")
    if not any("latency" in text for text, _ in goals):
        print("- not measured: the latency mode's goal (1.6x at batch 256 within 1 point of dense)")


def latency_section(model, r, dense, s):
    """The latency-budget row of `model`, and its goal line."""
    lat, sp = r["latency"], r["speedup"]
    print(f"*{model}, latency budget {s.get('latency_ratio')} of dense at batch {lat['batch']}, "
          f"1 thread*\n")
    print("| method | evaluations | search | best reward | FLOPs | parameters | estimated | measured after search | "
          "measured again (dense / pruned) | test, no fine-tuning | test, fine-tuned |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {NAMES['amc_latency']} | {r['evaluations']} | {r['seconds']:.0f} s | {r['reward']:.4f} | "
          f"{r['flops_ratio']:.3f} | {r['params']:,} | {lat['dense_ms'] / lat['estimated_ms']:.2f}x | "
          f"{lat['measured_speedup']:.2f}x | {sp['speedup']:.2f}x ({sp['dense_ms']:.1f} / {sp['pruned_ms']:.1f} ms) | "
          f"{bench_util.fmt(r.get('test'))}% | {bench_util.fmt(r.get('test_ft'))}% |\n")
    ok = sp["speedup"] >= 1.6 and r["test_ft"] is not None and r["test_ft"] >= dense["test"] - 1
    return (f"{model}: the latency mode reaches {sp['speedup']:.2f}x at batch {sp['batch']} (goal 1.6x) at "
            f"{bench_util.fmt(r.get('test_ft'))}% after fine-tuning vs dense {dense['test']:.2f}% (goal: within 1 point)",
            ok)


if __name__ == "__main__":
    main()
