#!/usr/bin/python3
"""Optuna 3.1's samplers on the tuner benchmark's functions (the same definitions as
bench/tuners/functions.cc), printing one JSON line per run in run_hone's format.

  run_optuna.py [--samplers a,b] [--functions f,g] [--seeds N] [--seed-offset K]
                [--budget 100] [--batch 1,8] [--jobs 1]
  run_optuna.py --latency [--history 1000]   TPE's ask+tell at 1,000 finished trials
  run_optuna.py --check                      values at fixed points

A batch of b asks b trials before telling any (Optuna's pending trials, as in a
parallel study); b = 1 is the plain sequential loop.
"""
import argparse
import json
import math
import multiprocessing
import statistics
import sys
import time
import warnings

import optuna

PI = math.pi


def branin(x):
    b, c, t = 5.1 / (4 * PI * PI), 5 / PI, 1 / (8 * PI)
    u = x[1] - b * x[0] ** 2 + c * x[0] - 6
    return u * u + 10 * (1 - t) * math.cos(x[0]) + 10


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
       [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
       [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
       [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
       [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(x):
    s = 0.0
    for i in range(4):
        inner = sum(H_A[i][j] * (x[j] - H_P[i][j]) ** 2 for j in range(6))
        s += H_ALPHA[i] * math.exp(-inner)
    return -s


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(len(x) - 1))


def ackley(x):
    d = len(x)
    s1 = sum(v * v for v in x)
    s2 = sum(math.cos(2 * PI * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(s1 / d)) - math.exp(s2 / d) + 20 + math.e


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    s = math.sin(PI * w[0]) ** 2
    for i in range(len(x) - 1):
        s += (w[i] - 1) ** 2 * (1 + 10 * math.sin(PI * w[i] + 1) ** 2)
    s += (w[-1] - 1) ** 2 * (1 + math.sin(2 * PI * w[-1]) ** 2)
    return s


def styblinski_tang(x):
    return sum(v ** 4 - 16 * v * v + 5 * v for v in x) / 2


BATCH_COST = {16: 1.5, 32: 0.5, 64: 0.0, 128: 0.5, 256: 1.5}
ACT_COST = {"relu": 0.0, "tanh": 0.3, "sigmoid": 1.0}


def mixed_value(c):
    f = (0.5 * (c["layers"] - 4) ** 2 + (math.log10(c["lr"]) + 2.5) ** 2 + 2 * (c["dropout"] - 0.3) ** 2
         + BATCH_COST[c["batch"]] + ACT_COST[c["act"]])
    opt = c["opt"]
    if opt["_name"] == "sgd":
        f += 1 + 4 * (opt["momentum"] - 0.9) ** 2
    elif opt["_name"] == "adam":
        f += 10 * (opt["beta1"] - 0.9) ** 2 + 0.2 * (math.log10(opt["eps"]) + 8) ** 2
    else:
        f += 0.8
    return f


def mixed_trial(trial):
    """The mixed space, define-by-run: the optimizer's parameters exist only on its branch."""
    c = {
        "layers": trial.suggest_int("layers", 1, 8),
        "lr": trial.suggest_float("lr", 1e-5, 1, log=True),
        "dropout": trial.suggest_float("dropout", 0, 0.8, step=0.1),
        "batch": trial.suggest_categorical("batch", [16, 32, 64, 128, 256]),
        "act": trial.suggest_categorical("act", ["relu", "tanh", "sigmoid"]),
    }
    name = trial.suggest_categorical("opt", ["sgd", "adam", "rmsprop"])
    opt = {"_name": name}
    if name == "sgd":
        opt["momentum"] = trial.suggest_float("sgd_momentum", 0, 1)
    elif name == "adam":
        opt["beta1"] = trial.suggest_float("adam_beta1", 0.5, 0.999)
        opt["eps"] = trial.suggest_float("adam_eps", 1e-10, 1e-4, log=True)
    c["opt"] = opt
    return mixed_value(c)


def boxed(f, bounds):
    def objective(trial):
        return f([trial.suggest_float("x%d" % i, lo, hi) for i, (lo, hi) in enumerate(bounds)])
    return objective


FUNCTIONS = {
    "branin": (boxed(branin, [(-5, 10), (0, 15)]), 0.39788735772973816),
    "hartmann6": (boxed(hartmann6, [(0, 1)] * 6), -3.322368011391339),
    "rosenbrock10": (boxed(rosenbrock, [(-5, 10)] * 10), 0.0),
    "ackley10": (boxed(ackley, [(-5, 10)] * 10), 0.0),
    "levy10": (boxed(levy, [(-10, 10)] * 10), 0.0),
    "styblinski_tang8": (boxed(styblinski_tang, [(-5, 5)] * 8), -39.16616570377142 * 8),
    "mixed": (mixed_trial, 0.0),
}

SAMPLERS = {
    "optuna-tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "optuna-tpe-mv": lambda seed: optuna.samplers.TPESampler(multivariate=True, seed=seed),
    "optuna-cmaes": lambda seed: optuna.samplers.CmaEsSampler(seed=seed),
    "optuna-random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
    "optuna-qmc": lambda seed: optuna.samplers.QMCSampler(seed=seed),
}


def quiet():
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")


def run_one(task):
    quiet()
    sampler, function, seed, batch, budget = task
    objective, optimum = FUNCTIONS[function]
    study = optuna.create_study(direction="minimize", sampler=SAMPLERS[sampler](seed))
    values = []
    start = time.perf_counter()
    while len(values) < budget:
        trials = [study.ask() for _ in range(min(batch, budget - len(values)))]
        results = [objective(t) for t in trials]
        for t, v in zip(trials, results):
            study.tell(t, v)
            values.append(v)
    return json.dumps({"impl": "optuna", "tuner": sampler, "function": function, "seed": seed,
                       "batch": batch, "optimum": optimum, "values": values,
                       "seconds": time.perf_counter() - start}, separators=(",", ":"))


def latency(history):
    quiet()
    import random
    rng = random.Random(12345)
    dists = {"x%d" % i: optuna.distributions.FloatDistribution(0, 1) for i in range(6)}
    trials = []
    for _ in range(history):
        params = {k: rng.random() for k in dists}
        trials.append(optuna.trial.create_trial(params=params, distributions=dists,
                                                value=hartmann6([params["x%d" % i] for i in range(6)])))
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=1))
    study.add_trials(trials)
    objective = FUNCTIONS["hartmann6"][0]
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        trial = study.ask()
        study.tell(trial, objective(trial))
        times.append(time.perf_counter() - t0)
    print(json.dumps({"impl": "optuna", "tuner": "optuna-tpe", "history": history,
                      "suggest_seconds": statistics.median(times)}), flush=True)


def check():
    """Values at points given as JSON lines {"function":..,"params":..} on stdin."""
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        f, p = item["function"], item["params"]
        if f == "mixed":
            v = mixed_value(p)
        else:
            bounds = len(p)
            x = [p["x%d" % i] for i in range(bounds)]
            v = {"branin": branin, "hartmann6": hartmann6, "rosenbrock10": rosenbrock, "ackley10": ackley,
                 "levy10": levy, "styblinski_tang8": styblinski_tang}[f](x)
        print(json.dumps({"function": f, "value": v, "expected": item.get("value")}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samplers", default=",".join(SAMPLERS))
    ap.add_argument("--functions", default=",".join(FUNCTIONS))
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--seed-offset", type=int, default=0)
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--latency", action="store_true")
    ap.add_argument("--history", type=int, default=1000)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    if args.check:
        return check()
    if args.latency:
        return latency(args.history)
    tasks = [(s, f, seed, int(b), args.budget)
             for f in args.functions.split(",") if f
             for s in args.samplers.split(",") if s
             for b in args.batch.split(",") if b
             for seed in range(args.seed_offset, args.seed_offset + args.seeds)]
    for name in {t[0] for t in tasks}:
        if name not in SAMPLERS:
            sys.exit("unknown sampler " + name)
    for name in {t[1] for t in tasks}:
        if name not in FUNCTIONS:
            sys.exit("unknown function " + name)
    if args.jobs <= 1:
        for t in tasks:
            print(run_one(t), flush=True)
    else:
        with multiprocessing.Pool(args.jobs) as pool:
            for line in pool.imap_unordered(run_one, tasks):
                print(line, flush=True)


if __name__ == "__main__":
    main()
