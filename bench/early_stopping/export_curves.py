#!/usr/bin/python3
"""Turns a finished hone experiment into a curve file for the replay platform (format:
platforms/replay_curves.h): one record per succeeded trial with its parameters, the
value of each intermediate report, and the seconds each epoch took (from the report
timestamps; the first epoch from the trial's start).

    export_curves.py EXPERIMENT_DIR -o curves.jsonl [--source TEXT] [--min-epochs N]

EXPERIMENT_DIR is <HONE_HOME>/experiments/<id>. Trials with fewer than --min-epochs
reports (default: the most any trial has) are left out, so every curve is complete.
Parameters the search space fixes (a choice of one value, such as the recording's epoch
count) are moved out of the records and the search space into the header's "fixed".
"""
import argparse
import json
import os
import sqlite3
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("experiment_dir")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--source", default="")
    ap.add_argument("--min-epochs", type=int, default=0)
    args = ap.parse_args()
    db = sqlite3.connect("file:" + os.path.join(args.experiment_dir, "hone.db") + "?mode=ro", uri=True)
    config = json.loads(dict(db.execute("SELECT key, value FROM meta"))["config"])
    trials = db.execute("SELECT seq, params, started_at FROM trials WHERE status = 'succeeded' ORDER BY seq").fetchall()
    curves = []
    for seq, params, started in trials:
        rows = db.execute("SELECT value, time FROM metrics WHERE seq = ? ORDER BY step", (seq,)).fetchall()
        if not rows:
            continue
        values = [v for v, _ in rows]
        times = [started] + [t for _, t in rows]
        seconds = [round(max(0.0, b - a), 3) for a, b in zip(times, times[1:])]
        curves.append({"params": json.loads(params), "values": values, "seconds": seconds})
    db.close()
    if not curves:
        sys.exit("no succeeded trial with intermediate results in " + args.experiment_dir)
    need = args.min_epochs or max(len(c["values"]) for c in curves)
    complete = [c for c in curves if len(c["values"]) >= need]
    space = config.get("searchSpace", config.get("search_space")) or {}
    fixed = {k: v["_value"][0] for k, v in space.items()
             if isinstance(v, dict) and v.get("_type") == "choice" and len(v.get("_value", [])) == 1
             and not isinstance(v["_value"][0], dict)}
    space = {k: v for k, v in space.items() if k not in fixed}
    for c in complete:
        c["params"] = {k: v for k, v in c["params"].items() if k not in fixed}
    mode = "maximize"
    for algo in ("tuner", "assessor"):
        mode = (config.get(algo) or {}).get("classArgs", {}).get("optimize_mode", mode)
    header = {"hone_curves": 1, "metric": "default", "optimize_mode": mode,
              "synthetic": False, "epochs": need, "search_space": space, "fixed": fixed,
              "source": args.source or "exported from hone experiment " + os.path.basename(
                  os.path.normpath(args.experiment_dir))}
    with open(args.out, "w") as f:
        f.write(json.dumps(header) + "\n")
        for c in complete:
            f.write(json.dumps(c) + "\n")
    print("%d curves of %d epochs (%d shorter ones left out) -> %s" % (len(complete), need, len(curves) - len(complete),
                                                                     args.out))


if __name__ == "__main__":
    main()
