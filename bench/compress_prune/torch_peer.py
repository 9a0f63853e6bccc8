"""The PyTorch 1.13 peer of bench/compress_prune: torch.nn.utils.prune's pruning methods
on the same trained TorchScript weights hone prunes. torch.nn.utils.prune reparametrises
eager modules; on a loaded TorchScript module its pruning methods' compute_mask is applied
to the weights directly (global_unstructured is L1Unstructured over the concatenated
weights, exactly as torch.nn.utils.prune.global_unstructured computes it). Masks change no
shape, so latency is the dense model's.

usage: torch_peer.py MODEL.pt OUT.json [--test-subset N] [--threads T] [--channels-last]
"""
import argparse, gzip, json, time

import numpy as np
import torch
from torch.nn.utils import prune

DATA = "/usr/share/datasets/fashion-mnist"


def load_test(n):
    def idx(name, offset):
        with gzip.open(f"{DATA}/{name}.gz") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)
    x = idx("t10k-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)
    y = idx("t10k-labels-idx1-ubyte", 8)
    if n > 0:
        x, y = x[:n], y[:n]
    x = (torch.from_numpy(x.copy()).float() / 255 - 0.2860) / 0.3530
    return x, torch.from_numpy(y.astype(np.int64))


@torch.no_grad()
def accuracy(m, x, y):
    m.eval()
    correct = sum(int((m(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum()) for i in range(0, len(y), 500))
    return correct / len(y)


@torch.no_grad()
def latency_ms(m, batch, repeats=10, channels_last=False):
    m.eval()
    x = torch.randn(batch, 1, 28, 28)
    if channels_last:
        m = m.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    for _ in range(3):
        m(x)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        m(x)
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def weights(m, kinds):
    out = []
    for name, mod in m.named_modules():
        w = getattr(mod, "weight", None) if hasattr(mod, "weight") else None
        if isinstance(w, torch.Tensor) and w.dim() in kinds:
            out.append((name, w))
    return out


@torch.no_grad()
def global_unstructured(m, amount):
    ws = weights(m, (2, 4))
    flat = torch.cat([w.flatten() for _, w in ws])
    mask = prune.L1Unstructured(amount).compute_mask(flat, torch.ones_like(flat))
    offset = 0
    for _, w in ws:
        w.mul_(mask[offset:offset + w.numel()].view_as(w))
        offset += w.numel()


@torch.no_grad()
def ln_structured(m, amount):
    for _, w in weights(m, (4,)):
        w.mul_(prune.LnStructured(amount, n=2, dim=0).compute_mask(w, torch.ones_like(w)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--test-subset", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--unstructured", type=float, default=0.7)
    ap.add_argument("--structured", type=float, default=0.5)
    ap.add_argument("--channels-last", action="store_true", help="time with NHWC input and weights")
    a = ap.parse_args()
    cl = a.channels_last
    torch.set_num_threads(a.threads)
    x, y = load_test(a.test_subset)
    result = {"torch": torch.__version__}
    base = torch.jit.load(a.model)
    result["dense"] = {"accuracy": accuracy(base, x, y), "latency_ms_b1": latency_ms(base, 1, 50, cl),
                       "latency_ms_b256": latency_ms(base, 256, 10, cl),
                       "params": sum(p.numel() for p in base.parameters())}
    m = torch.jit.load(a.model)
    global_unstructured(m, a.unstructured)
    result[f"global_unstructured_{a.unstructured}"] = {"accuracy": accuracy(m, x, y)}
    m = torch.jit.load(a.model)
    ln_structured(m, a.structured)
    result[f"ln_structured_{a.structured}"] = {"accuracy": accuracy(m, x, y),
                                               "latency_ms_b256": latency_ms(m, 256, 10, cl)}
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
