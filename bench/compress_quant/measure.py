"""Accuracy, size on disk and CPU latency of TorchScript models, all measured the same way
in one process (bench/compress_quant): hone's float and quantized models and PyTorch's.

Accuracy is on all 10,000 Fashion-MNIST test images. Size: the file's bytes, the bytes per storage type
(FloatStorage, QInt8Storage, ...), the float convolution and linear weights it holds as
parameters, and the bytes of all its tensor data (the archive's data/ and constants/ records: weights, packed weights,
scales, batch-norm statistics, frozen constants; code and metadata excluded). Latency: one libtorch thread, random input at
batch 1 and 256, `--warmup` untimed runs then the median of `--repeats` timed runs,
repeated for `--rounds` rounds that alternate over all models (the median of the rounds'
medians), each model in both layouts: NCHW, and NHWC (channels last: input and the 4-d
float parameters; weights frozen into constants keep NCHW, so a model can be slower in
NHWC); the table takes each model's faster layout. NAME=float-ofi:FILE times FILE after
`torch.jit.freeze` and `torch.jit.optimize_for_inference` (PyTorch's float inference
path: oneDNN convolutions with prepacked weights).

usage: measure.py OUT.json NAME=FILE ... [NAME=float-ofi:FILE] [--rounds 3] [--threads 1]
"""
import argparse, collections, json, os, pickle, statistics, time, zipfile

import torch

from torch_peer import accuracy, load_images


def tensor_bytes(path):
    with zipfile.ZipFile(path) as z:
        return sum(i.file_size for i in z.infolist() if i.filename.split("/")[1:2] in (["data"], ["constants"])
                   and len(i.filename.split("/")) == 3)


class _Stub:
    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Stub()

    def __setstate__(self, state):
        pass


def storage_bytes(path):
    """{storage type ("FloatStorage", "QInt8Storage", ...): bytes} of the archive's tensor
    data, read from data.pkl and constants.pkl without running the model's code."""
    out = collections.Counter()
    with zipfile.ZipFile(path) as z:
        sizes = {i.filename: i.file_size for i in z.infolist()}
        for pkl, folder in (("data.pkl", "data"), ("constants.pkl", "constants")):
            name = next((n for n in sizes if n.endswith("/" + pkl)), None)
            if name is None:
                continue
            root, seen = name[:-len(pkl)], set()

            class Reader(pickle.Unpickler):
                def find_class(self, module, cls):
                    return type(cls, (_Stub,), {})

                def persistent_load(self, pid):  # ("storage", type, key, location, numel)
                    if pid[2] not in seen:
                        seen.add(pid[2])
                        out[getattr(pid[1], "__name__", str(pid[1]))] += sizes.get(f"{root}{folder}/{pid[2]}", 0)
                    return _Stub()

            Reader(z.open(name)).load()
    return dict(out)


def float_weight_bytes(m):
    """Bytes of the float convolution and linear weights a module holds as parameters."""
    return sum(p.numel() * p.element_size() for n, p in m.named_parameters()
               if n.endswith("weight") and p.dim() in (2, 4) and p.is_floating_point())


def load(spec, channels_last):
    """The module of FILE or float-ofi:FILE, its float parameters NHWC when `channels_last`
    (packed quantized weights are not parameters and keep their own layout)."""
    m = torch.jit.load(spec.split(":", 1)[1] if spec.startswith("float-ofi:") else spec).eval()
    if channels_last:
        m = m.to(memory_format=torch.channels_last)
    return torch.jit.optimize_for_inference(torch.jit.freeze(m)) if spec.startswith("float-ofi:") else m


@torch.no_grad()
def median_ms(m, x, warmup, repeats):
    for _ in range(warmup):
        m(x)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        m(x)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("models", nargs="+", help="NAME=FILE or NAME=float-ofi:FILE")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats-b1", type=int, default=50)
    ap.add_argument("--repeats-b256", type=int, default=10)
    ap.add_argument("--no-accuracy", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.backends.quantized.engine = "onednn"  # process-global; the engine the quantized models were built for
    x, y = load_images("t10k")
    specs = dict(s.split("=", 1) for s in a.models)
    models, result = {}, {}
    for name, spec in specs.items():
        models[name] = {"nchw": load(spec, False), "nhwc": load(spec, True)}
        path = spec.split(":", 1)[1] if spec.startswith("float-ofi:") else spec
        result[name] = {"file": path, "file_bytes": os.path.getsize(path), "tensor_bytes": tensor_bytes(path),
                        "storage_bytes": storage_bytes(path),
                        "float_weight_bytes": float_weight_bytes(torch.jit.load(path)),
                        "optimize_for_inference": spec.startswith("float-ofi:"), "rounds": {}}
        if not a.no_accuracy:
            result[name]["accuracy"] = accuracy(models[name]["nchw"], x, y)
    inputs = {b: torch.randn(b, 1, 28, 28) for b in (1, 256)}
    for _ in range(a.rounds):
        for name, by_layout in models.items():
            for layout, m in by_layout.items():
                for b, repeats in ((1, a.repeats_b1), (256, a.repeats_b256)):
                    xb = inputs[b].contiguous(memory_format=torch.channels_last) if layout == "nhwc" else inputs[b]
                    result[name]["rounds"].setdefault(f"{layout}_b{b}", []).append(
                        median_ms(m, xb, a.warmup, repeats))
    for r in result.values():
        for b in (1, 256):
            layout = min(("nchw", "nhwc"), key=lambda k: statistics.median(r["rounds"][f"{k}_b{b}"]))
            r[f"latency_ms_b{b}"] = statistics.median(r["rounds"][f"{layout}_b{b}"])
            r[f"layout_b{b}"] = layout
    meta = {"torch": torch.__version__, "threads": a.threads, "rounds": a.rounds, "warmup": a.warmup}
    with open(a.out, "w") as f:
        json.dump({"meta": meta, "models": result}, f, indent=2)
    for name, r in result.items():
        print(f"{name}: accuracy {r.get('accuracy', float('nan')):.4f} file {r['file_bytes']} tensors "
              f"{r['tensor_bytes']} b1 {r['latency_ms_b1']:.3f} ms ({r['layout_b1']}) "
              f"b256 {r['latency_ms_b256']:.2f} ms ({r['layout_b256']})")


if __name__ == "__main__":
    main()
