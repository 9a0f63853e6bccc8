#!/usr/bin/python3
"""Writes bench/nas's table (markdown) from the step results under OUT, with the goals
of the NAS issue as PASS/FAIL lines.

  table.py OUT
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bench_util  # noqa: E402






def skips(decisions):
    return sum(1 for k, v in decisions.items() if v == "skip_connect" and not k.startswith("reduce"))


def all_skip(decisions):
    ops = {v for k, v in decisions.items() if not k.endswith(".inputs") and not k.startswith("reduce")}
    return bool(ops) and ops <= {"skip_connect", "none"}


def main():
    out = sys.argv[1]
    settings = bench_util.load(os.path.join(out, "settings.json"), missing_ok=True) or {}
    strategies = settings.get("strategies", "darts gdas enas spos").split()
    lines, goals = [], []
    epochs = settings.get("epochs")
    lines.append(f"Cells searched in `{settings.get('search_space')}` ({settings.get('search_epochs')} epochs on "
                 f"{settings.get('search_subset') or 60000} training images, half of them scoring architectures) and "
                 f"retrained in `{os.path.basename(str(settings.get('space')))}`; every architecture retrained {epochs} epochs alike "
                 f"(crop padding {settings.get('crop_padding')}, flips, lr {settings.get('lr')}, "
                 f"device {settings.get('device')}); accuracy on the "
                 f"{settings.get('test_subset') or 10000} test images.\n")
    lines.append("| architecture | search | retrain | parameters | skips | test accuracy |")
    lines.append("|---|---|---|---|---|---|")

    randoms = []
    for i in range(settings.get("random_archs", 0)):
        r = bench_util.load(os.path.join(out, "random", f"arch{i}", "retrain.json"), missing_ok=True)
        if r and r.get("accuracy") is not None:
            randoms.append(r)
    median = statistics.median([r["accuracy"] for r in randoms]) if randoms else None
    best_found = None
    for s in strategies:
        search = bench_util.load(os.path.join(out, "oneshot", s, "search.json"), missing_ok=True)
        r = bench_util.load(os.path.join(out, "oneshot", s, "retrain.json"), missing_ok=True)
        if not search:
            continue
        acc = r.get("accuracy") if r else None
        decisions = search["decisions"]
        lines.append(f"| one-shot `{s}` | {search['seconds']:.0f} s | {bench_util.fmt(r and r.get('seconds'), '{:.0f} s')} | "
                     f"{bench_util.fmt(r and r.get('params'), '{:,}')} | {skips(decisions)} | {bench_util.fmt(acc)}% |")
        goals.append((f"{s}: search under one hour ({search['seconds']:.0f} s)", search["seconds"] < 3600))
        goals.append((f"{s}: no all-skip cell", not all_skip(decisions)))
        if acc is not None and median is not None:
            goals.append((f"{s}: beats the random architectures' median ({acc:.2f}% vs {median:.2f}%)", acc > median))
        if acc is not None:
            best_found = acc if best_found is None else max(best_found, acc)
    if randoms:
        accs = sorted(r["accuracy"] for r in randoms)
        total = sum(r["seconds"] for r in randoms)
        lines.append(f"| {len(randoms)} random architectures: median | - | {total:.0f} s in all | "
                     f"{statistics.median([r['params'] for r in randoms]):,.0f} | - | {median:.2f}% |")
        lines.append(f"| random architectures: best / worst | - | - | - | - | {accs[-1]:.2f}% / {accs[0]:.2f}% |")
        best_found = accs[-1] if best_found is None else max(best_found, accs[-1])
    rn = bench_util.load(os.path.join(out, "resnet20", "retrain.json"), missing_ok=True)
    if rn:
        lines.append(f"| zoo resnet20, width {rn['width']} | - | {rn['seconds']:.0f} s | {bench_util.fmt(rn.get('params'), '{:,}')} | "
                     f"- | {bench_util.fmt(rn.get('accuracy'))}% |")
    if best_found is not None:
        goals.append((f"the best architecture reaches 93% ({best_found:.2f}%)", best_found >= 93.0))

    multi = []
    tuners = settings.get("multi_tuners", "").split()
    for t in tuners:
        runs = [bench_util.load(os.path.join(out, "multi", f"{t}-{s}", "result.json"), missing_ok=True) for s in range(settings.get("multi_seeds", 0))]
        runs = [r for r in runs if r and r["finals"]]
        if runs:
            multi.append((t, runs))
    if multi:
        lines.append("")
        lines.append(f"Multi-trial search over `{settings.get('multi_space')}`: "
                     f"{settings.get('multi_trials')} trials per experiment, each trained "
                     f"{settings.get('multi_epochs')} epoch(s) on {settings.get('multi_train_subset')} images and "
                     f"scored on {settings.get('multi_test_subset')} test images; best accuracy found, per seed.\n")
        lines.append("| tuner | best found, mean over seeds | per seed | trials' mean |")
        lines.append("|---|---|---|---|")
        means = {}
        for t, runs in multi:
            bests = [100 * max(r["finals"]) for r in runs]
            means[t] = statistics.mean(bests)
            everything = [100 * f for r in runs for f in r["finals"]]
            lines.append(f"| `{t}` | {means[t]:.2f}% | {' / '.join(f'{b:.2f}' for b in bests)} | "
                         f"{statistics.mean(everything):.2f}% |")
        if "random" in means:
            for t in ("regularized_evolution", "ppo"):
                if t in means:
                    goals.append((f"multi-trial {t} beats random search ({means[t]:.2f}% vs {means['random']:.2f}%)",
                                  means[t] > means["random"]))
    lines.append("")
    for text, ok in goals:
        lines.append(f"- {'PASS' if ok else 'FAIL'}: {text}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
