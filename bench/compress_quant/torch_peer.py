"""The PyTorch 1.13 peer of bench/compress_quant: PyTorch's own graph-mode quantization of
the same trained TorchScript file hone quantizes. Static post-training quantization with
the onednn engine and qconfig (`torch.ao.quantization.quantize_jit`: batch norms folded
into the convolutions, observers per the qconfig — per-channel symmetric int8 weights,
histogram-calibrated uint8 activations — calibrated on the given training images), and
dynamic quantization (`quantize_dynamic_jit`, default dynamic qconfig: int8 linear
weights, activations quantized per batch at run time). Both models are saved as
TorchScript files next to OUT.json, which gets their test accuracy (all test images).

usage: torch_peer.py MODEL.pt OUT.json --calib-indices FILE [--calib-batch 64] [--threads 1]
"""
import argparse, gzip, json, os, time

import numpy as np
import torch
from torch.ao.quantization import default_dynamic_qconfig, get_default_qconfig, quantize_dynamic_jit, quantize_jit

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530  # hone's Fashion-MNIST normalisation (compress/data/dataset_catalog.cc)


def load_images(split):
    """Normalised images (N x 1 x 28 x 28) and labels of `split` ("train" or "t10k")."""
    def idx(name, offset):
        with gzip.open(f"{DATA}/{name}.gz") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)
    x = idx(f"{split}-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)
    y = idx(f"{split}-labels-idx1-ubyte", 8)
    x = (torch.from_numpy(x.copy()).float() / 255 - MEAN) / STD
    return x, torch.from_numpy(y.astype(np.int64))


@torch.no_grad()
def accuracy(m, x, y, batch=500):
    correct = sum(int((m(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum()) for i in range(0, len(y), batch))
    return correct / len(y)


def calibration_batches(indices_file, batch):
    x, _ = load_images("train")
    idx = torch.tensor([int(v) for v in open(indices_file).read().split()], dtype=torch.int64)
    return [x.index_select(0, idx[i:i + batch]) for i in range(0, len(idx), batch)], len(idx)


@torch.no_grad()
def calibrate(model, batches):
    for b in batches:
        model(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--calib-indices", required=True, help="training-image indices, one a line (calib_indices)")
    ap.add_argument("--calib-batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.backends.quantized.engine = "onednn"  # process-global: the engine both models are built and run for
    out_dir = os.path.dirname(os.path.abspath(a.out))
    x, y = load_images("t10k")
    batches, n_calib = calibration_batches(a.calib_indices, a.calib_batch)
    result = {"torch": torch.__version__, "engine": "onednn", "calibration_images": n_calib}

    base = torch.jit.load(a.model).eval()
    result["float"] = {"accuracy": accuracy(base, x, y)}

    t = time.perf_counter()
    ptq = quantize_jit(torch.jit.load(a.model).eval(), {"": get_default_qconfig("onednn")}, calibrate, [batches])
    path = f"{out_dir}/torch_ptq.pt"
    torch.jit.save(ptq, path)
    result["ptq"] = {"accuracy": accuracy(ptq, x, y), "file": path, "seconds": time.perf_counter() - t,
                     "qconfig": "get_default_qconfig('onednn')"}

    t = time.perf_counter()
    dyn = quantize_dynamic_jit(torch.jit.load(a.model).eval(), {"": default_dynamic_qconfig})
    path = f"{out_dir}/torch_dynamic.pt"
    torch.jit.save(dyn, path)
    result["dynamic"] = {"accuracy": accuracy(dyn, x, y), "file": path, "seconds": time.perf_counter() - t,
                         "qconfig": "default_dynamic_qconfig"}
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
