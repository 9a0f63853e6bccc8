#!/usr/bin/python3
"""bench/compress_amc: AMC against uniform pruning, random search and hone's Bayesian
tuners over the same per-layer space, at the same FLOPs budget, one run (README.md).

Per model (trained once, cached):
  amc        `hone compress prune` with `pruner: amc` (the DDPG agent, in one process)
  amc_exp    the same agent as an experiment (`tuner: amc`, trials `amc-trial`)
  random, tpe, anneal
             experiments over `amc-space`'s space with `amc-trial` trials, as many
             evaluations as AMC's episodes
  uniform    one keep ratio for every group (the action wall makes it meet the budget)
  amc_latency
             `pruner: amc` with `target: latency`: the budget is LATENCY_RATIO of the dense
             model's measured batch-256 latency; the sped-up model's speedup is timed again
             here with `hone compress profile`, dense and pruned in turn
Every method's reward is the same: accuracy on the last HELD_OUT training images of the
model masked to the policy, with batch norms re-estimated on CALIBRATE_BN batches. Each
method's best policy is sped up, scored on the 10,000 test images, fine-tuned FT_EPOCHS
epochs alike and scored again.
"""
import argparse
import json
import math
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bench_util  # noqa: E402


def run(cmd, log, env=None):
    return bench_util.run(cmd, log, env, who="bench/compress_amc")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--models", default="resnet20 vgg-small")
    p.add_argument("--methods", default="amc amc_exp random tpe anneal uniform amc_latency")
    p.add_argument("--epochs", type=int, default=2, help="training of the dense model")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--flops-ratio", type=float, default=0.5)
    p.add_argument("--latency-ratio", type=float, default=0.6, help="amc_latency: the latency to keep")
    p.add_argument("--latency-batch", type=int, default=256)
    p.add_argument("--round-to", type=int, default=8)
    p.add_argument("--episodes", type=int, default=300)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--noise-decay", type=float, default=0.95, help="the agent's sigma factor per episode")
    p.add_argument("--min-noise", type=float, default=0.0, help="the agent's sigma floor")
    p.add_argument("--held-out", type=int, default=1000)
    p.add_argument("--calibrate-bn", type=int, default=50)
    p.add_argument("--ft-epochs", type=int, default=2)
    p.add_argument("--ft-lr", type=float, default=0.01)
    p.add_argument("--train-subset", type=int, default=0)
    p.add_argument("--test-subset", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reuse", action="store_true")
    return p.parse_args()








def last_json_line(log):
    for line in reversed(open(log).read().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    sys.exit(f"bench/compress_amc: no JSON report in {log}")


def percent(pattern, log):
    found = re.findall(pattern, open(log).read())
    return float(found[-1]) if found else None


class Bench:
    def __init__(self, args):
        self.a = args
        self.hc = os.path.join(args.build, "hone-compress")
        self.hone = os.path.join(args.build, "hone")

    def budget(self):
        return ["--flops-ratio", str(self.a.flops_ratio), "--round-to", str(self.a.round_to)]

    def data(self):
        return ["--data", "fashion-mnist", "--train-subset", str(self.a.train_subset)]

    def base(self, d, model):
        base = os.path.join(d, "base.pt")
        if not (self.a.reuse and os.path.exists(base)):
            run([self.hc, "train", "--model", model, "--epochs", str(self.a.epochs), "--lr", str(self.a.lr),
                 "--threads", str(self.a.threads), "--seed", str(self.a.seed), "--out", base] + self.data() +
                ["--test-subset", str(self.a.test_subset)], os.path.join(d, "train.log"))
        run([self.hc, "amc-space", base, "--out", os.path.join(d, "space.json")] + self.budget(),
            os.path.join(d, "space.log"))
        return base

    def trial_args(self, base):
        return [base] + self.budget() + ["--held-out", str(self.a.held_out), "--calibrate-bn",
                                         str(self.a.calibrate_bn), "--data", "fashion-mnist"]

    def score_policy(self, d, base, name, params):
        """The policy's reward, and its sped-up model at d/<name>.pt."""
        path = os.path.join(d, f"{name}_policy.json")
        bench_util.save(path, params)
        log = os.path.join(d, f"{name}_policy.log")
        run([self.hc, "amc-trial"] + self.trial_args(base) + ["--threads", str(self.a.threads), "--latency-repeats",
                                                            "0", "--params", path, "--out",
                                                            os.path.join(d, f"{name}.pt")], log)
        return last_json_line(log)

    def amc(self, d, base, name="amc"):
        """`pruner: amc`; name amc_latency: with `target: latency`."""
        budget = f"  flops_ratio: {self.a.flops_ratio}\n"
        if name == "amc_latency":
            budget = (f"  target: latency\n  latency_ratio: {self.a.latency_ratio}\n"
                      f"  latency_batch: {self.a.latency_batch}\n")
        cfg = os.path.join(d, f"{name}.yaml")
        with open(cfg, "w") as f:
            f.write(f"pruner: amc\namc:\n{budget}  round_to: {self.a.round_to}\n"
                    f"  episodes: {self.a.episodes}\n  warmup_episodes: {self.a.warmup}\n"
                    f"  noise_decay: {self.a.noise_decay}\n  min_noise: {self.a.min_noise}\n"
                    f"  held_out: {self.a.held_out}\n  calibrate_bn: {self.a.calibrate_bn}\n  seed: {self.a.seed}\n")
        report = os.path.join(d, f"{name}_prune.json")
        # All the training images, as amc-trial takes its held-out images: the same reward.
        wall = run([self.hc, "prune", base, "--config", cfg, "--out", os.path.join(d, f"{name}.pt"), "--report",
                    report, "--threads", str(self.a.threads), "--latency-repeats", "3", "--data", "fashion-mnist",
                    "--test-subset", str(self.a.test_subset)], os.path.join(d, f"{name}_prune.log"))
        summary = bench_util.load(report)["amc"]
        result = {"reward": summary["best_reward"], "evaluations": summary["episodes"], "seconds": wall,
                  "flops_ratio": summary["flops_after"] / summary["flops_before"]}
        if name == "amc_latency":
            result["latency"] = summary["latency"]
            result["speedup"] = self.speedup(d, base, os.path.join(d, f"{name}.pt"))
        return result

    def profile_ms(self, model, log):
        run([self.hc, "profile", model, "--input", f"{self.a.latency_batch},1,28,28", "--repeats", "10",
             "--threads", "1"], log)
        return percent(r"latency ([0-9.]+) ms", log)

    def speedup(self, d, base, pruned):
        """Dense and pruned timed in turn, twice each, at the latency batch on one thread; the
        ratio of the medians' minima."""
        dense, fast = [], []
        for i in range(2):
            dense.append(self.profile_ms(base, os.path.join(d, f"profile_dense_{i}.log")))
            fast.append(self.profile_ms(pruned, os.path.join(d, f"profile_pruned_{i}.log")))
        return {"batch": self.a.latency_batch, "dense_ms": min(dense), "pruned_ms": min(fast),
                "speedup": min(dense) / min(fast)}

    def experiment(self, d, base, method):
        home = os.path.join(d, f"{method}_home")
        subprocess.run(["rm", "-rf", home])
        trial = " ".join([self.hc, "amc-trial"] + self.trial_args(base) + ["--threads", "1", "--latency-repeats", "0"])
        tuner = "amc" if method == "amc_exp" else method
        args = "{optimize_mode: maximize}"
        if tuner == "amc":
            args = (f"{{optimize_mode: maximize, model: {base}, flops_ratio: {self.a.flops_ratio}, "
                    f"round_to: {self.a.round_to}, warmup_episodes: {self.a.warmup}, "
                    f"noise_decay: {self.a.noise_decay}, min_noise: {self.a.min_noise}}}")
        exp = os.path.join(d, f"{method}_exp.yaml")
        with open(exp, "w") as f:
            f.write(f"experimentName: amc-bench-{method}\nsearchSpaceFile: {os.path.join(d, 'space.json')}\n"
                    f"trialCommand: {trial}\ntrialConcurrency: 2\nmaxTrialNumber: {self.a.episodes}\n"
                    f"seed: {self.a.seed}\ntuner:\n  name: {tuner}\n  classArgs: {args}\n"
                    f"trainingService:\n  platform: local\n")
        wall = run([self.hone, "run", "-q", "--no-ui", exp], os.path.join(d, f"{method}_run.log"),
                   dict(os.environ, HONE_HOME=home))
        [exp_id] = os.listdir(os.path.join(home, "experiments"))
        db = sqlite3.connect(f"file:{os.path.join(home, 'experiments', exp_id, 'hone.db')}?mode=ro", uri=True)
        rows = db.execute("SELECT params, final FROM trials WHERE status = 'succeeded' AND final IS NOT NULL "
                          "ORDER BY final DESC, seq LIMIT 1").fetchall()
        n = db.execute("SELECT COUNT(*) FROM trials WHERE status = 'succeeded'").fetchone()[0]
        db.close()
        if not rows:
            sys.exit(f"bench/compress_amc: {method}: no trial succeeded")
        return json.loads(rows[0][0]), {"reward": rows[0][1], "evaluations": n, "seconds": wall}

    def finish(self, d, name, result):
        """Test accuracy of d/<name>.pt, then after fine-tuning."""
        model = os.path.join(d, f"{name}.pt")
        log = os.path.join(d, f"{name}_eval.log")
        run([self.hc, "evaluate", model, "--data", "fashion-mnist", "--test-subset", str(self.a.test_subset),
             "--threads", str(self.a.threads)], log)
        result["test"] = percent(r"accuracy ([0-9.]+)%", log)
        log = os.path.join(d, f"{name}_ft.log")
        run([self.hc, "train", "--init", model, "--epochs", str(self.a.ft_epochs), "--lr", str(self.a.ft_lr),
             "--threads", str(self.a.threads), "--seed", str(self.a.seed), "--out", os.path.join(d, f"{name}_ft.pt")]
            + self.data() + ["--test-subset", str(self.a.test_subset)], log)
        result["test_ft"] = percent(r"test accuracy ([0-9.]+)%", log)
        result["params"] = int(re.findall(r"([0-9]+) parameters", open(log).read())[0])
        return result

    def model(self, model):
        d = os.path.join(self.a.out, model)
        os.makedirs(d, exist_ok=True)
        base = self.base(d, model)
        dense = {"test": percent(r"test accuracy ([0-9.]+)%", os.path.join(d, "train.log"))}
        bench_util.save(os.path.join(d, "dense.json"), dense)
        space = bench_util.load(os.path.join(d, "space.json"))
        for method in self.a.methods.split():
            result_path = os.path.join(d, f"{method}.json")
            if self.a.reuse and os.path.exists(result_path):
                continue
            if method in ("amc", "amc_latency"):
                result = self.amc(d, base, method)
            elif method == "uniform":
                keep = math.sqrt(self.a.flops_ratio)
                report = self.score_policy(d, base, "uniform", {k: keep for k in space})
                result = {"reward": report["default"], "evaluations": 1, "seconds": 0,
                          "flops_ratio": report["flops_ratio"]}
            else:
                params, result = self.experiment(d, base, method)
                report = self.score_policy(d, base, method, params)
                result["flops_ratio"] = report["flops_ratio"]
            bench_util.save(result_path, self.finish(d, method, result))
            r = bench_util.load(result_path)
            print(f"{model} {method}: reward {r['reward']:.4f}, test {r['test']}%, fine-tuned {r['test_ft']}%",
                  flush=True)


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    bench_util.save(os.path.join(args.out, "settings.json"), vars(args))
    bench = Bench(args)
    for model in args.models.split():
        bench.model(model)


if __name__ == "__main__":
    main()
