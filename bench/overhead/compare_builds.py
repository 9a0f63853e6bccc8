#!/usr/bin/python3
"""Experiment-loop overhead of two hone builds, side by side in one run.

For a change that must not cost speed (a refactor): the same trivial-trial experiment
runs with the baseline binary and the candidate, alternated round by round so both see
the same machine load, and the table gives each one's median trials/s and their ratio.

  bench/overhead/compare_builds.py --base OLD/hone --new build/hone \
      --trial build/bench/hone_bench_trivial_trial [--trials 2000] [--rounds 5]
"""

import argparse
import statistics
import tempfile

from measure import hone_once


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="the baseline hone binary")
    ap.add_argument("--new", required=True, help="the candidate hone binary")
    ap.add_argument("--trial", required=True, help="the trivial trial binary (absolute path)")
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tmp", default=tempfile.gettempdir())
    args = ap.parse_args()

    walls = {"base": [], "new": []}
    for r in range(args.rounds):
        # Alternate which goes first so neither always runs on a warmer machine.
        order = ["base", "new"] if r % 2 == 0 else ["new", "base"]
        for name in order:
            binary = args.base if name == "base" else args.new
            walls[name].append(hone_once(binary, args.trial, args.trials, args.tmp)["wall_s"])
            print(f"round {r + 1} {name}: {args.trials / walls[name][-1]:.1f} trials/s", flush=True)

    rate = {k: args.trials / statistics.median(v) for k, v in walls.items()}
    print()
    print(f"| build | trials | rounds | median wall s | trials/s | all rounds, trials/s |")
    print(f"|---|---:|---:|---:|---:|---|")
    for name in ("base", "new"):
        rounds = ", ".join(f"{args.trials / w:.0f}" for w in walls[name])
        print(f"| {name} | {args.trials} | {args.rounds} | {statistics.median(walls[name]):.3f} | "
              f"{rate[name]:.1f} | {rounds} |")
    print(f"\nnew / base trials/s: {rate['new'] / rate['base']:.3f}")


if __name__ == "__main__":
    main()
