"""Summarises bench/compress_prune results as a Markdown table: table.py OUT MODEL...

Latencies come from the `hone compress profile` runs of the dense and the sped-up model
(three alternating rounds; the median of the rounds' medians): batch 1 and 256 with
channels-last layout, and batch 256 with the default NCHW layout."""
import json, re, statistics, sys


def latency(path):
    runs = [float(v) for v in re.findall(r"latency ([0-9.]+) ms", open(path).read())]
    return statistics.median(runs)


def final_accuracy(path):
    return float(re.findall(r"test accuracy ([0-9.]+)%", open(path).read())[-1]) / 100


def main():
    out, models = sys.argv[1], sys.argv[2:]
    print("| model | method | accuracy | params | FLOPs | b1 NHWC (ms) | b256 NHWC (ms) | b256 NCHW (ms) |")
    print("|---|---|---|---|---|---|---|---|")
    speedups = []
    for m in models:
        d = f"{out}/{m}"
        level, level_bn, obs, l1, peer = (json.load(open(f"{d}/{n}.json"))
                                          for n in ("level", "level_bn", "obs", "l1", "torch"))
        s = l1["speedup"]
        dense = [latency(f"{d}/profile_base_{k}.txt") for k in ("b1", "b256", "b256_nchw")]
        small = [latency(f"{d}/profile_l1_{k}.txt") for k in ("b1", "b256", "b256_nchw")]
        none = [None, None, None]
        rows = [
            ("dense (hone training)", level["accuracy_before"], s["params_before"], s["flops_before"] // 256, dense),
            ("hone level, global unstructured", level["accuracy_after"], level["parameters"] - level["zero_weights"],
             None, none),
            ("hone level + batch-norm recalibration", level_bn["accuracy_after"],
             level_bn["parameters"] - level_bn["zero_weights"], None, none),
            ("hone obs, global unstructured (calibration, no fine-tuning)", obs["accuracy_after"],
             obs["parameters"] - obs["zero_weights"], None, none),
            ("hone l1 + speedup, no fine-tuning", l1["accuracy_after"], s["params_after"], s["flops_after"] // 256,
             small),
            ("hone l1 + speedup + fine-tuning", final_accuracy(f"{d}/l1_ft.log"), s["params_after"],
             s["flops_after"] // 256, small),
        ]
        for key, v in peer.items():
            if key.startswith("global_unstructured"):
                rows.append((f"torch global_unstructured {key.split('_')[-1]}", v["accuracy"], None, None,
                             [peer["dense"]["latency_ms_b1"], peer["dense"]["latency_ms_b256"], None]))
            elif key.startswith("ln_structured"):
                rows.append((f"torch ln_structured {key.split('_')[-1]} (masks)", v["accuracy"], None, None,
                             [None, v["latency_ms_b256"], None]))
        for name, acc, params, flops, ms in rows:
            fmt = lambda v: "-" if v is None else f"{v:,}"
            lat = " | ".join("-" if v is None else f"{v:.3f}" if v < 10 else f"{v:.2f}" for v in ms)
            print(f"| {m} | {name} | {100 * acc:.2f}% | {fmt(params)} | {fmt(flops)} | {lat} |")
        speedups.append((m, 1 - s["flops_after"] / s["flops_before"], [a / b for a, b in zip(dense, small)],
                         final_accuracy(f"{d}/l1_ft.log") - level["accuracy_before"],
                         [r["accuracy_after"] - level["accuracy_before"] for r in (level, level_bn, obs)]))
    print()
    for m, removed, x, dacc, unstructured in speedups:
        print(f"{m}: l1 + speedup removes {100 * removed:.1f}% of the FLOPs; measured speedup {x[0]:.2f}x (b1 NHWC), "
              f"{x[1]:.2f}x (b256 NHWC), {x[2]:.2f}x (b256 NCHW); accuracy after fine-tuning {100 * dacc:+.2f} points")
        print(f"{m}: global unstructured, no fine-tuning: level {100 * unstructured[0]:+.2f}, "
              f"level + batch-norm recalibration {100 * unstructured[1]:+.2f}, obs {100 * unstructured[2]:+.2f} points")


if __name__ == "__main__":
    main()
