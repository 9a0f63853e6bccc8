"""Quickstart trial: "trains" for 10 steps on a noisy test function of five
parameters and reports the loss after each step and at the end. Lower is better; the
best configuration is x=1, y=1, scale=1, depth=3, shape=bowl (loss 0 without noise)."""

import math
import random
import time

import hone

DEFAULTS = {"x": 0.0, "y": 0.0, "scale": 0.1, "depth": 1, "shape": "ridge"}
SHAPE_PENALTY = {"bowl": 0.0, "valley": 0.3, "ridge": 1.0}


def objective(p):
    x, y = p["x"], p["y"]
    rosenbrock = (1 - x) ** 2 + 5 * (y - x * x) ** 2
    return (rosenbrock + math.log10(p["scale"]) ** 2 + 0.25 * (p["depth"] - 3) ** 2
            + SHAPE_PENALTY[p["shape"]])


def main():
    params = dict(DEFAULTS, **hone.get_params())
    print(f"trial {hone.get_trial_id()} params {params}", flush=True)
    rng = random.Random(hone.get_sequence_id())
    target = objective(params)
    loss = target
    for step in range(10):
        time.sleep(0.12)
        # A training curve: starts high, decays towards the target, with noise.
        loss = target + (target + 2.0) * math.exp(-0.45 * step) + rng.gauss(0, 0.05)
        hone.report_intermediate(loss)
    hone.report_final(loss)


if __name__ == "__main__":
    main()
