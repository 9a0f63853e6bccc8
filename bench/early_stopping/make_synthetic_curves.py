#!/usr/bin/python3
"""Writes a SYNTHETIC learning-curve file for the replay platform (format: see
platforms/replay_curves.h). The curves are made up: a saturating curve per configuration
whose level, speed and noise depend smoothly on the hyperparameters, with slow starters
that end high and fast starters that plateau low, so that early stopping can be wrong.
They stand in for the recorded Fashion-MNIST curves in tests and until those exist;
numbers measured on them say nothing about real training.

    make_synthetic_curves.py [--configs 300] [--epochs 20] [--seed 7] [-o FILE]
"""
import argparse
import json
import math
import random

SPACE = {
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.3]},
    "width": {"_type": "choice", "_value": [16, 32, 64, 128]},
    "depth": {"_type": "randint", "_value": [1, 4]},
    "batch": {"_type": "choice", "_value": [32, 64, 128, 256]},
    "dropout": {"_type": "uniform", "_value": [0.0, 0.5]},
    "weight_decay": {"_type": "loguniform", "_value": [1e-06, 0.01]},
    "optimizer": {"_type": "choice", "_value": ["sgd", "adam"]},
}


def sample(rng):
    def log_uniform(lo, hi):
        return math.exp(rng.uniform(math.log(lo), math.log(hi)))
    return {
        "lr": round(log_uniform(0.0001, 0.3), 6),
        "width": rng.choice([16, 32, 64, 128]),
        "depth": rng.randrange(1, 4),
        "batch": rng.choice([32, 64, 128, 256]),
        "dropout": round(rng.uniform(0.0, 0.5), 4),
        "weight_decay": round(log_uniform(1e-06, 0.01), 8),
        "optimizer": rng.choice(["sgd", "adam"]),
    }


def curve(p, epochs, rng):
    best_lr = 0.002 if p["optimizer"] == "adam" else 0.05
    lr_gap = abs(math.log10(p["lr"] / best_lr))
    capacity = 0.015 * math.log2(p["width"] / 16) + 0.008 * (p["depth"] - 1)
    final = 0.905 + capacity - 0.07 * lr_gap ** 2 - 0.12 * max(0.0, p["dropout"] - 0.3) \
        - 6.0 * max(0.0, p["weight_decay"] - 0.002)
    final = min(0.935, max(0.12, final))
    # Small learning rates, big batches and dropout learn slowly but may end high.
    tau = 1.2 * (best_lr / p["lr"]) ** 0.45 * (p["batch"] / 64) ** 0.3 * (1 + p["dropout"])
    tau = min(40.0, max(0.4, tau))
    start = 0.1 + 0.5 * (final - 0.1) * rng.uniform(0.2, 1.0)
    noise = 0.003 + 0.01 * (p["lr"] > 0.1)
    values = []
    for e in range(1, epochs + 1):
        v = final - (final - start) * math.exp(-((e - 1) / tau) ** 0.8)
        values.append(round(min(0.99, max(0.05, v + rng.gauss(0, noise))), 4))
    per_epoch = 0.4 + 0.00004 * p["width"] * p["width"] * p["depth"] * (64 / p["batch"]) ** 0.5 + 2.0
    seconds = [round(per_epoch * rng.uniform(0.95, 1.05), 3) for _ in range(epochs)]
    return values, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-o", "--out", default="synthetic_curves.jsonl")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w") as f:
        header = {"hone_curves": 1, "metric": "accuracy", "optimize_mode": "maximize", "synthetic": True,
                  "epochs": args.epochs, "search_space": SPACE,
                  "source": "SYNTHETIC curves from bench/early_stopping/make_synthetic_curves.py "
                            "--configs %d --epochs %d --seed %d; not measured on any model" %
                            (args.configs, args.epochs, args.seed)}
        f.write(json.dumps(header) + "\n")
        for _ in range(args.configs):
            p = sample(rng)
            values, seconds = curve(p, args.epochs, rng)
            f.write(json.dumps({"params": p, "values": values, "seconds": seconds}) + "\n")


if __name__ == "__main__":
    main()
