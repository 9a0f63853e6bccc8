"""Summarises bench/compress_prune results as a Markdown table: table.py OUT MODEL..."""
import json, re, sys


def latency_b1(path):
    text = open(path).read()
    return float(re.search(r"latency ([0-9.]+) ms", text).group(1))


def final_accuracy(path):
    return float(re.findall(r"test accuracy ([0-9.]+)%", open(path).read())[-1]) / 100


def main():
    out, models = sys.argv[1], sys.argv[2:]
    print("| model | method | accuracy | params | FLOPs | latency b1 (ms) | latency b256 (ms) |")
    print("|---|---|---|---|---|---|---|")
    for m in models:
        d = f"{out}/{m}"
        level, l1, peer = (json.load(open(f"{d}/{n}.json")) for n in ("level", "l1", "torch"))
        s = l1["speedup"]
        dense_b1 = latency_b1(f"{d}/profile_base_b1.txt")
        rows = [
            ("dense (hone training)", level["accuracy_before"], s["params_before"], s["flops_before"] // 256,
             dense_b1, s["latency_ms_before"]),
            ("hone level, global unstructured", level["accuracy_after"], level["parameters"] - level["zero_weights"],
             None, dense_b1, s["latency_ms_before"]),
            ("hone l1 + speedup, no fine-tuning", l1["accuracy_after"], s["params_after"], s["flops_after"] // 256,
             latency_b1(f"{d}/profile_l1_b1.txt"), s["latency_ms_after"]),
            ("hone l1 + speedup + fine-tuning", final_accuracy(f"{d}/l1_ft.log"), s["params_after"],
             s["flops_after"] // 256, latency_b1(f"{d}/profile_l1_b1.txt"), s["latency_ms_after"]),
        ]
        for key, v in peer.items():
            if key.startswith("global_unstructured"):
                rows.append((f"torch global_unstructured {key.split('_')[-1]}", v["accuracy"], None, None,
                             peer["dense"]["latency_ms_b1"], peer["dense"]["latency_ms_b256"]))
            elif key.startswith("ln_structured"):
                rows.append((f"torch ln_structured {key.split('_')[-1]} (masks)", v["accuracy"], None, None,
                             peer["dense"]["latency_ms_b1"], v["latency_ms_b256"]))
        for name, acc, params, flops, b1, b256 in rows:
            fmt = lambda v: "-" if v is None else f"{v:,}"
            print(f"| {m} | {name} | {100 * acc:.2f}% | {fmt(params)} | {fmt(flops)} | {b1:.3f} | {b256:.2f} |")


if __name__ == "__main__":
    main()
