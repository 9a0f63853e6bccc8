"""An evaluator and fine-tuner for `hone compress`, written as a hone trial.

hone runs it with HONE_MODEL_PATH (a TorchScript model) and HONE_PARAMS =
{"model": ..., "output_model": ..., "phase": "evaluate"|"finetune", "step": N}:

  evaluate  accuracy of the model on the first --test-subset Fashion-MNIST test images,
            reported as the final metric (the score hone prints and records)
  finetune  trains the model for --epochs on the first --train-subset training images
            and saves it to HONE_OUTPUT_MODEL_PATH (same parameter names and shapes)

    hone compress evaluate model.pt --evaluator "python3 fashion_mnist_model.py"
    hone compress prune model.pt --config prune.yaml --out small.pt \\
        --evaluator "python3 fashion_mnist_model.py" --finetuner "python3 fashion_mnist_model.py"

Reads the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist);
needs python3-torch and python3-numpy.
"""
import argparse
import gzip
import os
import sys

import numpy as np
import torch

try:
    import hone  # on PYTHONPATH when hone runs the script
except ImportError:  # run from a source checkout without an installed hone
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../trials/sdk/python"))
    import hone

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530  # hone's normalisation of Fashion-MNIST


def load(split, n):
    prefix = "t10k" if split == "test" else "train"

    def idx(name, offset):
        with gzip.open(f"{DATA}/{prefix}-{name}.gz") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    x = idx("images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)
    y = idx("labels-idx1-ubyte", 8)
    if n > 0:
        x, y = x[:n], y[:n]
    x = (torch.from_numpy(x.copy()).float() / 255 - MEAN) / STD
    return x, torch.from_numpy(y.astype(np.int64))


@torch.no_grad()
def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    for i in range(0, len(y), batch):
        correct += int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    return correct


def finetune(model, x, y, args):
    generator = torch.Generator().manual_seed(args.seed)
    for p in model.parameters():  # a saved model may hold them without requires_grad
        p.requires_grad_(True)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    model.train()
    for epoch in range(args.epochs):
        order = torch.randperm(len(y), generator=generator)
        total, correct = 0.0, 0
        for i in range(0, len(y), args.batch_size):
            idx = order[i:i + args.batch_size]
            out = model(x[idx])
            loss = torch.nn.functional.cross_entropy(out, y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss) * len(idx)
            correct += int((out.argmax(1) == y[idx]).sum())
        hone.report_intermediate({"default": correct / len(y), "loss": total / len(y)}, epoch + 1)
    model.eval()
    return correct / len(y)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--test-subset", type=int, default=0, help="first N test images (0: all 10000)")
    ap.add_argument("--train-subset", type=int, default=512, help="first N training images to fine-tune on")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--log", help="append a line 'PHASE STEP' per run to this file")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    params = hone.get_params()
    phase = params.get("phase", "evaluate")
    model_path = os.environ.get("HONE_MODEL_PATH") or params["model"]
    if args.log:
        with open(args.log, "a") as f:
            f.write(f"{phase} {params.get('step', 0)}\n")
    model = torch.jit.load(model_path)
    if phase == "finetune":
        torch.manual_seed(args.seed)
        x, y = load("train", args.train_subset)
        accuracy = finetune(model, x, y, args)
        torch.jit.save(model, os.environ.get("HONE_OUTPUT_MODEL_PATH") or params["output_model"])
        hone.report_final({"default": accuracy, "images": len(y)})
    else:
        x, y = load("test", args.test_subset)
        correct = evaluate(model, x, y)
        hone.report_final({"default": correct / len(y), "correct": correct, "count": len(y)})


if __name__ == "__main__":
    main()
