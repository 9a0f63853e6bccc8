#!/usr/bin/python3
"""bench/nas: architecture search on Fashion-MNIST, one run, one table (see README.md).

Steps, each cached in OUT (a step whose result file exists is skipped with --reuse):
  oneshot   `hone nas search PROXY --strategy S` for each one-shot strategy (CPU, timed): the
            cell is searched in a smaller network of the same cells (as DARTS searches with 8
            cells and evaluates with 20), then retrained in SPACE
  random    N architectures drawn uniformly from the space (seeded)
  retrain   every one-shot result and every random architecture, trained alike
  resnet20  the zoo's resnet20 with its width set to the best one-shot result's parameters
  multi     multi-trial experiments (`hone run`): random, regularized_evolution and ppo at
            equal trial counts, a short training per trial, several seeds
then table.py writes OUT/table.md with the issue's goals as PASS/FAIL lines.
"""
import argparse
import json
import os
import random
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bench_util  # noqa: E402


def run(cmd, log, env=None):
    return bench_util.run(cmd, log, env, who="bench/nas")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--space", required=True, help="the space architectures are retrained in (YAML file or built-in)")
    p.add_argument("--search-space", default="nb201-small",
                   help="the proxy the one-shot strategies search: the same cell, a smaller network")
    p.add_argument("--strategies", default="darts gdas enas spos")
    p.add_argument("--search-epochs", type=int, default=10)
    p.add_argument("--search-subset", type=int, default=0, help="images the one-shot search sees (0: all)")
    p.add_argument("--search-batch", type=int, default=64)
    p.add_argument("--random-archs", type=int, default=8)
    p.add_argument("--epochs", type=int, default=10, help="retraining epochs of every architecture")
    p.add_argument("--train-subset", type=int, default=0)
    p.add_argument("--test-subset", type=int, default=0)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--crop-padding", type=int, default=2)
    p.add_argument("--device", default="cpu", help="retraining device: cpu, cuda or auto")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--multi-tuners", default="random regularized_evolution ppo")
    p.add_argument("--multi-trials", type=int, default=24)
    p.add_argument("--multi-seeds", type=int, default=3)
    p.add_argument("--multi-space", default="nb201-small", help="the space of the multi-trial experiments")
    p.add_argument("--multi-epochs", type=int, default=1)
    p.add_argument("--multi-train-subset", type=int, default=5000)
    p.add_argument("--multi-test-subset", type=int, default=2000)
    p.add_argument("--steps", default="oneshot random retrain resnet20 multi")
    p.add_argument("--reuse", action="store_true")
    return p.parse_args()








def cached(args, path):
    return args.reuse and os.path.exists(path)


def read_arch(path):
    """The decisions of an architecture file written by hone (one `key: value` per line
    under `architecture:`)."""
    decisions, inside = {}, False
    for line in open(path):
        if line.startswith("architecture:"):
            inside = True
            continue
        if inside and line.startswith("  ") and ":" in line:
            k, v = line.strip().split(":", 1)
            decisions[k.strip()] = v.strip().strip("'\"")
    return decisions



def oneshot(args, hone_nas):
    for s in args.strategies.split():
        d = os.path.join(args.out, "oneshot", s)
        os.makedirs(d, exist_ok=True)
        result = os.path.join(d, "search.json")
        if cached(args, result):
            continue
        cmd = [hone_nas, "search", args.search_space, "--strategy", s, "--epochs", str(args.search_epochs),
               "--batch-size", str(args.search_batch), "--train-subset", str(args.search_subset),
               "--threads", str(args.threads), "--seed", str(args.seed), "--out", os.path.join(d, "arch.yaml")]
        wall = run(cmd, os.path.join(d, "search.log"))
        text = open(os.path.join(d, "search.log")).read()
        stopped = re.findall(r"^(stopped after epoch.*|every epoch.*)$", text, re.M)
        bench_util.save(result, {"strategy": s, "seconds": wall, "stopped": stopped[0] if stopped else "",
                      "decisions": read_arch(os.path.join(d, "arch.yaml"))})
        print(f"oneshot {s}: {wall:.0f} s", flush=True)


def space_ref(args):
    return os.path.abspath(args.space) if os.path.exists(args.space) else args.space


def write_arch(path, args, decisions):
    with open(path, "w") as f:
        f.write(f"space: {space_ref(args)}\narchitecture:\n")
        for k, v in decisions.items():
            f.write(f"  {k}: {json.dumps(v)}\n")


def random_archs(args, hone_nas):
    d = os.path.join(args.out, "random")
    os.makedirs(d, exist_ok=True)
    space_json = os.path.join(d, "space.json")
    run([hone_nas, "search-space", args.space, "--out", space_json], os.path.join(d, "search-space.log"))
    space = bench_util.load(space_json)
    rng = random.Random(args.seed)
    for i in range(args.random_archs):
        arch = os.path.join(d, f"arch{i}", "retrain_arch.yaml")
        os.makedirs(os.path.dirname(arch), exist_ok=True)
        decisions = {k: rng.choice(v["_value"]) for k, v in sorted(space.items())}
        if not cached(args, arch):
            write_arch(arch, args, decisions)


def train_args(args):
    return ["--epochs", str(args.epochs), "--lr", str(args.lr), "--crop-padding", str(args.crop_padding), "--flip",
            "--train-subset", str(args.train_subset), "--test-subset", str(args.test_subset),
            "--threads", str(args.threads), "--seed", str(args.seed), "--device", args.device]


def parse_training(log):
    text = open(log).read()
    acc = re.findall(r"^test accuracy ([0-9.]+)%", text, re.M)
    params = re.findall(r"([0-9]+) parameters", text)
    epochs = [float(x) for x in re.findall(r"test acc ([0-9.]+)%", text)]
    return {"accuracy": float(acc[-1]) if acc else None, "params": int(params[0]) if params else None,
            "epochs": epochs}


def retrain(args, hone_nas):
    dirs = [os.path.join(args.out, "oneshot", s) for s in args.strategies.split()]
    dirs += [os.path.join(args.out, "random", f"arch{i}") for i in range(args.random_archs)]
    for d in dirs:
        arch, result = os.path.join(d, "retrain_arch.yaml"), os.path.join(d, "retrain.json")
        found = os.path.join(d, "arch.yaml")  # a one-shot result, in the search's proxy space
        if os.path.exists(found):
            write_arch(arch, args, read_arch(found))
        if not os.path.exists(arch) or cached(args, result):
            continue
        log = os.path.join(d, "retrain.log")
        wall = run([hone_nas, "train", arch, "--out", os.path.join(d, "model.pt")] + train_args(args), log)
        r = parse_training(log)
        r.update({"seconds": wall, "decisions": read_arch(arch)})
        bench_util.save(result, r)
        print(f"retrain {os.path.relpath(d, args.out)}: {r['accuracy']}% ({r['params']} parameters, {wall:.0f} s)",
              flush=True)


def resnet20(args, hone_compress):
    d = os.path.join(args.out, "resnet20")
    os.makedirs(d, exist_ok=True)
    result = os.path.join(d, "retrain.json")
    if cached(args, result):
        return
    found = []
    for s in args.strategies.split():
        path = os.path.join(args.out, "oneshot", s, "retrain.json")
        if os.path.exists(path):
            found.append(bench_util.load(path))
    found = [r for r in found if r["accuracy"] is not None]
    # resnet20's parameters grow with the square of its width (272,186 at width 16).
    target = max(found, key=lambda r: r["accuracy"])["params"] if found else 272186
    width = max(4, round(16 * (target / 272186) ** 0.5))
    log = os.path.join(d, "retrain.log")
    cmd = [hone_compress, "train", "--model", "resnet20", "--width", str(width), "--data", "fashion-mnist",
           "--out", os.path.join(d, "model.pt")] + train_args(args)
    wall = run(cmd, log)
    r = parse_training(log)
    r.update({"seconds": wall, "width": width, "target_params": target})
    bench_util.save(result, r)
    print(f"resnet20 width {width}: {r['accuracy']}% ({r['params']} parameters)", flush=True)


EXPERIMENT = """experimentName: bench-nas-{tuner}-{seed}
searchSpaceFile: {space_json}
trialCommand: {hone} nas train --space {space} --epochs {epochs} --train-subset {train} --test-subset {test} --threads 1 --seed {seed}
trialConcurrency: 2
maxTrialNumber: {trials}
seed: {seed}
tuner:
  name: {tuner}
  classArgs: {{optimize_mode: maximize}}
trainingService:
  platform: local
"""


def multi(args, hone):
    base = os.path.join(args.out, "multi")
    os.makedirs(base, exist_ok=True)
    space_json = os.path.join(base, "space.json")
    run([hone, "nas", "search-space", args.multi_space, "--out", space_json], os.path.join(base, "search-space.log"))
    for tuner in args.multi_tuners.split():
        for seed in range(args.multi_seeds):
            d = os.path.join(base, f"{tuner}-{seed}")
            result = os.path.join(d, "result.json")
            if cached(args, result):
                continue
            os.makedirs(d, exist_ok=True)
            home = os.path.join(d, "home")
            subprocess.run(["rm", "-rf", home])
            exp = os.path.join(d, "exp.yaml")
            with open(exp, "w") as f:
                f.write(EXPERIMENT.format(tuner=tuner, seed=seed, space_json=space_json, hone=hone,
                                          space=args.multi_space, epochs=args.multi_epochs,
                                          train=args.multi_train_subset, test=args.multi_test_subset,
                                          trials=args.multi_trials))
            wall = run([hone, "run", "-q", "--no-ui", exp], os.path.join(d, "run.log"), dict(os.environ, HONE_HOME=home))
            [exp_id] = os.listdir(os.path.join(home, "experiments"))
            db = sqlite3.connect(f"file:{os.path.join(home, 'experiments', exp_id, 'hone.db')}?mode=ro", uri=True)
            finals = [row[0] for row in db.execute(
                "SELECT final FROM trials WHERE status = 'succeeded' AND final IS NOT NULL ORDER BY seq")]
            db.close()
            bench_util.save(result, {"tuner": tuner, "seed": seed, "seconds": wall, "finals": finals})
            print(f"multi {tuner} seed {seed}: best {max(finals) if finals else None} of {len(finals)}", flush=True)


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    hone = os.path.join(args.build, "hone")
    hone_nas = os.path.join(args.build, "hone-nas")
    hone_compress = os.path.join(args.build, "hone-compress")
    steps = args.steps.split()
    bench_util.save(os.path.join(args.out, "settings.json"), vars(args))
    if "oneshot" in steps:
        oneshot(args, hone_nas)
    if "random" in steps:
        random_archs(args, hone_nas)
    if "retrain" in steps:
        retrain(args, hone_nas)
    if "resnet20" in steps:
        resnet20(args, hone_compress)
    if "multi" in steps:
        multi(args, hone)


if __name__ == "__main__":
    main()
