"""Summarises bench/compress_quant results as Markdown: table.py OUT MODEL...

One row per model file measured by measure.py (accuracy on all 10,000 test images, file
and tensor-data size, latency at batch 1 and 256: one thread, NHWC, median of the rounds'
medians), then the issue's goals, each with PASS or FAIL."""
import json, os, re, sys

LABELS = {
    "float": "float (hone training)",
    "float_ofi": "float, freeze + optimize_for_inference",
    "hone_ptq_minmax": "hone PTQ int8, minmax",
    "hone_ptq_entropy": "hone PTQ int8, entropy",
    "hone_dynamic": "hone dynamic int8",
    "hone_lsq4": "hone LSQ W4A8, {lsq} epochs",
    "hone_obq4": "hone OBQ W4, no training",
    "hone_rtn4": "hone RTN W4, no training",
    "torch_ptq": "PyTorch PTQ int8 (quantize_jit, onednn qconfig)",
    "torch_dynamic": "PyTorch dynamic int8 (quantize_dynamic_jit)",
}


def lsq_epochs(out, model):
    path = f"{out}/lsq4.yaml"
    if not os.path.exists(path):
        return "?"
    m = re.search(r"epochs: *([0-9]+)", open(path).read())
    return m.group(1) if m else "?"


def ms(v):
    return f"{v:.3f}" if v < 10 else f"{v:.2f}"


def rows_of(out, model):
    res = json.load(open(f"{out}/{model}/measure.json"))["models"]
    ofi = res.get("float_ofi", {}).get("latency_ms_b256")
    lines = []
    for key in sorted(res, key=lambda k: list(LABELS).index(k) if k in LABELS else len(LABELS)):
        r = res[key]
        label = LABELS.get(key, key).format(lsq=lsq_epochs(out, model))
        speed = f"{ofi / r['latency_ms_b256']:.2f}x" if ofi else "-"
        lines.append(f"| {model} | {label} | {100 * r['accuracy']:.2f}% | {r['file_bytes'] / 1024:,.0f} | "
                     f"{r['tensor_bytes'] / 1024:,.0f} | {ms(r['latency_ms_b1'])} | {ms(r['latency_ms_b256'])} | "
                     f"{speed} |")
    return res, lines


def weight_bytes(r):
    """Convolution and linear weights as a model stores them: integer codes (int8 storages)
    and the float weights of layers left in float."""
    codes = sum(v for k, v in r["storage_bytes"].items() if k in ("QInt8Storage", "CharStorage", "QUInt4x2Storage"))
    return codes + r["float_weight_bytes"]


def goal(text, value, limit, holds):
    return f"| {text} | {value} | {limit} | {'PASS' if holds else 'FAIL'} |"


def points(a, b):
    return 100 * (a - b)


def goals_of(model, res, out):
    """The issue's goals for one model; a row that is missing gives n/a."""
    lines = []
    f = res["float"]
    for obs in ("minmax", "entropy"):
        q = res.get(f"hone_ptq_{obs}")
        if not q:
            lines.append(f"| {model}: hone PTQ int8 ({obs}) | n/a | | n/a |")
            continue
        d = points(q["accuracy"], f["accuracy"])
        lines.append(goal(f"{model}: PTQ int8 ({obs}) - float, points", f"{d:+.2f}", ">= -0.50", d >= -0.5))
        if "torch_ptq" in res:
            d = points(q["accuracy"], res["torch_ptq"]["accuracy"])
            lines.append(goal(f"{model}: PTQ int8 ({obs}) - PyTorch PTQ, points", f"{d:+.2f}", ">= -0.30",
                              d >= -0.3))
    q = res.get("hone_ptq_minmax") or res.get("hone_ptq_entropy")
    if q:
        r = f["float_weight_bytes"] / weight_bytes(q)
        lines.append(goal(f"{model}: float / PTQ int8 weight bytes (all tensor data: "
                          f"{f['tensor_bytes'] / q['tensor_bytes']:.2f}x)", f"{r:.2f}x", ">= 4x", r >= 4))
        if "float_ofi" in res:
            r = res["float_ofi"]["latency_ms_b256"] / q["latency_ms_b256"]
            lines.append(goal(f"{model}: float + optimize_for_inference / PTQ int8, b256 latency", f"{r:.2f}x",
                              ">= 2x", r >= 2))
    if "hone_lsq4" in res:
        d = points(res["hone_lsq4"]["accuracy"], f["accuracy"])
        lines.append(goal(f"{model}: LSQ 4-bit ({lsq_epochs(out, model)} epochs) - float, points", f"{d:+.2f}",
                          ">= -1.00", d >= -1.0))
    if model == "resnet20" and "hone_obq4" in res:
        d = points(res["hone_obq4"]["accuracy"], f["accuracy"])
        lines.append(goal(f"{model}: OBQ 4-bit, no training - float, points", f"{d:+.2f}", ">= -2.00", d >= -2.0))
    return lines


def main():
    out, models = sys.argv[1], sys.argv[2:]
    print("| model | method | accuracy | file (KiB) | tensors (KiB) | b1 (ms) | b256 (ms) | b256 speedup vs optimized float |")
    print("|---|---|---|---|---|---|---|---|")
    goal_lines = []
    for m in models:
        res, lines = rows_of(out, m)
        print("\n".join(lines))
        goal_lines += goals_of(m, res, out)
    print()
    print("| goal | measured | limit | result |")
    print("|---|---:|---:|---|")
    print("\n".join(goal_lines))


if __name__ == "__main__":
    main()
